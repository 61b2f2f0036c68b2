/**
 * An extension's call handling as the editor holds it, and back to the API: the
 * status with Do-Not-Disturb as one choice, call waiting, follow-me steps, what
 * each status does for internal and external callers, the callers who always
 * ring, the status a calendar sets and the secretary filter. Also the follow-me
 * and secretary timelines: which phones ring from which second to which, worked
 * out as the PBX rings them (src/pbx/routing/extension.ts).
 */
// The API's shapes, spelled out here so this file stands alone (test/web runs it in Node); the
// pages pass an Extension in and send the body out, so the web type check holds them to schema.d.ts.
export type PresenceStatus = 'available' | 'away' | 'lunch' | 'trip';
export type StatusActionKind = 'ring' | 'followMe' | 'busy' | 'forward';
export interface StatusAction {
  action: StatusActionKind;
  target?: string;
}
export type SecretaryMode = 'secretary' | 'both' | 'secretaryFirst';
export interface CallRules {
  followMe?: {
    ringDesk: boolean;
    steps: { numbers: string[]; ringSec: number }[];
    confirmExternal?: boolean;
  };
  profiles?: { [S in PresenceStatus]?: { internal: StatusAction; external: StatusAction } };
  exceptions?: string[];
  statusByCalendar?: { calendarId: string; whenClosed: PresenceStatus } | null;
  secretary?: { number: string; mode: SecretaryMode; firstSec: number; direct: string[] } | null;
}
export const FORWARDING_RULES = ['always', 'busy', 'noAnswer', 'unreachable'] as const;
export type ForwardingRule = (typeof FORWARDING_RULES)[number];
/** The classic forwarding of an extension, each rule on or off with its number. */
export type Forwarding = Record<ForwardingRule, { enabled: boolean; target: string }>;
/** What the editor reads of an extension and sends back. */
export interface CallHandling {
  status: PresenceStatus;
  dnd: boolean;
  callWaiting: boolean;
  callRules: CallRules;
  /** Left out (and not sent back) when not read. */
  forwarding?: Forwarding;
}

export const STATUSES = ['available', 'away', 'lunch', 'trip'] as const satisfies readonly PresenceStatus[];
/** The one status control: the four statuses and Do-Not-Disturb (its own switch in the API). */
export const STATUS_CHOICES = [...STATUSES, 'dnd'] as const;
export type StatusChoice = (typeof STATUS_CHOICES)[number];
export const CALLER_KINDS = ['internal', 'external'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];
export const ACTIONS = ['ring', 'followMe', 'busy', 'forward'] as const satisfies readonly StatusActionKind[];
export const SECRETARY_MODES = [
  'secretary',
  'both',
  'secretaryFirst',
] as const satisfies readonly SecretaryMode[];

/** Limits of the API (src/api/schemas.ts). */
export const MAX_STEPS = 10;
export const MAX_STEP_NUMBERS = 10;
export const RING_SEC = { min: 5, max: 120, initial: 20 } as const;
export const FIRST_SEC = { min: 0, max: 120, initial: 15 } as const;

export interface StepDraft {
  /** For React only: steps move. */
  key: number;
  numbers: string[];
  /** Empty while typed. */
  ringSec: number | string;
}

export interface ActionDraft {
  action: StatusActionKind;
  target: string;
}

export type ProfilesDraft = Record<PresenceStatus, Record<CallerKind, ActionDraft>>;

export interface CallHandlingDraft {
  status: PresenceStatus;
  dnd: boolean;
  callWaiting: boolean;
  ringDesk: boolean;
  /** Outside numbers must press 1 to take the call (confirm-call). */
  confirmExternal: boolean;
  steps: StepDraft[];
  profiles: ProfilesDraft;
  /** As typed: one number a line. */
  exceptions: string;
  calendarOn: boolean;
  calendarId: string | null;
  whenClosed: PresenceStatus;
  secretaryOn: boolean;
  secretaryNumber: string | null;
  secretaryMode: SecretaryMode;
  firstSec: number | string;
  /** As typed: one number a line. */
  direct: string;
  /** null: the extension was read without it, and it is not sent back. */
  forwarding: Forwarding | null;
}

