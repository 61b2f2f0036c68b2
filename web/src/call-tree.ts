/**
 * A call record as a tree: the routing steps it went through in order (inbound
 * route, IVR, queue, ring group, forward, transfer), each with the phones it rang
 * beneath it and what each did (answered, busy, declined, no answer, cancelled).
 *
 * The PBX logs a step when its outcome is known: a menu when a key is chosen, an
 * extension or a queue when it is answered or given up. So a leg belongs to the
 * first step that rings phones logged after the leg started (a leg starting in the
 * instant a step is logged is the next step's: a forward rings the next phone as
 * the first gives up). Legs with no such step (a call straight to a phone) sit at
 * the top.
 */
// The API's shapes, spelled out so this file stands alone (test/web runs it in Node).
export interface TreeInputLeg {
  number?: string;
  target: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  sipStatus: number | null;
}
export interface TreeInputStep {
  at: string;
  kind: string;
  id: string | null;
  name: string;
  outcome: string;
}
export interface TreeInput {
  startedAt: string;
  trail: readonly TreeInputStep[];
  legs: readonly TreeInputLeg[];
}

export type LegOutcome = 'answered' | 'busy' | 'declined' | 'noAnswer' | 'cancelled' | 'failed';

export interface TreeLeg {
  /** Stable within one tree (React keys). */
  key: string;
  number: string | null;
  target: string;
  /** Seconds from the call's start. */
  startSec: number;
  endSec: number | null;
  outcome: LegOutcome;
}

export interface TreeStep {
  key: string;
  kind: string;
  name: string;
  outcome: string;
  atSec: number;
  legs: TreeLeg[];
}

export interface CallTreeModel {
  /** Phones rung before any step (a call straight to an extension's phones). */
  direct: TreeLeg[];
  steps: TreeStep[];
}

/** Steps that ring phones: the ones legs hang under. */
const RINGING = new Set([
  'extension',
  'ringGroup',
  'queue',
  'transfer',
  'external',
  'pickup',
  'intercom',
  'confirm',
]);

/** Slack for steps and legs logged in the same instant (milliseconds apart). */
const SLACK_MS = 50;

export function legOutcome(l: TreeInputLeg): LegOutcome {
  if (l.answeredAt) return 'answered';
  const s = l.sipStatus;
  if (s === 486 || s === 600) return 'busy';
  if (s === 603) return 'declined';
  if (s === 408 || s === 480) return 'noAnswer';
  if (s === null || s === 487) return 'cancelled';
  return 'failed';
}

export function callTree(c: TreeInput): CallTreeModel {
  const t0 = Date.parse(c.startedAt);
  const sec = (iso: string) => Math.max(0, Math.round((Date.parse(iso) - t0) / 100) / 10);
  const steps: TreeStep[] = c.trail.map((s, i) => ({
    key: `step-${i}`,
    kind: s.kind,
    name: s.name,
    outcome: s.outcome,
    atSec: sec(s.at),
    legs: [],
  }));
  const direct: TreeLeg[] = [];
  const legs = [...c.legs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  for (const [n, l] of legs.entries()) {
    const leg: TreeLeg = {
      key: `leg-${n}`,
      number: l.number ?? null,
      target: l.target,
      startSec: sec(l.startedAt),
      endSec: l.endedAt ? sec(l.endedAt) : null,
      outcome: legOutcome(l),
    };
    const started = Date.parse(l.startedAt) + SLACK_MS;
    const i = c.trail.findIndex((s) => RINGING.has(s.kind) && Date.parse(s.at) > started);
    if (i >= 0) steps[i]!.legs.push(leg);
    else if (steps.length && Date.parse(c.trail[c.trail.length - 1]!.at) <= started) {
      // Rung after every step was logged (the last step's phones still ringing at the end).
      const last = [...steps].reverse().find((s) => RINGING.has(s.kind)) ?? steps[steps.length - 1]!;
      last.legs.push(leg);
    } else direct.push(leg);
  }
  return { direct, steps };
}
