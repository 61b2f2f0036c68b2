/**
 * One call's CDR row as a call writes it: opened at the INVITE, then the answer
 * and the end queued behind it (the call log batches them). A write that fails
 * is logged, never thrown into SIP; `flushed()` waits for all queued so far.
 */
import type { Logger } from 'pino';
import type { CallEnd, CallLog, CallStart } from '../store/repositories/calls.js';
import type { LiveCall, PbxEvents } from './events.js';

/**
 * How long a new call waits at most for its row before it rings anyone or is answered (see
 * `recorded`): the call log's batch window and one insert normally take ~10-20 ms.
 */
const ROW_WAIT_MS = 1000;

export class CallRecord {
  private readonly id: string;
  private writes: Promise<void>;
  /** The row's first write (settles, never rejects, when it is in the database or failed). */
  private readonly openWrite: Promise<void>;
  /** The call as live views see it (events carry it). */
  private readonly live: LiveCall;
  private readonly offeredTo = new Set<string>();
  /** The caller's name found after the row opened (phonebook, CRM): written when the row closes. */
  private callerName: string | null = null;

  constructor(
    private readonly log: CallLog,
    private readonly logger: Logger,
    private readonly start: CallStart,
    private readonly events: PbxEvents | null = null,
    at = new Date(),
  ) {
    const row = log.open(start, at);
    this.id = row.id;
    this.openWrite = row.written.catch((e: unknown) => logger.error({ err: e }, 'CDR open failed'));
    this.writes = this.openWrite;
    this.live = {
      id: row.id,
      caller: start.caller,
      callerName: start.callerName,
      callee: start.callee,
      state: 'ringing',
      startedAt: at.toISOString(),
      answeredAt: null,
    };
    events?.emit({ type: 'call.started', tenantId: start.tenantId, call: { ...this.live } });
  }

  /**
   * Resolves once the row is in the database (or its write failed), or after ROW_WAIT_MS. A
   * call waits for it before it rings anyone or answers: once a phone has heard of the call from this node,
   * the node may be killed and the row must still be there (DESIGN.md §5; the call log holds
   * writes for a few ms to batch them). Bounded, so a database outage slows calls down
   * without stopping them (the row is written when the database is back).
   */
  recorded(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.openWrite,
      new Promise<void>((r) => {
        timer = setTimeout(r, ROW_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** The call's row id (recordings and events point at it). */
  get callId(): string {
    return this.id;
  }

  /** The row of a call from `caller` to `callee` started by `invite` on this node. */
  static of(
    ctx: { callLog: CallLog; log: Logger; node: string; events?: PbxEvents | null },
    invite: { headers: { get(name: string): string | undefined } },
    caller: { tenantId: string; number: string; displayName: string },
    callee: { number: string },
  ): CallRecord {
    return new CallRecord(
      ctx.callLog,
      ctx.log,
      {
        tenantId: caller.tenantId,
        sipCallId: invite.headers.get('Call-ID') ?? '',
        caller: caller.number,
        callerName: caller.displayName,
        callee: callee.number,
        direction: 'internal',
        node: ctx.node,
      },
      ctx.events ?? null,
    );
  }

  /** An extension is about to be rung for this call (once per extension). */
  offered(extension: string): void {
    if (this.offeredTo.has(extension)) return;
    this.offeredTo.add(extension);
    this.events?.emit({
      type: 'call.offered',
      tenantId: this.start.tenantId,
      call: { ...this.live },
      extension,
    });
  }

  /** The call picked up a tag (once per tag). */
  tagged(tag: string): void {
    const tags = this.live.tags ?? [];
    if (tags.includes(tag)) return;
    this.live.tags = [...tags, tag];
    this.events?.emit({ type: 'call.tagged', tenantId: this.start.tenantId, call: { ...this.live }, tag });
  }

  /** The caller turned out to be someone known: live views hear the name now, the row at the end. */
  identified(name: string): void {
    this.callerName = name;
    this.live.callerName = name;
  }

  answered(at: Date): void {
    this.live.state = 'answered';
    this.live.answeredAt = at.toISOString();
    this.events?.emit({ type: 'call.answered', tenantId: this.start.tenantId, call: { ...this.live } });
    this.queue((id) => this.log.answered(id, at));
  }

  /** Closes the row; `end` may still be coming (the relay's quality figures arrive from its worker). */
  ended(at: Date, end: Promise<CallEnd>): void {
    // Live views hear of the end even if the figures never come.
    void end.then(
      (e) => this.reportEnd(at, e.cause),
      () => this.reportEnd(at, 'error'),
    );
    this.queue((id) =>
      end.then((e) =>
        this.log.close(id, at, this.callerName === null ? e : { ...e, callerName: this.callerName }),
      ),
    );
  }

  private reportEnd(at: Date, cause: string): void {
    this.events?.emit({
      type: 'call.ended',
      tenantId: this.start.tenantId,
      call: { ...this.live },
      cause,
      endedAt: at.toISOString(),
    });
  }

  private queue(fn: (id: string) => Promise<void>): void {
    const write = fn(this.id).catch((e: unknown) => this.logger.error({ err: e }, 'CDR write failed'));
    this.writes = Promise.all([this.writes, write]).then(() => {});
  }

  async flushed(): Promise<void> {
    await this.writes;
  }
}