let nextKey = 1;

/** A copy of the four rules (nothing else the object holds), each target through `target`. */
function forwardingOf(f: Forwarding, target: (typed: string) => string): Forwarding {
  return Object.fromEntries(
    FORWARDING_RULES.map((r) => [r, { enabled: f[r].enabled, target: target(f[r].target) }]),
  ) as Forwarding;
}

export function newStep(numbers: string[] = []): StepDraft {
  return { key: nextKey++, numbers, ringSec: RING_SEC.initial };
}

const RING: ActionDraft = { action: 'ring', target: '' };

function actionDraft(a: StatusAction | undefined): ActionDraft {
  return a ? { action: a.action, target: a.target ?? '' } : RING;
}

export function draftOf(ext: CallHandling): CallHandlingDraft {
  const r = ext.callRules;
  const profiles = Object.fromEntries(
    STATUSES.map((s) => [
      s,
      { internal: actionDraft(r.profiles?.[s]?.internal), external: actionDraft(r.profiles?.[s]?.external) },
    ]),
  ) as ProfilesDraft;
  return {
    status: ext.status,
    dnd: ext.dnd,
    callWaiting: ext.callWaiting,
    ringDesk: r.followMe?.ringDesk ?? true,
    confirmExternal: r.followMe?.confirmExternal ?? true,
    steps: (r.followMe?.steps ?? []).map((s) => ({
      key: nextKey++,
      numbers: [...s.numbers],
      ringSec: s.ringSec,
    })),
    profiles,
    exceptions: (r.exceptions ?? []).join('\n'),
    calendarOn: !!r.statusByCalendar,
    calendarId: r.statusByCalendar?.calendarId ?? null,
    whenClosed: r.statusByCalendar?.whenClosed ?? 'away',
    secretaryOn: !!r.secretary,
    secretaryNumber: r.secretary?.number ?? null,
    secretaryMode: r.secretary?.mode ?? 'secretary',
    firstSec: r.secretary?.firstSec ?? FIRST_SEC.initial,
    direct: (r.secretary?.direct ?? []).join('\n'),
    forwarding: ext.forwarding ? forwardingOf(ext.forwarding, (t) => t) : null,
  };
}

/** The status control's value: Do-Not-Disturb covers the status underneath. */
export function choiceOf(d: Pick<CallHandlingDraft, 'status' | 'dnd'>): StatusChoice {
  return d.dnd ? 'dnd' : d.status;
}

/** Picking in the status control: DND keeps the status for when it goes off; a status turns DND off. */
export function withChoice<D extends Pick<CallHandlingDraft, 'status' | 'dnd'>>(
  d: D,
  choice: StatusChoice,
): D {
  return choice === 'dnd' ? { ...d, dnd: true } : { ...d, dnd: false, status: choice };
}

/** A phone number as people type it, as the API takes it: "+7 (495) 123-45-67" → "+74951234567". */
export function cleanNumber(typed: string): string {
  return typed.replace(/[\s().-]/g, '');
}

/** "+7 495 123-45-67, 8800*" → ["+74951234567", "8800*"]: numbers split on new lines, commas and semicolons. */
export function parseNumbers(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map(cleanNumber)
    .filter((n) => n !== '');
}

/** A number input's value as the API's integer; an empty one as `fallback` (the server says if that will not do). */
export function whole(v: number | string, fallback: number): number {
  return typeof v === 'number' ? v : fallback;
}

function action(a: ActionDraft): StatusAction {
  const target = cleanNumber(a.target);
  return a.action === 'forward' && target !== '' ? { action: a.action, target } : { action: a.action };
}

