/**
 * What every destination kind's step works with: the call being routed, what
 * changes by the second on the SIP side (registrations, who is on the phone,
 * the clocks), and small helpers the kinds share.
 */

import type { PlaybackResult } from '../../media/engine.js';
import type { RecordingSummary } from '../../media/protocol.js';
import type { Clock } from '../../sip/transaction/clock.js';
import type { CallParty, Release, RingOptions, RingOutcome, RingTarget } from '../call.js';
import type { CallerIdentity } from '../caller-lookup.js';
import type { ExtensionEntry, RoutingEntry, TenantEntry } from '../directory.js';
import type { Binding } from '../location.js';
import type { QueueEngine } from '../queue/engine.js';
import type { OutboundEnv } from './external.js';
import type { Destination } from './types.js';

/** What the router needs of a call (a B2BUA `Call`). */
export interface RoutedCall {
  readonly caller: CallParty;
  /** Who the caller is by the phonebook or a CRM (set before routing; absent: nobody knows). */
  readonly identity?: CallerIdentity | null;
  readonly state: 'ringing' | 'answered' | 'ended';
  ring(targets: RingTarget[], opts: RingOptions): Promise<RingOutcome>;
  finish(status: number, cause: string, reason?: string): void;
  step(s: { kind: string; id: string | null; name: string; outcome: string }): void;
  /**
   * The router takes the call into a routing object (a queue, an inbound route…), before
   * its step is logged: recording policy reads where an answered call came through.
   */
  entered?(kind: string, id: string): void;
  /** An extension is about to be rung (live views, push to a closed portal). */
  offered(extension: string): void;
  /** The PBX answers the caller itself (queues, menus); false without anchored media. */
  answerEarly(): boolean;
  /** The PBX has answered the caller already (an earlier menu did). */
  readonly answeredByPbx: boolean;
  /** Tags the call (IVR menus and choices): on the CDR and in events. */
  tag(t: string): void;
  /** The call goes out through (or came in on) a carrier's trunk: the CDR says which. */
  throughTrunk(name: string, direction: 'inbound' | 'outbound'): void;
  /** What a leg through a trunk cost by the rate deck (minor units): summed on the CDR. */
  addCost(minor: number): void;
  playToCaller(files: string[], opts?: { bargeIn?: boolean }): Promise<PlaybackResult>;
  /** The caller's next key; null after the timeout, at hang-up, or once `stop` settles. */
  nextKey(timeoutMs: number, stop?: Promise<unknown>): Promise<string | null>;
  /** Music on hold to the caller until the returned function is called (or someone answers). */
  musicToCaller(): () => void;
  /** Stops whatever the caller hears from the PBX (music, a prompt). */
  silenceCaller(): void;
  onEnded(fn: () => void): void;
  /** What the answering party holds until it leaves (a trunk channel), even if a transfer moves it on. */
  holdUntilEnd(release: Release): void;
  /** Ends the call from the PBX's side once answered (a cap was reached): BYE to both parties. */
  cutOff(cause: string): void;
  /** Records what the caller says (voicemail) into a WAV at `path`; resolves when the file is in place. */
  recordCaller(
    path: string,
    opts: { maxDurationMs: number; silence?: { afterMs: number } },
  ): Promise<{ summary?: RecordingSummary; error?: string }>;
  /** Ends a recording of the caller early (the caller pressed #). */
  stopRecordingCaller(): void;
  /** The beep before a recording, in the caller's tones. */
  beepToCaller(): Promise<PlaybackResult>;
}

/** Leaving a voicemail: the mailbox's step (null: voicemail is not running on this node). */
export interface VoicemailDeposit {
  deposit(
    ctx: StepContext,
    call: RoutedCall,
    d: { id: string; greeting?: 'busy' | 'unavailable' },
  ): Promise<Destination | null>;
}

/** What changes by the second, from the SIP side. */
export interface RouterEnv {
  bindingsOf(tenantId: string, number: string): Binding[];
  /** On a call now (answered, as caller or callee). */
  isBusy(tenantId: string, number: string): boolean;
  /** Wall-clock time: what calendars are read at. */
  now(): Date;
  /** Milliseconds on the call clock: how long a group has rung. */
  ms(): number;
  random(): number;
  /** Memory hunt: the member index a group rang last (per node; shared through Redis with clustering). */
  memory: Map<string, number>;
  /** The call clock's timers (queue waits, announcements). */
  clock: Clock;
  /** Call queues (null: no media engine, so no caller can wait). */
  queues: QueueEngine | null;
  /** Voicemail (null or absent: no media engine or no voicemail folder). */
  voicemail?: VoicemailDeposit | null;
  /** A WAV file saying `text` (IVR greetings typed as text), made by the TTS on first use. */
  spoken(text: string, lang: 'en' | 'ru'): Promise<string>;
  /** Where one of the tenant's audio files is (null: this node keeps none). */
  audioFile(tenantId: string, id: string): string | null;
  /** Trunks and external-call limits (null or absent: external numbers are not reachable). */
  outbound?: OutboundEnv | null;
  /** The tenant's phonebook contacts (dial by name finds those on internal numbers); absent: none. */
  contacts?: (tenantId: string) => readonly { name: string; numbers: readonly { number: string }[] }[];
}

/** One routing step's view of the world. */
export interface StepContext {
  env: RouterEnv;
  tenant: TenantEntry;
  /** The call came in through an inbound route: its caller is "external" to status rules. */
  external: boolean;
  markExternal(): void;
}

/** A routing kind's step: where the call goes next, or null when it is answered or over. */
export type KindStep = (
  ctx: StepContext,
  call: RoutedCall,
  obj: RoutingEntry,
) => Promise<Destination | null> | Destination | null;

/** An extension's phones as one ring target. */
export function ringTarget(
  tenant: TenantEntry,
  ext: ExtensionEntry,
  bindings: Binding[],
  delaySec: number,
  timeoutSec: number,
): RingTarget {
  return {
    party: { tenantId: tenant.id, number: ext.number, displayName: ext.displayName, domain: tenant.domain },
    bindings,
    delaySec,
    timeoutSec,
  };
}

/** A destination deleted since it was configured (the API refuses that, but a race is possible). */
export function missing(call: RoutedCall, kind: string, id: string): null {
  call.step({ kind, id, name: 'missing', outcome: 'not found' });
  call.finish(404, 'failed', 'Not Found');
  return null;
}
