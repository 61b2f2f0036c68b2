/**
 * Call recording as the PBX does it. When a call is answered the service reads
 * the policy (policy.ts) from the tenant's snapshot and the call's route; a call
 * recorded by policy starts at once, and the parties allowed to may key `*1`
 * during the call: the first time starts an on-demand recording, then each time
 * pauses or resumes it. The caller's leg and the callee's are recorded together
 * (one mixed channel, or stereo with the caller on the left), on local disk first;
 * the finished file goes to its storage and its row is marked stored.
 *
 * A recording's row is written when it starts, so a node that dies leaves rows
 * `recover()` settles at the next start from the `.part` files it finds.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { MediaEndpoint } from '../../media/engine.js';
import { promptFiles } from '../../media/prompts.js';
import { recoverRecordings } from '../../media/record/recover.js';
import type { ToneRegion } from '../../media/tones.js';
import type { RecordingLog } from '../../store/repositories/recordings.js';
import type { Recording } from '../../store/schema.js';
import type { Directory, TenantEntry } from '../directory.js';
import { decide, extensionChoice, IN_CALL_RECORD_CODE, type RecordingOpinion, type Side } from './policy.js';
import type { RecordingStorage } from './storage.js';

/** What the service needs to know of an answered call. */
export interface RecordableCall {
  readonly tenantId: string;
  /** The call's CDR id. */
  readonly callId: string;
  readonly callerNumber: string;
  readonly calleeNumber: string;
  readonly direction: 'internal' | 'inbound' | 'outbound';
  /** The routing objects the call was taken into, in order (queues and inbound routes have a say). */
  readonly visited: readonly { kind: string; id: string }[];
  readonly tones: ToneRegion;
  /** The relay endpoints facing the caller (A) and the callee (B); null without anchored media. */
  endpoints(): { A: MediaEndpoint; B: MediaEndpoint } | null;
}

/** A call's recording control: fed the keys that come as SIP INFO (the relay reports the others itself). */
export interface InCallRecorder {
  key(side: Side, digit: string): void;
  /** What the call's record says of it (for tests and live views). */
  readonly state: 'idle' | 'recording' | 'paused' | 'done';
}

export interface RecordingServiceOptions {
  node: string;
  log: RecordingLog;
  storage: RecordingStorage;
  directory: Directory;
  logger: Logger;
  /** The longest a single recording runs (default 4 h). */
  maxDurationMs?: number;
  /** The time allowed between the two keys of the code (default 3 s). */
  codeGapMs?: number;
}

/** Queue and inbound-route settings carry an optional `recording: 'always' | 'never'`. */
function routingChoice(config: unknown): 'always' | 'never' | null {
  const r = (config as { recording?: unknown } | null)?.recording;
  return r === 'always' || r === 'never' ? r : null;
}

