/**
 * A media worker thread: owns a slice of the RTP port range and every endpoint
 * on it, and moves packets between bridged endpoints without the SIP thread
 * ever seeing them (DESIGN.md §4: media spread over worker threads).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PacerTimer } from './audio/pacer.js';
import type { DtmfSignal } from './dtmf/digits.js';
import { Room } from './mix/room.js';
import { KeySender } from './play/key-sender.js';
import { Player } from './play/player.js';
import { DtmfToneSource, FileSource, ToneSource } from './play/sources.js';
import type { EndpointEvent, FromWorker, PlaybackEnd, ToWorker, WorkerConfig } from './protocol.js';
import { Recording } from './record/recording.js';
import { FileRecorder } from './recorder.js';
import { RtpEndpoint } from './rtp/endpoint.js';
import { PortPool, PortsExhausted } from './rtp/ports.js';

const config = workerData as WorkerConfig;
const port = parentPort;
if (!port) throw new Error('media worker started outside a worker thread');

const pool = new PortPool(config.bindAddress, config.portMin, config.portMax);
const endpoints = new Map<number, RtpEndpoint>();
const release = pool.release.bind(pool);

/** Replies and events go back batched per turn of the event loop, as commands come (see engine.ts). */
const outbox: FromWorker[] = [];
function post(m: FromWorker): void {
  outbox.push(m);
  if (outbox.length === 1)
    queueMicrotask(() => {
      const batch = outbox.splice(0);
      if (batch.length) port?.postMessage(batch);
    });
}

/** Bridged pairs, both ways: each side's packets go to the other (RFC 3550 §7 translator). */
const peers = new Map<RtpEndpoint, RtpEndpoint>();

function unbridge(ep: RtpEndpoint): void {
  const other = peers.get(ep);
  ep.sink = null;
  peers.delete(ep);
  if (other) {
    other.sink = null;
    peers.delete(other);
  }
}

