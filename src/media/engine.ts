/**
 * The media engine as the PBX sees it: endpoints (one per call leg) opened on
 * worker threads, each worker owning an equal slice of the RTP port range. The
 * engine picks the least loaded worker for a new call, and the same worker for
 * every further endpoint of that call (`near`), since bridged endpoints must
 * share a thread to exchange packets without copies.
 *
 * Lifecycle (as in mediasoup): `close()` is idempotent; closing the engine
 * closes every endpoint; a worker that dies fails its endpoints' pending
 * requests and is replaced, and its endpoints report `closed`.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker-thread.js';
import type { DtmfSignal } from './dtmf/digits.js';
import type { PlayPosition } from './play/sources.js';
import type {
  EndpointEvent,
  FromWorker,
  PlaybackEnd,
  RecordingSummary,
  RecordOptions,
  ToneRequest,
  ToWorker,
  WorkerConfig,
} from './protocol.js';
import type { LegStats, RemoteMedia } from './rtp/endpoint.js';

export type { LegStats, RemoteMedia } from './rtp/endpoint.js';

export interface MediaEngineOptions {
  /** Address the RTP sockets bind to (0.0.0.0 for all). */
  bindAddress: string;
  /** Address written into SDP (c=). */
  advertiseAddress: string;
  portMin: number;
  portMax: number;
  workers: number;
  /** SDES CNAME (RFC 3550 §6.5.1) of this node. */
  cname?: string;
  /**
   * SDES-SRTP for legs whose signalling is protected (NIMBUS_MEDIA_ENCRYPTION): 'off',
   * 'optional' (taken when offered; default) or 'required'. The engine only carries it
   * for the call layer, which decides per leg.
   */
  mediaEncryption?: 'off' | 'optional' | 'required';
  /** Called when a worker dies unexpectedly (it is restarted). */
  onWorkerError?: (index: number, err: Error) => void;
}

export class MediaError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

interface Pending {
  resolve(m: Extract<FromWorker, { kind: 'reply' }>): void;
  reject(e: Error): void;
}

class WorkerSlot {
  worker!: Worker;
  ready!: Promise<void>;
  readonly pending = new Map<number, Pending>();
  readonly endpoints = new Map<number, MediaEndpoint>();
  capacity = 0;
  stopping = false;

  constructor(
    readonly config: WorkerConfig,
    private readonly onDied: (slot: WorkerSlot, err: Error) => void,
  ) {
    this.spawn();
  }

  spawn(): void {
    const worker = startWorker(new URL('./worker.js', import.meta.url), { workerData: this.config });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const early = (e: Error) => reject(e);
      worker.once('error', early);
      worker.on('message', (batch: FromWorker[]) => {
        for (const m of batch) {
          if (m.kind === 'ready') {
            this.capacity = m.capacity;
            worker.off('error', early);
            worker.on('error', (e) => this.died(e));
            resolve();
          } else this.onMessage(m);
        }
      });
    });
    worker.on('exit', (code) => {
      if (!this.stopping) this.died(new Error(`media worker ${this.config.index} exited with code ${code}`));
    });
  }

  private died(err: Error): void {
    if (this.stopping) return;
    for (const p of this.pending.values()) p.reject(new MediaError(err.message, 'worker-died'));
    this.pending.clear();
    for (const ep of this.endpoints.values()) ep.lost();
    this.endpoints.clear();
    this.onDied(this, err);
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'reply' || m.kind === 'error') {
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      if (m.kind === 'reply') p.resolve(m);
      else p.reject(new MediaError(m.message, m.code));
    } else if (m.kind === 'event') {
      this.endpoints.get(m.id)?.emit(m.event);
    }
  }

  /**
   * Commands go out in one message per turn of the event loop: a call's set-up
   * issues several (remote, bridge, play...), and each postMessage has a fixed
   * cost (structured clone, a wake-up of the worker) that dominates small ones.
   */
  post(m: ToWorker): void {
    this.outbox.push(m);
    if (this.outbox.length === 1) queueMicrotask(this.flush);
  }

  private readonly outbox: ToWorker[] = [];
  private readonly flush = (): void => {
    const batch = this.outbox.splice(0);
    if (batch.length) this.worker.postMessage(batch);
  };
}