export class RecordingService {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: RecordingServiceOptions) {}

  /** The opinions about `call` of everything it went through. */
  opinions(tenant: TenantEntry, call: RecordableCall): RecordingOpinion[] {
    const out: RecordingOpinion[] = [];
    const external = call.direction !== 'internal';
    const caller = tenant.extensions.get(call.callerNumber);
    if (caller) out.push({ choice: extensionChoice(caller.recording, true, external), side: 'A' });
    const callee = tenant.extensions.get(call.calleeNumber);
    if (callee) out.push({ choice: extensionChoice(callee.recording, false, external), side: 'B' });
    const seen = new Set<string>();
    for (const s of call.visited) {
      if ((s.kind !== 'queue' && s.kind !== 'inboundRoute') || seen.has(s.id)) continue;
      seen.add(s.id);
      const choice = routingChoice(tenant.routing.get(s.id)?.config);
      if (choice) out.push({ choice });
    }
    return out;
  }

  /** The call was answered: recorded now by policy, or controllable by its parties; null: neither. */
  answered(call: RecordableCall): InCallRecorder | null {
    const tenant = this.o.directory.tenantById(call.tenantId);
    const endpoints = call.endpoints();
    if (!tenant || !endpoints) return null;
    const decision = decide(this.opinions(tenant, call));
    if (!decision.always && decision.controlBy.length === 0) return null;
    const rec = new CallRecording(this, this.o, tenant, call, endpoints, decision.controlBy);
    if (decision.always) rec.start('policy');
    return rec;
  }

  /**
   * Deletes recordings past their tenant's retention (152-FZ / GDPR: kept no longer
   * than needed). Audio first, then the row, so a sweep cut short resumes. With
   * recordings on local disk each node sweeps only its own files.
   */
  async deleteExpired(now: Date, batch = 200): Promise<number> {
    let deleted = 0;
    for (;;) {
      const node = this.o.storage.kind === 'disk' ? this.o.node : null;
      const rows = await this.o.log.expired(now, batch, node);
      for (const r of rows) {
        await this.o.storage.remove(r.key);
        await this.o.log.markExpired(r.id);
        deleted++;
      }
      if (rows.length < batch) return deleted;
    }
  }

  /** Tracks a recording's finishing work so shutdown can wait for it. */
  track(p: Promise<void>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Waits for recordings that are being finished (uploaded, their rows written). */
  async flushed(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  /**
   * Rows this node left 'recording' (it died): a complete file or the worker's
   * `.part` file is kept (the placeholder header reads as audio to the end), else
   * the row is marked failed. Returns how many were kept.
   */
  async recover(): Promise<number> {
    const rows = await this.o.log.openOn(this.o.node);
    let kept = 0;
    for (const row of rows) if (await this.recoverOne(row)) kept++;
    return kept;
  }

  private async recoverOne(row: Recording): Promise<boolean> {
    const path = this.o.storage.localPath(row.key);
    try {
      // The worker's `.part` file gets its real sizes and its final name (a finished file stays).
      await recoverRecordings(dirname(path));
      const bytes = (await stat(path)).size;
      await this.o.storage.commit(row.key);
      // 8 kHz 16-bit: 16 bytes a ms per channel; the header is 44 bytes.
      const durationMs = Math.max(0, Math.floor((bytes - 44) / (row.mode === 'stereo' ? 32 : 16)));
      await this.o.log.stored(row.id, {
        endedAt: new Date(),
        durationMs,
        pausedMs: row.pausedMs,
        bytes,
        storage: this.o.storage.kind,
        key: row.key,
      });
      return true;
    } catch (e) {
      this.o.logger.warn({ err: e, recording: row.id }, 'recording could not be recovered');
      await this.o.log.failed(row.id, 'interrupted: the node stopped while recording');
      return false;
    }
  }
}

/** One answered call's recording: started by policy or by the code, paused and resumed, finished with the call. */
class CallRecording implements InCallRecorder {
  state: InCallRecorder['state'] = 'idle';
  /** Per side: when its '*' came (the code's first key). */
  private readonly starAt = new Map<Side, number>();

  constructor(
    private readonly service: RecordingService,
    private readonly o: RecordingServiceOptions,
    private readonly tenant: TenantEntry,
    private readonly call: RecordableCall,
    private readonly ep: { A: MediaEndpoint; B: MediaEndpoint },
    private readonly controlBy: readonly Side[],
  ) {
    // Keys the relay hears (RFC 4733, in-band) on the sides that may use the code.
    for (const side of controlBy)
      ep[side].on((e) => {
        if (e.type === 'dtmf' && e.phase === 'end') this.key(side, e.digit);
      });
  }

  key(side: Side, digit: string): void {
    if (!this.controlBy.includes(side) || this.state === 'done') return;
    const [first, second] = IN_CALL_RECORD_CODE;
    const now = Date.now();
    if (digit === first) {
      this.starAt.set(side, now);
      return;
    }
    const star = this.starAt.get(side);
    this.starAt.delete(side);
    if (digit !== second || star === undefined || now - star > (this.o.codeGapMs ?? 3000)) return;
    if (this.state === 'idle') this.start('onDemand');
    else this.setPaused(this.state === 'recording');
  }

  start(trigger: 'policy' | 'onDemand'): void {
    if (this.state !== 'idle') return;
    this.state = 'recording';
    const id = crypto.randomUUID();
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
    const key = `${this.call.tenantId}/${day}/${id}.wav`;
    const mode = this.tenant.recording.mode;
    const parties = [this.call.callerNumber, this.call.calleeNumber].filter((n) =>
      this.tenant.extensions.has(n),
    );
    const storage = this.o.storage;
    const work = (async () => {
      await storage.prepare(key);
      await this.o.log.open({
        id,
        tenantId: this.call.tenantId,
        callId: this.call.callId,
        node: this.o.node,
        trigger,
        mode,
        storage: storage.kind,
        key,
        caller: this.call.callerNumber,
        callee: this.call.calleeNumber,
        parties,
        startedAt: now,
      });
      // A policy recording is announced only if the tenant wants it; one a party started always is.
      if (trigger === 'onDemand' || this.tenant.recording.announce)
        this.announce(trigger === 'policy' ? 'call-recorded' : 'recording');
      const r = await this.ep.A.record(storage.localPath(key), {
        mode,
        peer: this.ep.B,
        maxDurationMs: this.o.maxDurationMs ?? 4 * 3600_000,
      });
      this.state = 'done';
      if (!r.summary) {
        await this.o.log.failed(id, r.error ?? 'not written');
        return;
      }
      await storage.commit(key);
      await this.o.log.stored(id, {
        endedAt: new Date(),
        durationMs: Math.round(r.summary.durationMs),
        pausedMs: r.summary.pausedMs,
        bytes: r.summary.bytes,
        storage: storage.kind,
        key,
      });
    })().catch(async (e: unknown) => {
      this.state = 'done';
      this.o.logger.error({ err: e, recording: id }, 'call recording failed');
      await this.o.log.failed(id, (e as Error).message).catch(() => {});
    });
    this.service.track(work);
  }

  private setPaused(paused: boolean): void {
    this.state = paused ? 'paused' : 'recording';
    this.ep.A.pauseRecording(paused);
    this.announce(paused ? 'recording-paused' : 'recording-resumed');
  }

  /** Both parties hear it (with announcements off, a beep tells them the code worked). */
  private announce(prompt: 'call-recorded' | 'recording' | 'recording-paused' | 'recording-resumed'): void {
    for (const ep of [this.ep.A, this.ep.B]) {
      const what = this.tenant.recording.announce
        ? { files: promptFiles([prompt], this.tenant.language) }
        : { tone: { region: this.call.tones, name: 'beep' as const } };
      void ep.play(what, { bargeIn: false });
    }
  }
}