function bridge(a: RtpEndpoint, b: RtpEndpoint): void {
  unbridge(a);
  unbridge(b);
  peers.set(a, b);
  peers.set(b, a);
  a.sink = (from, p) => b.forward(from, p);
  b.sink = (from, p) => a.forward(from, p);
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.op) {
    case 'open': {
      try {
        const pair = await pool.allocate();
        const ep = new RtpEndpoint(m.id, pair, config.cname);
        ep.onEvent = (event) => {
          if (event.type === 'dtmf') regenerate(ep, event);
          if (event.type === 'dtmf' && event.phase === 'start') {
            bargeIn(ep, event.digit);
            const rec = recordings.get(ep);
            if (rec?.stopOnDtmf) void rec.stop('dtmf');
          }
          post({ kind: 'event', id: m.id, event });
        };
        endpoints.set(m.id, ep);
        post({ kind: 'reply', rid: m.rid, port: pair.port });
      } catch (e) {
        const code = e instanceof PortsExhausted ? 'ports-exhausted' : 'open-failed';
        post({ kind: 'error', rid: m.rid, message: (e as Error).message, code });
      }
      return;
    }
    case 'remote':
      endpoints.get(m.id)?.setRemote(m.remote);
      return;
    case 'bridge': {
      const a = endpoints.get(m.a);
      const b = endpoints.get(m.b);
      if (a && b && a !== b) bridge(a, b);
      return;
    }
    case 'echo': {
      const ep = endpoints.get(m.id);
      if (!ep) return;
      unbridge(ep);
      ep.sink = (from, p) => ep.forward(from, p);
      return;
    }
    case 'unbridge': {
      const ep = endpoints.get(m.id);
      if (ep) unbridge(ep);
      return;
    }
    case 'play': {
      const ep = endpoints.get(m.id);
      if (!ep) return;
      let failed: string | null = null;
      const source = m.tone
        ? new ToneSource(m.tone.region, m.tone.name)
        : new FileSource(
            m.files ?? [],
            (file, err) => {
              failed = `${file}: ${err.message}`;
            },
            m.start,
          );
      startPlayer(new Player(ep, source, m.playId, m.bargeIn), () => failed);
      return;
    }
    case 'record': {
      const ep = endpoints.get(m.id);
      if (!ep) return;
      const peer = m.options.peer !== undefined ? (endpoints.get(m.options.peer) ?? null) : null;
      try {
        const recorder = await FileRecorder.start(m.path, {
          mode: m.options.mode,
          ...(m.options.maxDurationMs ? { maxDurationMs: m.options.maxDurationMs } : {}),
          ...(m.options.silence ? { silence: m.options.silence } : {}),
          ...(m.options.encoding ? { encoding: m.options.encoding } : {}),
        });
        startRecording(ep, new Recording(m.recId, recorder, ep, peer, m.options.stopOnDtmf ?? false));
      } catch (e) {
        post({
          kind: 'event',
          id: m.id,
          event: { type: 'recording', recId: m.recId, error: (e as Error).message },
        });
      }
      return;
    }
    case 'stopRecord': {
      const ep = endpoints.get(m.id);
      if (ep) void recordings.get(ep)?.stop(m.reason);
      return;
    }
    case 'key': {
      const ep = endpoints.get(m.id);
      if (ep) sendKey(ep, m.signal, m.durationMs).release();
      return;
    }
    case 'pauseRecord': {
      const ep = endpoints.get(m.id);
      if (ep) recordings.get(ep)?.setPaused(m.paused);
      return;
    }
    case 'confJoin': {
      const ep = endpoints.get(m.id);
      if (!ep) return;
      unbridge(ep);
      leaveRoom(ep);
      let room = rooms.get(m.room);
      if (!room) {
        room = new Room(m.room, (member, talking) =>
          post({ kind: 'event', id: member.id, event: { type: 'talking', talking } }),
        );
        rooms.set(m.room, room);
      }
      room.join(ep, { ...(m.muted ? { muted: true } : {}), ...(m.listenOnly ? { listenOnly: true } : {}) });
      roomOf.set(ep, room);
      runPacer();
      return;
    }
    case 'confLeave': {
      const ep = endpoints.get(m.id);
      if (ep) leaveRoom(ep);
      return;
    }
    case 'confMute': {
      const ep = endpoints.get(m.id);
      if (ep) roomOf.get(ep)?.setMuted(ep, m.muted);
      return;
    }
    case 'stopPlay': {
      const ep = endpoints.get(m.id);
      if (ep) endPlayer(ep, 'stopped');
      return;
    }
    case 'stats': {
      const ep = endpoints.get(m.id);
      if (ep) post({ kind: 'reply', rid: m.rid, stats: ep.snapshot() });
      else post({ kind: 'error', rid: m.rid, message: `no endpoint ${m.id}`, code: 'unknown-endpoint' });
      return;
    }
    case 'close': {
      const ep = endpoints.get(m.id);
      if (!ep) {
        post({ kind: 'error', rid: m.rid, message: `no endpoint ${m.id}`, code: 'unknown-endpoint' });
        return;
      }
      endpoints.delete(m.id);
      endPlayer(ep, 'stopped');
      leaveRoom(ep);
      // A recording of the leg is finished (and reported) before the close is answered.
      await recordings
        .get(ep)
        ?.stop('hangup')
        .catch(() => {});
      // Whoever was bridged to it stops forwarding into a closed port.
      unbridge(ep);
      post({ kind: 'reply', rid: m.rid, stats: ep.close(release) });
      return;
    }
    case 'shutdown': {
      for (const ep of endpoints.values()) ep.close(release);
      endpoints.clear();
      post({ kind: 'reply', rid: m.rid });
      return;
    }
  }
}

/** Playback per endpoint, all driven by one 20 ms pacer that runs while anything plays. */
const players = new Map<RtpEndpoint, { player: Player; failure: () => string | null; internal: boolean }>();
let pacer: PacerTimer | null = null;

function startPlayer(player: Player, failure: () => string | null, internal = false): void {
  endPlayer(player.endpoint, 'stopped');
  players.set(player.endpoint, { player, failure, internal });
  player.endpoint.generating = true;
  runPacer();
}

/** The 20 ms clock of everything timed in this worker: players and recorders. */
function runPacer(): void {
  pacer ??= new PacerTimer((tick) => {
    for (let f = 0; f < tick.frames; f++) {
      for (const [ep, p] of players) if (!p.player.frame()) endPlayer(ep, p.failure() ? 'failed' : 'done');
      for (const [ep, k] of keySenders) if (!k.frame()) endKey(ep);
      for (const r of recordings.values()) if (r.recording) r.frame();
      for (const room of rooms.values()) room.frame();
    }
    if (players.size === 0 && recordings.size === 0 && rooms.size === 0 && keySenders.size === 0) {
      pacer?.close();
      pacer = null;
    }
  });
}

/** Conference rooms by name, and the room each endpoint is in. */
const rooms = new Map<string, Room>();
const roomOf = new Map<RtpEndpoint, Room>();

function leaveRoom(ep: RtpEndpoint): void {
  const room = roomOf.get(ep);
  if (!room) return;
  roomOf.delete(ep);
  room.leave(ep);
  if (room.size === 0) rooms.delete(room.name);
}

/** Recordings by the endpoint they belong to (one at a time per endpoint). */
const recordings = new Map<RtpEndpoint, Recording>();