/** The PATCH of the editor: status, DND, call waiting and the whole of callRules (which it replaces). */
export function bodyOf(d: CallHandlingDraft): CallHandling {
  const profiles: NonNullable<CallRules['profiles']> = {};
  for (const s of STATUSES) {
    const p = d.profiles[s];
    // A status that rings for both kinds of caller is the default: left out.
    if (p.internal.action === 'ring' && p.external.action === 'ring') continue;
    profiles[s] = { internal: action(p.internal), external: action(p.external) };
  }
  const callRules: CallRules = {
    ...(d.steps.length > 0
      ? {
          followMe: {
            ringDesk: d.ringDesk,
            confirmExternal: d.confirmExternal,
            steps: d.steps.map((s) => ({ numbers: s.numbers, ringSec: whole(s.ringSec, 0) })),
          },
        }
      : {}),
    profiles,
    exceptions: parseNumbers(d.exceptions),
    statusByCalendar: d.calendarOn ? { calendarId: d.calendarId ?? '', whenClosed: d.whenClosed } : null,
    secretary: d.secretaryOn
      ? {
          number: d.secretaryNumber ?? '',
          mode: d.secretaryMode,
          // Empty while it matters: a value the server refuses, so it says so next to the field.
          firstSec: whole(d.firstSec, d.secretaryMode === 'secretaryFirst' ? -1 : 0),
          direct: parseNumbers(d.direct),
        }
      : null,
  };
  const body: CallHandling = { status: d.status, dnd: d.dnd, callWaiting: d.callWaiting, callRules };
  if (d.forwarding) body.forwarding = forwardingOf(d.forwarding, cleanNumber);
  return body;
}

/** Which statuses send calls to follow-me: the steps matter only then. */
export function usesFollowMe(profiles: ProfilesDraft): boolean {
  return STATUSES.some((s) => CALLER_KINDS.some((k) => profiles[s][k].action === 'followMe'));
}

/** One phone (or group of phones) ringing from second `from` to second `to` of the call. */
export interface Span {
  from: number;
  to: number;
}

export interface FollowMeTimeline {
  steps: (Span & { numbers: string[] })[];
  /** The extension's own phones, when they ring throughout. */
  desk: Span | null;
  /** When the round ends unanswered. */
  total: number;
}

/** Steps ring one after another, each for its seconds; the desk phone (if asked) from 0 to the end. */
export function followMeTimeline(
  steps: readonly Pick<StepDraft, 'numbers' | 'ringSec'>[],
  ringDesk: boolean,
): FollowMeTimeline {
  let at = 0;
  const out: FollowMeTimeline['steps'] = [];
  for (const s of steps) {
    const sec = Math.max(0, whole(s.ringSec, 0));
    out.push({ from: at, to: at + sec, numbers: s.numbers });
    at += sec;
  }
  return { steps: out, desk: ringDesk && out.length > 0 ? { from: 0, to: at } : null, total: at };
}

export interface SecretaryTimeline {
  secretary: Span;
  /** The boss's own phones; null when only the secretary rings. */
  boss: Span | null;
  total: number;
}

/**
 * A screened call: the secretary rings from the start; the boss with her (both),
 * after `firstSec` (secretaryFirst) or not at all (secretary), each for the ring
 * time; the round ends when the boss's ring time is over.
 */
export function secretaryTimeline(
  mode: SecretaryMode,
  firstSec: number | string,
  ringTimeoutSec: number,
): SecretaryTimeline {
  const first = Math.max(0, whole(firstSec, 0));
  const bossAfter = mode === 'both' ? 0 : mode === 'secretaryFirst' ? first : null;
  const total = (bossAfter ?? 0) + ringTimeoutSec;
  return {
    secretary: { from: 0, to: Math.min(first + ringTimeoutSec, total) },
    boss: bossAfter === null ? null : { from: bossAfter, to: bossAfter + ringTimeoutSec },
    total,
  };
}

/** Seconds between the ticks of a timeline's scale: a round step giving at most 8 ticks. */
export function tickStep(total: number): number {
  for (const step of [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600]) if (total / step <= 8) return step;
  return Math.ceil(total / 8);
}
