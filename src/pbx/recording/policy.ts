/**
 * Whether an answered call is recorded, from the opinions of everything it went
 * through: each extension on it (its choice for this kind of call, seen from that
 * extension: the caller's outbound, the callee's inbound; internal or external),
 * and the queues and inbound routes on its way ('always' or 'never' when set).
 *
 * - any 'never' wins: nobody records it, not even on demand (an HR line, a
 *   manager's private calls: privacy is chosen deliberately);
 * - else any 'always' records it from the answer, and the extensions on it may
 *   pause and resume (a customer reading out card details);
 * - else the extensions whose choice is 'onDemand' may start it with the code.
 */
import type { ExtensionRecording, RecordingChoice } from '../../store/schema.js';

export type Side = 'A' | 'B';

export interface RecordingOpinion {
  choice: RecordingChoice;
  /** The side an extension's opinion belongs to (its party may key the code); none for routes and queues. */
  side?: Side;
}

export interface RecordingDecision {
  /** Record from the answer. */
  always: boolean;
  /** Sides whose party may start, pause and resume the recording with the in-call code. */
  controlBy: Side[];
}

export function decide(opinions: readonly RecordingOpinion[]): RecordingDecision {
  if (opinions.some((o) => o.choice === 'never')) return { always: false, controlBy: [] };
  const always = opinions.some((o) => o.choice === 'always');
  const sides = opinions
    .filter((o) => o.side && (always || o.choice === 'onDemand'))
    .map((o) => o.side as Side);
  return { always, controlBy: [...new Set(sides)] };
}

/** An extension's choice for a call it makes (`outbound`) or takes, internal or external. */
export function extensionChoice(
  r: ExtensionRecording,
  outbound: boolean,
  external: boolean,
): RecordingChoice {
  if (outbound) return external ? r.outboundExternal : r.outboundInternal;
  return external ? r.inboundExternal : r.inboundInternal;
}

/** The key sequence that starts, pauses and resumes a recording during a call. */
export const IN_CALL_RECORD_CODE = '*1';