let nextRid = 1;

export class MediaEngine {
  private readonly slots: WorkerSlot[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(readonly options: MediaEngineOptions) {}

  static async start(options: MediaEngineOptions): Promise<MediaEngine> {
    const engine = new MediaEngine(options);
    const n = Math.max(1, options.workers);
    const pairs = Math.floor((options.portMax - options.portMin + 1) / 2);
    if (pairs < n)
      throw new RangeError(
        `RTP port range ${options.portMin}-${options.portMax} is too small for ${n} workers`,
      );
    const per = Math.floor(pairs / n);
    const base = options.portMin % 2 === 0 ? options.portMin : options.portMin + 1;
    for (let i = 0; i < n; i++) {
      const portMin = base + i * per * 2;
      const portMax = i === n - 1 ? options.portMax : portMin + per * 2 - 1;
      const config: WorkerConfig = {
        index: i,
        bindAddress: options.bindAddress,
        portMin,
        portMax,
        cname: options.cname ?? `nimbus@${options.advertiseAddress}`,
      };
      engine.slots.push(new WorkerSlot(config, (slot, err) => engine.restart(slot, err)));
    }
    try {
      await Promise.all(engine.slots.map((s) => s.ready));
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }

  private restart(slot: WorkerSlot, err: Error): void {
    this.options.onWorkerError?.(slot.config.index, err);
    if (this.closed) return;
    slot.stopping = true;
    void slot.worker.terminate();
    slot.stopping = false;
    slot.spawn();
    slot.ready.catch(() => {});
  }

  get address(): string {
    return this.options.advertiseAddress;
  }

  /**
   * Where a process on this host reaches the relay's ports (the WebRTC gateway's plain
   * side): the bind address, or loopback when bound to all interfaces. The advertised
   * address may be a NAT's, which this host cannot send to.
   */
  get localAddress(): string {
    const b = this.options.bindAddress;
    return b === '0.0.0.0' || b === '' ? '127.0.0.1' : b === '::' ? '::1' : b;
  }

  /** Endpoints open per worker (for health and tests). */
  load(): number[] {
    return this.slots.map((s) => s.endpoints.size);
  }

  request(slot: WorkerSlot, m: ToWorker & { rid: number }): Promise<Extract<FromWorker, { kind: 'reply' }>> {
    return new Promise((resolve, reject) => {
      slot.pending.set(m.rid, { resolve, reject });
      slot.post(m);
    });
  }

  /**
   * Opens an endpoint: a fresh RTP/RTCP port pair. `near` puts it on the same
   * worker as an endpoint it will be bridged to.
   */
  async open(near?: MediaEndpoint | { room: string } | WorkerSlot): Promise<MediaEndpoint> {
    if (this.closed) throw new MediaError('media engine is closed', 'closed');
    const slot =
      (near instanceof MediaEndpoint
        ? near.slot
        : near instanceof WorkerSlot
          ? near
          : near
            ? this.roomSlot(near.room)
            : undefined) ?? this.leastLoaded();
    await slot.ready;
    const id = this.nextId++;
    const reply = await this.request(slot, { op: 'open', rid: nextRid++, id });
    const ep = new MediaEndpoint(this, slot, id, reply.port ?? 0);
    slot.endpoints.set(id, ep);
    return ep;
  }

  private leastLoaded(): WorkerSlot {
    return this.slots.reduce(
      (best, s) => (s.endpoints.size < best.endpoints.size ? s : best),
      this.slots[0]!,
    );
  }

  /** Two endpoints of one call on the same worker, opened at once (one round trip, not two). */
  async openPair(): Promise<[MediaEndpoint, MediaEndpoint]> {
    const slot = this.leastLoaded();
    const [a, b] = await Promise.allSettled([this.open(slot), this.open(slot)]);
    if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
    if (a.status === 'fulfilled') await a.value.close();
    if (b.status === 'fulfilled') await b.value.close();
    throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
  }

  /**
   * The worker a conference room lives on: every member's endpoint is opened there
   * (`open({ room })`), so the mixer sees all of them without copying audio between
   * threads. Rooms are spread over the workers by name.
   */
  roomSlot(room: string): WorkerSlot {
    let h = 0;
    for (let i = 0; i < room.length; i++) h = (h * 31 + room.charCodeAt(i)) >>> 0;
    return this.slots[h % this.slots.length]!;
  }

  /** Closes every endpoint and stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        s.stopping = true;
        try {
          await Promise.race([
            s.ready.then(() => this.request(s, { op: 'shutdown', rid: nextRid++ })),
            new Promise((r) => setTimeout(r, 1000)),
          ]);
        } catch {
          // A worker that already died has nothing left to close.
        }
        for (const ep of s.endpoints.values()) ep.lost();
        s.endpoints.clear();
        await s.worker.terminate();
      }),
    );
  }
}

export type EndpointListener = (e: EndpointEvent | { type: 'closed' }) => void;

export interface PlaybackResult {
  end: PlaybackEnd | 'closed';
  /** The key that interrupted it (barge-in). */
  digit?: DtmfSignal;
  /** Files that could not be played, when some could not. */
  error?: string;
  /** Where a file playlist stopped (file index, sample offset), to resume from. */
  position?: PlayPosition;
}

let nextPlayId = 1;

/** One leg's media port, as handled from the PBX thread. */
export class MediaEndpoint {
  private isClosed = false;
  private final: Promise<LegStats | null> | null = null;
  private listeners: EndpointListener[] = [];

  constructor(
    private readonly engine: MediaEngine,
    /** @internal */ readonly slot: WorkerSlot,
    readonly id: number,
    readonly port: number,
  ) {}

  get address(): string {
    return this.engine.address;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  on(listener: EndpointListener): void {
    this.listeners.push(listener);
  }

  /** @internal */ emit(e: EndpointEvent | { type: 'closed' }): void {
    for (const l of this.listeners) l(e);
  }

  /** @internal The worker went away: the endpoint is gone without final figures. */
  lost(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.final ??= Promise.resolve(null);
    this.emit({ type: 'closed' });
  }

  /** Where this leg's media goes, from its SDP; a change reopens the latch. */
  setRemote(remote: RemoteMedia): void {
    if (!this.isClosed) this.slot.post({ op: 'remote', id: this.id, remote });
  }

  /** Joins this leg and `other` (both ways). They must be on the same worker (`open(near)`). */
  bridge(other: MediaEndpoint): void {
    if (other.slot !== this.slot)
      throw new MediaError('bridged endpoints must share a worker', 'cross-worker');
    if (!this.isClosed && !other.isClosed) this.slot.post({ op: 'bridge', a: this.id, b: other.id });
  }

  /**
   * Plays WAV files back to back (or a tone) into this leg; while it plays, bridged
   * audio to this leg pauses. Resolves when it ends: played out, cut short by a key
   * when `bargeIn`, replaced or stopped, or the endpoint closed.
   */
  play(
    what: { files: string[] } | { tone: ToneRequest },
    opts: { bargeIn?: boolean } = {},
  ): Promise<PlaybackResult> {
    if (this.isClosed) return Promise.resolve({ end: 'closed' });
    const playId = nextPlayId++;
    return new Promise((resolve) => {
      const listener: EndpointListener = (e) => {
        if (e.type === 'closed') finish({ end: 'closed' });
        else if (e.type === 'playback' && e.playId === playId)
          finish({
            end: e.end,
            ...(e.digit ? { digit: e.digit } : {}),
            ...(e.error ? { error: e.error } : {}),
            ...(e.position ? { position: e.position } : {}),
          });
      };
      const finish = (r: PlaybackResult) => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(r);
      };
      this.listeners.push(listener);
      this.slot.post({ op: 'play', id: this.id, playId, ...what, bargeIn: opts.bargeIn ?? false });
    });
  }

  /**
   * Records this leg (with `options.peer`, both legs) into a WAV file at `path`;
   * resolves when the file is in place (hang-up, stop, maximum duration, silence,
   * or a key), or with `error` when it could not be written.
   */
  record(
    path: string,
    options: Omit<RecordOptions, 'peer'> & { peer?: MediaEndpoint },
  ): Promise<{ summary?: RecordingSummary; error?: string }> {
    if (this.isClosed) return Promise.resolve({ error: 'endpoint closed' });
    if (options.peer && options.peer.slot !== this.slot)
      return Promise.resolve({ error: 'both legs of a recording must share a worker' });
    const recId = nextPlayId++;
    return new Promise((resolve) => {
      const listener: EndpointListener = (e) => {
        if (e.type === 'recording' && e.recId === recId) {
          this.listeners = this.listeners.filter((l) => l !== listener);
          resolve({ ...(e.summary ? { summary: e.summary } : {}), ...(e.error ? { error: e.error } : {}) });
        }
      };
      this.listeners.push(listener);
      const { peer, ...rest } = options;
      const wire: RecordOptions = { ...rest, ...(peer ? { peer: peer.id } : {}) };
      this.slot.post({ op: 'record', id: this.id, recId, path, options: wire });
    });
  }

  stopRecording(reason: 'hangup' | 'dtmf' | 'explicit' = 'explicit'): void {
    if (!this.isClosed) this.slot.post({ op: 'stopRecord', id: this.id, reason });
  }

  /**
   * Sends a key into this leg (one that came as SIP INFO from the other phone):
   * RFC 4733 events if it negotiated telephone-event, else tones in its audio.
   */
  sendKey(signal: DtmfSignal, durationMs: number): void {
    if (!this.isClosed) this.slot.post({ op: 'key', id: this.id, signal, durationMs });
  }

  /** Pauses (or resumes) this leg's recording; paused audio is left out of the file. */
  pauseRecording(paused: boolean): void {
    if (!this.isClosed) this.slot.post({ op: 'pauseRecord', id: this.id, paused });
  }

  /** Puts this leg into conference `room` (it must have been opened with `open({ room })`). */
  joinConference(room: string, opts: { muted?: boolean; listenOnly?: boolean } = {}): void {
    if (this.engine.roomSlot(room) !== this.slot)
      throw new MediaError(`endpoint is not on the worker of room ${room}`, 'cross-worker');
    if (!this.isClosed) this.slot.post({ op: 'confJoin', id: this.id, room, ...opts });
  }

  leaveConference(): void {
    if (!this.isClosed) this.slot.post({ op: 'confLeave', id: this.id });
  }

  /** Muted members still hear the room; nobody hears them. */
  muteInConference(muted: boolean): void {
    if (!this.isClosed) this.slot.post({ op: 'confMute', id: this.id, muted });
  }

  /** Stops what is playing into this leg (its `play` resolves `stopped`). */
  stopPlayback(): void {
    if (!this.isClosed) this.slot.post({ op: 'stopPlay', id: this.id });
  }

  /** Loops the leg's own audio back to it (echo test); `unbridge` ends it. */
  echo(): void {
    if (!this.isClosed) this.slot.post({ op: 'echo', id: this.id });
  }

  unbridge(): void {
    if (!this.isClosed) this.slot.post({ op: 'unbridge', id: this.id });
  }

  async stats(): Promise<LegStats | null> {
    if (this.isClosed) return this.final;
    const reply = await this.engine.request(this.slot, { op: 'stats', rid: nextRid++, id: this.id });
    return reply.stats ?? null;
  }

  /** Releases the ports; resolves with the leg's final figures (null if the worker was lost). Idempotent. */
  close(): Promise<LegStats | null> {
    if (this.final) return this.final;
    this.isClosed = true;
    // Kept reachable until the worker answers: a recording's result comes just before.
    this.final = this.engine
      .request(this.slot, { op: 'close', rid: nextRid++, id: this.id })
      .then((r) => r.stats ?? null)
      .catch(() => null)
      .finally(() => this.slot.endpoints.delete(this.id));
    this.emit({ type: 'closed' });
    return this.final;
  }
}
