/**
 * A blind transfer to a number that is not one extension — a ring group, a
 * queue, an IVR menu, a mailbox, an outside number — runs through the router
 * like a new call: this is the transferee as the router sees a caller. Rounds
 * ring through the transfer's ringer (the first to answer takes the
 * transferor's place); a queue, menu or mailbox "answers early": the transferor
 * is let go and the PBX holds the transferee alone, playing and listening on
 * its side of the relay until someone answers or the caller hangs up.
 */
import type { PlaybackResult } from '../media/engine.js';
import type { RecordingSummary } from '../media/protocol.js';
import type { Call, CallParty, HeldParty, Release, RingOptions, RingOutcome, RingTarget } from './call.js';
import type { RoutedCall } from './routing/context.js';
import type { TransferRinger } from './transfer.js';

export class RoutedTransfer implements RoutedCall {
  private outcome: 'ringing' | 'answered' | 'ended' = 'ringing';
  /** Set once the PBX holds the transferee (answerEarly). */
  private held: HeldParty | null = null;

  constructor(
    private readonly ringer: TransferRinger,
    private readonly call: Call,
  ) {
    call.onEnded(() => {
      this.outcome = 'ended';
    });
  }

  get caller(): CallParty {
    return this.call.partyOf(this.ringer.transferee);
  }

  get state(): 'ringing' | 'answered' | 'ended' {
    return this.call.state === 'ended' ? 'ended' : this.outcome;
  }

  get answeredByPbx(): boolean {
    return this.held !== null;
  }

  async ring(targets: RingTarget[], opts: RingOptions): Promise<RingOutcome> {
    if (this.state !== 'ringing') return { kind: 'ended' };
    if (this.held) this.ringer.reopen();
    const outcome = await this.ringer.ring(targets, opts.timeoutSec);
    if (outcome.kind === 'answered') {
      // Whatever the PBX was playing (a queue's music) stops: the transferee talks to whoever answered.
      this.held?.silence();
      this.outcome = 'answered';
    }
    return outcome;
  }

  finish(status: number, cause: string, reason?: string): void {
    if (this.outcome !== 'ringing') return;
    this.outcome = 'ended';
    if (this.held) {
      // The PBX held the transferee and nobody took it: the caller is let go.
      this.call.hangup(this.ringer.transferee, cause);
      return;
    }
    this.ringer.failed(status, reason ?? 'Temporarily Unavailable');
  }

  step(s: { kind: string; id: string | null; name: string; outcome: string }): void {
    this.call.step(s);
  }

  offered(extension: string): void {
    this.call.offered(extension);
  }

  answerEarly(): boolean {
    if (this.held) return true;
    if (this.state !== 'ringing') return false;
    const held = this.call.heldParty(this.ringer.transferee);
    if (!held) return false;
    this.held = held;
    this.ringer.handedToPbx();
    return true;
  }

  tag(t: string): void {
    this.call.tag(t);
  }

  throughTrunk(name: string, direction: 'inbound' | 'outbound'): void {
    this.call.throughTrunk(name, direction);
  }

  addCost(minor: number): void {
    this.call.addCost(minor);
  }

  playToCaller(files: string[], opts?: { bargeIn?: boolean }): Promise<PlaybackResult> {
    return this.held ? this.held.play(files, opts) : Promise.resolve({ end: 'closed' });
  }

  nextKey(timeoutMs: number, stop?: Promise<unknown>): Promise<string | null> {
    return this.held ? this.held.nextKey(timeoutMs, stop) : Promise.resolve(null);
  }

  musicToCaller(): () => void {
    return this.held ? this.held.music() : () => {};
  }

  silenceCaller(): void {
    this.held?.silence();
  }

  onEnded(fn: () => void): void {
    this.call.onEnded(fn);
  }

  cutOff(cause: string): void {
    this.call.cutOff(cause);
  }

  holdUntilEnd(release: Release): void {
    // Whoever answers takes the transferor's side.
    this.call.holdUntilEnd(release, this.ringer.side);
  }

  recordCaller(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }> {
    return this.held ? this.held.record(path, opts) : Promise.resolve({ error: 'not held by the PBX' });
  }

  stopRecordingCaller(): void {
    this.held?.stopRecording();
  }

  beepToCaller(): Promise<PlaybackResult> {
    return this.held ? this.held.beep() : Promise.resolve({ end: 'closed' });
  }
}
