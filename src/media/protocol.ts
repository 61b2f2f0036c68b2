/**
 * Messages between the media engine (on the SIP/PBX thread) and its workers.
 * Endpoint ids are chosen by the engine, so commands that need no answer
 * (setting the remote, bridging) go without a round trip.
 */
import type { DtmfSignal } from './dtmf/digits.js';
import type { LegStats, RemoteMedia } from './rtp/endpoint.js';

export interface WorkerConfig {
  index: number;
  bindAddress: string;
  portMin: number;
  portMax: number;
  cname: string;
}

export type ToWorker =
  | { op: 'open'; rid: number; id: number }
  | { op: 'remote'; id: number; remote: RemoteMedia }
  | { op: 'bridge'; a: number; b: number }
  | { op: 'unbridge'; id: number }
  | { op: 'stats'; rid: number; id: number }
  | { op: 'close'; rid: number; id: number }
  | { op: 'shutdown'; rid: number };

/** Something that happened on an endpoint, reported to its owner. */
export type EndpointEvent =
  /**
   * A key pressed on the leg's phone, sent as RFC 4733 telephone-events: reported at
   * its first packet (`start`, for barge-in) and at its end with the duration.
   */
  | { type: 'dtmf'; phase: 'start'; digit: DtmfSignal }
  | { type: 'dtmf'; phase: 'end'; digit: DtmfSignal; durationMs: number };

export type FromWorker =
  | { kind: 'ready'; capacity: number }
  | { kind: 'reply'; rid: number; port?: number; stats?: LegStats }
  | { kind: 'error'; rid: number; message: string; code: string }
  | { kind: 'event'; id: number; event: EndpointEvent };
