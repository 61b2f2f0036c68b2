/**
 * The events WebSocket, `/api/v1/events`: calls starting, answered and ended,
 * and registrations changing, pushed as JSON as they happen (PbxEvent in
 * src/pbx/events.ts), so the portal's live views need no polling.
 *
 * Signed in the same ways as the REST API (session cookie or `Authorization:
 * Bearer`). Tenant principals get their tenant's events; a user only those of
 * their own extensions; an operator names the tenant with `?tenantId=`. Because
 * browsers send cookies with a WebSocket opened from any site, a request whose
 * Origin is not this server is refused (cross-site WebSocket hijacking).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { PbxEvent } from '../pbx/events.js';
import type { Store } from '../store/store.js';
import { resolvePrincipal } from './auth.js';
import type { LiveSource, Principal } from './context.js';
import { accessFor } from './permissions.js';
import { sameOrigin } from './web-security.js';

export const EVENTS_PATH = '/api/v1/events';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function cookiesOf(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      out[name] = part.slice(eq + 1).trim();
    }
  }
  return out;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class EventsSocket {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly ping: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly live: LiveSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Dead peers (a laptop that slept) are found by ping and dropped.
    this.ping = setInterval(() => {
      for (const ws of this.wss.clients) {
        const alive = ws as typeof ws & { alive?: boolean };
        if (alive.alive === false) ws.terminate();
        else {
          alive.alive = false;
          ws.ping();
        }
      }
    }, 30_000);
    this.ping.unref();
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== EVENTS_PATH) return;
      this.upgrade(req, socket, head, url).catch(() => refuse(socket, 500, 'Internal Server Error'));
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    if (!sameOrigin(req)) return refuse(socket, 403, 'Forbidden');
    const principal = await resolvePrincipal(
      this.store,
      { headers: req.headers, cookies: cookiesOf(req.headers.cookie) },
      this.now(),
    ).catch(() => null);
    if (!principal) return refuse(socket, 401, 'Unauthorized');
    const access = accessFor('live.read', principal.role);
    if (!access) return refuse(socket, 403, 'Forbidden');
    const tenantId = principal.role === 'operator' ? url.searchParams.get('tenantId') : principal.tenantId;
    if (!tenantId || !UUID.test(tenantId) || !(await this.store.tenants.get(tenantId)))
      return refuse(socket, 404, 'Not Found');
    const own = access === 'own' ? await this.ownNumbers(principal, tenantId) : null;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const alive = ws as typeof ws & { alive?: boolean };
      alive.alive = true;
      ws.on('pong', () => (alive.alive = true));
      const send = (e: PbxEvent) => {
        if (e.tenantId !== tenantId || !visible(e, own)) return;
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e));
      };
      const unsubscribe = this.live.subscribe(send);
      ws.on('close', unsubscribe);
      ws.on('error', unsubscribe);
      // Clients send nothing; anything they do send is ignored.
      ws.send(JSON.stringify({ type: 'hello', tenantId }));
    });
  }

  private async ownNumbers(principal: Principal, tenantId: string): Promise<string[]> {
    if (!principal.userId) return [];
    const own = await this.store
      .tenant(tenantId)
      .extensions.list({ userId: principal.userId, limit: 1000, offset: 0 });
    return own.items.map((e) => e.number);
  }

  close(): void {
    clearInterval(this.ping);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function visible(e: PbxEvent, own: string[] | null): boolean {
  if (!own) return true;
  if (e.type === 'registration') return own.includes(e.registration.extension);
  if (e.type === 'call.offered') return own.includes(e.extension);
  // An agent follows the queues they answer (their own panel); announcements are for supervisors.
  if (e.type === 'queue.updated') return e.queue.agents.some((a) => own.includes(a.number));
  if (e.type === 'queue.announced') return false;
  // Callers joining and leaving are the supervisors'; an agent sees their own state.
  if (e.type === 'queue.join' || e.type === 'queue.leave' || e.type === 'queue.abandon') return false;
  if (e.type === 'agent.state') return own.includes(e.agent);
  if (e.type === 'fraud.blocked') return own.includes(e.extension);
  if (e.type === 'voicemail.new') return own.includes(e.message.mailbox);
  if (e.type === 'limit.reached' || e.type === 'limit.warning') return false;
  return own.includes(e.call.caller) || own.includes(e.call.callee);
}
