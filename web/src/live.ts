/**
 * The events WebSocket (/api/v1/events): calls, registrations, fraud blocks and limit alerts as they happen.
 * Reconnects with backoff when the connection drops (a node restart, a laptop
 * waking up) and says whether it is connected, so a page can show that its
 * figures are live.
 */
import { useEffect, useRef, useState } from 'react';

export type LiveEvent =
  | { type: 'hello'; tenantId: string }
  | { type: 'call.started' | 'call.answered' | 'call.ended'; tenantId: string; call: { id: string } }
  | { type: 'registration'; tenantId: string; registration: { extension: string } }
  /** The fraud rule stopped an extension's external calls (an administrator unblocks it). */
  | { type: 'fraud.blocked'; tenantId: string; extension: string; reason: string }
  /** A daily cap is reached and refuses external calls until midnight (`value`: the cap; spend in minor units). */
  | {
      type: 'limit.reached';
      tenantId: string;
      limit: 'dailyExternalMinutes' | 'dailySpendCap';
      value: number;
    }
  /** Today's spend passed the tenant's warning share of its cap (`value` the cap, `used` the spend; minor units). */
  | { type: 'limit.warning'; tenantId: string; limit: 'dailySpendCap'; value: number; used: number };

export function eventsUrl(tenantId: string | null, location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = tenantId ? `?tenantId=${encodeURIComponent(tenantId)}` : '';
  return `${scheme}//${location.host}/api/v1/events${query}`;
}

/** Calls `onEvent` for each event of the tenant; returns whether the socket is open. */
export function useLiveEvents(tenantId: string | null, onEvent: (e: LiveEvent) => void): boolean {
  const [connected, setConnected] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    let ws: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = 1000;
    let stopped = false;
    const connect = () => {
      ws = new WebSocket(eventsUrl(tenantId));
      ws.onopen = () => {
        delay = 1000;
        setConnected(true);
      };
      ws.onmessage = (m) => {
        try {
          handler.current(JSON.parse(String(m.data)) as LiveEvent);
        } catch {
          // Not JSON: not ours to read.
        }
      };
      ws.onclose = () => {
        setConnected(false);
        if (stopped) return;
        retry = setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      ws?.close();
    };
  }, [tenantId]);
  return connected;
}