function startRecording(ep: RtpEndpoint, rec: Recording): void {
  void recordings.get(ep)?.stop('explicit');
  recordings.set(ep, rec);
  rec.done.then(
    (r) => {
      if (recordings.get(ep) === rec) recordings.delete(ep);
      const summary = {
        path: r.path,
        reason: r.reason,
        durationMs: r.durationMs,
        voicedMs: r.voicedMs,
        bytes: r.bytes,
        pausedMs: rec.pausedMs,
      };
      post({ kind: 'event', id: ep.id, event: { type: 'recording', recId: rec.recId, summary } });
    },
    (e: Error) => {
      if (recordings.get(ep) === rec) recordings.delete(ep);
      post({ kind: 'event', id: ep.id, event: { type: 'recording', recId: rec.recId, error: e.message } });
    },
  );
  runPacer();
}

function endPlayer(ep: RtpEndpoint, end: PlaybackEnd, digit?: DtmfSignal): void {
  const p = players.get(ep);
  if (!p) return;
  players.delete(ep);
  ep.generating = false;
  if (p.internal) {
    regenerated.delete(ep);
    return; // the relay's own playback (regenerated keys): nobody waits for it
  }
  const error = p.failure();
  const position = p.player.position();
  post({
    kind: 'event',
    id: ep.id,
    event: {
      type: 'playback',
      playId: p.player.playId,
      end,
      ...(digit ? { digit } : {}),
      ...(error ? { error } : {}),
      ...(position ? { position } : {}),
    },
  });
}

/**
 * Keys between legs that signal them differently: a bridged peer that negotiated
 * no telephone-event hears the key as tones in its audio (played for as long as
 * the key is held), so a caller's RFC 4733 key still works on an old phone or trunk.
 */
const regenerated = new Map<RtpEndpoint, DtmfToneSource>();
function regenerate(ep: RtpEndpoint, e: Extract<EndpointEvent, { type: 'dtmf' }>): void {
  const peer = peers.get(ep);
  if (!peer?.remote) return;
  if (peer.remote.telephoneEventPt !== null) {
    // Keys heard as tones on a leg without telephone-event reach an RFC 4733 peer as
    // events (RFC 4733 ones are forwarded as they are).
    if (ep.remote?.recvTelephoneEventPt !== null) return;
    if (e.phase === 'start') sendKey(peer, e.digit, MIN_KEY_MS);
    else keySenders.get(peer)?.release();
    return;
  }
  if (e.digit === 'flash') return;
  if (e.phase === 'start') {
    const source = new DtmfToneSource(e.digit);
    regenerated.set(peer, source);
    startPlayer(new Player(peer, source, 0, false), () => null, true);
  } else regenerated.get(peer)?.release();
}

/** Keys sent into legs as telephone-events, one at a time per leg, paced like players. */
const keySenders = new Map<RtpEndpoint, KeySender>();
/** The shortest key sent (RFC 4733 receivers and tone detectors want ~40 ms or more). */
const MIN_KEY_MS = 100;

/**
 * Starts a key into `ep`: RFC 4733 events where it negotiated telephone-event, else
 * tones in its audio. Held until the returned handle is released (at least `minMs`);
 * while it lasts the leg hears nothing else, so the key is not heard twice.
 */
function sendKey(ep: RtpEndpoint, signal: DtmfSignal, minMs: number): { release(): void } {
  const ms = Math.min(Math.max(minMs, MIN_KEY_MS), 5000);
  if (ep.remote?.telephoneEventPt === null || ep.remote?.telephoneEventPt === undefined) {
    if (signal === 'flash') return { release: () => {} };
    const source = new DtmfToneSource(signal, ms);
    startPlayer(new Player(ep, source, 0, false), () => null, true);
    return source;
  }
  endKey(ep);
  const k = new KeySender(ep, signal, ms);
  keySenders.set(ep, k);
  ep.generating = true;
  runPacer();
  return k;
}

function endKey(ep: RtpEndpoint): void {
  if (!keySenders.delete(ep)) return;
  ep.generating = players.has(ep);
}

function bargeIn(ep: RtpEndpoint, digit: DtmfSignal): void {
  const p = players.get(ep);
  if (p?.player.bargeIn) endPlayer(ep, 'interrupted', digit);
}

// Keys whose end packets were lost are ended by timeout (RFC 4733 receivers must cope).
setInterval(() => {
  for (const ep of endpoints.values()) ep.tick();
}, 200).unref();

port.on('message', (batch: ToWorker[]) => {
  for (const m of batch) void handle(m);
});

post({ kind: 'ready', capacity: pool.capacity });
