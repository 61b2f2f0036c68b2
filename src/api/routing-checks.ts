/**
 * What JSON Schema cannot check about routing configuration, done at save so bad
 * configuration never reaches a call (DESIGN.md §5): destinations that point
 * nowhere, loops, numbers that clash, impossible schedules, DIDs that are not
 * phone numbers. Each failure names the field it concerns.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { isPromptName } from '../media/prompts.js';
import { validateText } from '../media/tts.js';
import { validateCalendar } from '../pbx/calendar/engine.js';
import type { CalendarSpec } from '../pbx/calendar/types.js';
import type { QueueConfig } from '../pbx/queue/types.js';
import { trunkServes } from '../pbx/routing/external.js';
import { normaliseNumber } from '../pbx/routing/numbers.js';
import {
  type CallerRule,
  type Destination,
  destinationsOf,
  type InboundRouteConfig,
  type IvrAudio,
  type IvrConfig,
  type OutboundRouteConfig,
  type RingGroupConfig,
  type TimeConditionConfig,
} from '../pbx/routing/types.js';
import { compilePattern, toE164 } from '../pbx/trunks/dial-plan.js';
import type { Extension, RoutingKind, RoutingObject, Tenant, Trunk } from '../store/schema.js';
import type { TenantScope } from '../store/store.js';
import { ApiError } from './errors.js';

/** Everything of a tenant the checks look at, read once per save. */
export interface RoutingWorld {
  tenant: Tenant;
  extensions: Extension[];
  objects: RoutingObject[];
  /** Group mailboxes' ids (an extension's mailbox has the extension's id). */
  mailboxes?: string[];
  /** The tenant's audio files' ids (IVR greetings may name one). */
  audioFiles?: string[];
  /** Trunks on the platform and the tenant's own numbers (outbound routes name them). */
  trunks?: Trunk[];
  numbers?: string[];
}

export async function loadWorld(scope: TenantScope, tenant: Tenant): Promise<RoutingWorld> {
  const extensions: Extension[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await scope.extensions.list({ limit: 200, offset });
    extensions.push(...page.items);
    if (offset + 200 >= page.total) break;
  }
  const mailboxes = (await scope.voicemail.listBoxes()).filter((b) => !b.extensionId).map((b) => b.id);
  const audioFiles = (await scope.audioFiles.list()).map((f) => f.id);
  return { tenant, extensions, objects: await scope.routing.all(), mailboxes, audioFiles };
}

const invalid = (detail: string, field: string) => new ApiError('VALIDATION_FAILED', detail, field);

/** A body as the API received it: name, number (for the kinds that have one) and the kind's settings. */
export type RoutingBody = { name: string; number?: string | null } & Record<string, unknown>;

/** Checks a body for `kind` (replacing object `id` when given) and returns what is stored. */
export function checkRoutingObject(
  world: RoutingWorld,
  kind: RoutingKind,
  id: string | null,
  body: RoutingBody,
): { name: string; number: string | null; config: unknown } {
  const { name, number: rawNumber, ...config } = body;
  let number: string | null = null;
  switch (kind) {
    case 'calendar': {
      const spec = {
        ...config,
        timeZone: (config.timeZone as string | undefined) ?? world.tenant.timeZone,
      } as unknown as CalendarSpec;
      const problems = validateCalendar(spec);
      if (problems[0]) throw invalid(problems[0].message, problems[0].field);
      return { name, number: null, config: spec };
    }
    case 'ringGroup': {
      const cfg = config as unknown as RingGroupConfig;
      const seen = new Set<string>();
      cfg.members.forEach((m, i) => {
        if (!world.extensions.some((e) => e.number === m.number) && !toE164(m.number, world.tenant.country))
          throw invalid(
            `Member ${m.number} is neither an extension of this tenant nor a phone number`,
            `members.${i}.number`,
          );
        if (seen.has(m.number)) throw invalid(`Member ${m.number} is listed twice`, `members.${i}.number`);
        seen.add(m.number);
      });
      if (rawNumber) {
        number = rawNumber;
        assertNumberFree(world, number, id);
      }
      if (cfg.timeoutDestination) checkDestination(world, cfg.timeoutDestination, 'timeoutDestination');
      break;
    }
    case 'queue': {
      const cfg = config as unknown as QueueConfig;
      checkQueue(world, cfg);
      if (rawNumber) {
        number = rawNumber;
        assertNumberFree(world, number, id);
      }
      break;
    }
    case 'ivr': {
      checkIvr(world, config as unknown as IvrConfig);
      if (rawNumber) {
        number = rawNumber;
        assertNumberFree(world, number, id);
      }
      break;
    }
    case 'timeCondition': {
      const cfg = config as unknown as TimeConditionConfig;
      if (!world.objects.some((o) => o.kind === 'calendar' && o.id === cfg.calendarId))
        throw invalid('No calendar with this id in the tenant', 'calendarId');
      checkDestination(world, cfg.whenOpen, 'whenOpen');
      checkDestination(world, cfg.whenClosed, 'whenClosed');
      break;
    }
    case 'outboundRoute':
      checkOutboundRoute(world, config as unknown as OutboundRouteConfig);
      break;
    case 'inboundRoute': {
      const cfg = config as unknown as InboundRouteConfig;
      number = did(String(rawNumber ?? ''), world.tenant.country);
      const taken = world.objects.find((o) => o.number === number && o.id !== id);
      if (taken)
        throw new ApiError('CONFLICT', `${number} already goes to inbound route "${taken.name}"`, 'number');
      cfg.callerRules = cfg.callerRules.map((r, i) => checkCallerRule(world, r, `callerRules.${i}`));
      checkDestination(world, cfg.destination, 'destination');
      break;
    }
  }
  const stored = { name, number, config };
  assertNoLoop(world, { kind, id: id ?? 'new', ...stored });
  return stored;
}

/** Patterns that compile, trunks that exist and serve the tenant, a caller ID the tenant owns. */
function checkOutboundRoute(world: RoutingWorld, cfg: OutboundRouteConfig): void {
  cfg.patterns.forEach((p, i) => {
    const c = compilePattern(p.match);
    if (!c.ok) throw invalid(c.error, `patterns.${i}.match`);
  });
  cfg.trunkIds.forEach((id, i) => {
    const trunk = world.trunks?.find((t) => t.id === id);
    if (!trunk) throw invalid('No trunk with this id', `trunkIds.${i}`);
    if (!trunkServes({ ...trunk, enabled: true }, world.tenant.id))
      throw invalid(`Trunk "${trunk.name}" does not carry this tenant's calls`, `trunkIds.${i}`);
  });
  if (cfg.callerId && cfg.callerId !== 'anonymous' && !world.numbers?.includes(cfg.callerId))
    throw invalid(`${cfg.callerId} is not one of the tenant's numbers`, 'callerId');
}

/** A queue's members, prompts, keys and destinations must make sense together. */
function checkQueue(world: RoutingWorld, cfg: QueueConfig): void {
  const seen = new Set<string>();
  cfg.members.forEach((m, i) => {
    if (!world.extensions.some((e) => e.number === m.number))
      throw invalid(`Member ${m.number} is not an extension of this tenant`, `members.${i}.number`);
    if (seen.has(m.number)) throw invalid(`Member ${m.number} is listed twice`, `members.${i}.number`);
    seen.add(m.number);
  });
  for (const field of ['entryPrompts', 'periodicPrompts'] as const)
    cfg[field].forEach((p, i) => {
      if (!isPromptName(p)) throw invalid(`"${p}" is not a system prompt`, `${field}.${i}`);
    });
  if (cfg.periodicPrompts.length > 0 && cfg.periodicEverySec === 0)
    throw invalid('Periodic prompts need an interval', 'periodicEverySec');
  const keys = new Set<string>();
  cfg.keys.forEach((k, i) => {
    if (keys.has(k.key)) throw invalid(`Key ${k.key} is used twice`, `keys.${i}.key`);
    keys.add(k.key);
    if (k.action === 'leave') {
      if (!k.destination) throw invalid('Leaving needs a destination', `keys.${i}.destination`);
      checkDestination(world, k.destination, `keys.${i}.destination`);
    } else if (k.destination) throw invalid('A callback key has no destination', `keys.${i}.destination`);
  });
  const stages = new Set<number>();
  cfg.skills.forEach((s, i) => {
    if (stages.has(s.afterSec))
      throw invalid(`Two skill stages start at ${s.afterSec} s`, `skills.${i}.afterSec`);
    stages.add(s.afterSec);
  });
  cfg.vipNumbers = cfg.vipNumbers.map((n) =>
    n.endsWith('*') ? n : normaliseNumber(n, world.tenant.country),
  );
  for (const field of ['timeoutDestination', 'fullDestination', 'noAgentsDestination'] as const) {
    const d = cfg[field];
    if (d) checkDestination(world, d, field);
  }
  if (cfg.predictive.destination)
    checkDestination(world, cfg.predictive.destination, 'predictive.destination');
  if (
    (cfg.predictive.maxExpectedWaitSec > 0 || cfg.predictive.maxCallersPerAgent > 0) &&
    !cfg.predictive.destination
  )
    throw invalid('Predictive diversion needs a destination', 'predictive.destination');
}

/** A menu's keys, audio and destinations must make sense. */
function checkIvr(world: RoutingWorld, cfg: IvrConfig): void {
  const checkAudio = (a: IvrAudio | null, field: string) => {
    if (!a) return;
    if (a.fileId && !world.audioFiles?.includes(a.fileId))
      throw invalid('No audio file with this id in the tenant', `${field}.fileId`);
    a.prompts.forEach((p, i) => {
      if (!isPromptName(p)) throw invalid(`"${p}" is not a system prompt`, `${field}.prompts.${i}`);
    });
    if (a.text !== null) {
      try {
        validateText(a.text);
      } catch (e) {
        throw invalid(e instanceof Error ? e.message : 'The text cannot be spoken', `${field}.text`);
      }
    }
  };
  checkAudio(cfg.greeting, 'greeting');
  if (!cfg.greeting.fileId && cfg.greeting.text === null && cfg.greeting.prompts.length === 0)
    throw invalid('A menu needs a greeting: an audio file, text or prompts', 'greeting');
  for (const field of ['invalidAudio', 'timeoutAudio'] as const) {
    const a = cfg[field];
    checkAudio(a, field);
    // Set but saying nothing would be silence: null means "the standard prompt".
    if (a && !a.fileId && a.text === null && a.prompts.length === 0)
      throw invalid(
        'Say something (an audio file, text or prompts), or leave it to the standard prompt',
        field,
      );
  }
  const keys = new Set<string>();
  cfg.options.forEach((o, i) => {
    if (keys.has(o.key)) throw invalid(`Key ${o.key} is used twice`, `options.${i}.key`);
    keys.add(o.key);
    checkDestination(world, o.destination, `options.${i}.destination`);
  });
  if (cfg.fallback) checkDestination(world, cfg.fallback, 'fallback');
  const cal = cfg.calendar;
  if (cal) {
    if (!world.objects.some((o) => o.kind === 'calendar' && o.id === cal.calendarId))
      throw invalid('No calendar with this id in the tenant', 'calendar.calendarId');
    checkDestination(world, cal.whenClosed, 'calendar.whenClosed');
  }
}

/** An inbound number in E.164, from whatever format it was typed in. */
function did(raw: string, country: string): string {
  const p = parsePhoneNumberFromString(raw, country as Parameters<typeof parsePhoneNumberFromString>[1]);
  if (!p?.isPossible())
    throw invalid(`"${raw}" is not a phone number in ${country} or in international format`, 'number');
  return p.number;
}

function checkCallerRule(world: RoutingWorld, r: CallerRule, field: string): CallerRule {
  const m = r.match as { anonymous?: true; numbers?: string[] };
  if ((m.anonymous === true) === (m.numbers !== undefined))
    throw invalid('Match either anonymous callers or a list of numbers', `${field}.match`);
  checkDestination(world, r.destination, `${field}.destination`);
  if (!m.numbers) return r;
  const numbers = m.numbers.map((n) => (n.endsWith('*') ? n : normaliseNumber(n, world.tenant.country)));
  return { ...r, match: { numbers } };
}

/** A dialable number is free when no extension and no other group holds it. */
function assertNumberFree(world: RoutingWorld, number: string, id: string | null): void {
  if (world.extensions.some((e) => e.number === number))
    throw new ApiError('CONFLICT', `${number} is an extension`, 'number');
  const other = world.objects.find((o) => o.number === number && o.id !== id);
  if (other) throw new ApiError('CONFLICT', `${number} is taken by "${other.name}"`, 'number');
}

/** A destination must name something that exists, with exactly the fields its kind uses. */
export function checkDestination(world: RoutingWorld, d: Destination, field: string): void {
  const raw = d as { kind: string; id?: string; number?: string; cause?: string };
  // Dial by name (`directory`) is the tenant's one directory: it names nothing.
  const uses =
    raw.kind === 'number'
      ? 'number'
      : raw.kind === 'hangup'
        ? 'cause'
        : raw.kind === 'directory'
          ? null
          : 'id';
  for (const key of ['id', 'number', 'cause'] as const) {
    if (key === uses && raw[key] === undefined)
      throw invalid(`A ${raw.kind} destination needs "${key}"`, `${field}.${key}`);
    if (key !== uses && raw[key] !== undefined)
      throw invalid(`A ${raw.kind} destination has no "${key}"`, `${field}.${key}`);
  }
  if (raw.kind === 'extension' && !world.extensions.some((e) => e.id === raw.id))
    throw invalid('No extension with this id in the tenant', `${field}.id`);
  const labels: Record<string, string> = {
    ringGroup: 'ring group',
    timeCondition: 'time condition',
    queue: 'queue',
    ivr: 'IVR menu',
  };
  if (
    raw.kind === 'voicemail' &&
    !world.extensions.some((e) => e.id === raw.id) &&
    !world.mailboxes?.includes(raw.id ?? '')
  )
    throw invalid('No mailbox with this id in the tenant (an extension’s mailbox has its id)', `${field}.id`);
  const label = labels[raw.kind];
  if (label && !world.objects.some((o) => o.kind === raw.kind && o.id === raw.id))
    throw invalid(`No ${label} with this id in the tenant`, `${field}.id`);
}

type Node = { kind: string; id: string; name: string; number: string | null; config: unknown };

/**
 * Refuses a configuration in which a call could go round for ever without
 * ringing anyone new: a time condition that leads back to itself, a group whose
 * timeout destination leads back to the group, extensions forwarding to each other
 * unconditionally. (Conditional forwards — busy, no answer — are caught at run
 * time by the router's hop limit.)
 */
export function assertNoLoop(world: RoutingWorld, changed: Node): void {
  const nodes = new Map<string, Node>();
  for (const o of world.objects) nodes.set(o.id, { ...o, config: o.config });
  nodes.set(changed.id, changed);
  const byNumber = (n: string): string | null => {
    const ext = world.extensions.find((e) => e.number === n);
    if (ext) return ext.id;
    for (const o of nodes.values())
      if (o.number !== null && (o.number === n || o.number === normaliseNumber(n, world.tenant.country)))
        return o.id;
    return null;
  };
  const next = (id: string): string[] => {
    // A menu waits for the caller's keys (or its time-out): a way back through it is the caller's
    // choice ("9 repeats the menu", "0 back to the main menu"), not a loop. The router caps visits.
    if (nodes.get(id)?.kind === 'ivr') return [];
    const ext = world.extensions.find((e) => e.id === id);
    if (ext)
      return ext.forwarding.always.enabled
        ? [byNumber(ext.forwarding.always.target)].filter((x): x is string => x !== null)
        : [];
    const n = nodes.get(id);
    if (!n) return [];
    return destinationsOf(n.kind, n.config).flatMap((d) =>
      d.kind === 'number'
        ? [byNumber(d.number)].filter((x): x is string => x !== null)
        : 'id' in d
          ? [d.id]
          : [],
    );
  };
  const label = (id: string) => {
    const ext = world.extensions.find((e) => e.id === id);
    return ext ? `extension ${ext.number}` : `"${nodes.get(id)?.name ?? id}"`;
  };
  // Depth-first from the changed object: reaching it again is a loop through it.
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): string[] | null => {
    if (id === changed.id && path.length > 0) return [...path, id];
    if (seen.has(id)) return null;
    seen.add(id);
    path.push(id);
    for (const n of next(id)) {
      const found = visit(n);
      if (found) return found;
    }
    path.pop();
    return null;
  };
  const loop = visit(changed.id);
  if (loop) throw invalid(`This makes a loop: ${loop.map(label).join(' → ')}`, loopField(changed.kind));
}

function loopField(kind: string): string {
  return kind === 'ringGroup' || kind === 'queue'
    ? 'timeoutDestination'
    : kind === 'timeCondition'
      ? 'whenOpen'
      : kind === 'extension'
        ? 'forwarding.always.target'
        : 'destination';
}

/** An extension's follow-me, status rules and secretary must name numbers and calendars that exist. */
export function checkCallRules(world: RoutingWorld, ext: Extension): void {
  const r = ext.callRules;
  const isExt = (n: string) => world.extensions.some((e) => e.number === n);
  for (const [i, step] of (r.followMe?.steps ?? []).entries())
    for (const [j, n] of step.numbers.entries()) {
      const field = `callRules.followMe.steps.${i}.numbers.${j}`;
      if (n === ext.number)
        throw invalid('Follow-me steps ring other numbers; the desk phone has its own switch', field);
      if (!isExt(n) && !toE164(n, world.tenant.country))
        throw invalid(`${n} is neither an extension of this tenant nor a phone number`, field);
    }
  for (const [status, p] of Object.entries(r.profiles ?? {}))
    for (const kind of ['internal', 'external'] as const) {
      const a = p?.[kind];
      const field = `callRules.profiles.${status}.${kind}`;
      if (a?.action === 'forward' && !a.target)
        throw invalid('Forwarding needs a target number', `${field}.target`);
      if (a?.action === 'forward' && a.target === ext.number)
        throw invalid('Forwarding to itself', `${field}.target`);
      if (a?.action === 'followMe' && !r.followMe?.steps.length)
        throw invalid('Set up follow-me steps before choosing follow-me', `${field}.action`);
    }
  const cal = r.statusByCalendar;
  if (cal && !world.objects.some((o) => o.kind === 'calendar' && o.id === cal.calendarId))
    throw invalid('No calendar with this id in the tenant', 'callRules.statusByCalendar.calendarId');
  const sec = r.secretary;
  if (sec && (sec.number === ext.number || !isExt(sec.number)))
    throw invalid('The secretary must be another extension of this tenant', 'callRules.secretary.number');
}

/** IVR menus whose greeting or prompts play an audio file (it cannot be deleted while they do). */
export function audioUsers(world: RoutingWorld, fileId: string): string[] {
  return world.objects
    .filter((o) => {
      if (o.kind !== 'ivr') return false;
      const c = o.config as IvrConfig;
      return [c.greeting, c.invalidAudio, c.timeoutAudio].some((a) => a?.fileId === fileId);
    })
    .map((o) => `"${o.name}"`);
}

/** What refers to an object (so it cannot be deleted): names of routing objects, and why. */
export function referrersOf(world: RoutingWorld, target: { id: string; number: string | null }): string[] {
  const out: string[] = [];
  for (const o of world.objects) {
    if (o.id === target.id) continue;
    const refers =
      destinationsOf(o.kind, o.config).some(
        (d) =>
          ('id' in d && d.id === target.id) ||
          (d.kind === 'number' && target.number !== null && d.number === target.number),
      ) ||
      (o.kind === 'timeCondition' && (o.config as TimeConditionConfig).calendarId === target.id) ||
      ((o.kind === 'ringGroup' || o.kind === 'queue') &&
        target.number !== null &&
        (o.config as RingGroupConfig | QueueConfig).members.some(
          (m: { number: string }) => m.number === target.number,
        ));
    if (refers) out.push(`"${o.name}"`);
  }
  // Extensions whose follow-me, secretary or status calendar name it.
  for (const e of world.extensions) {
    if (e.id === target.id) continue;
    const r = e.callRules;
    const n = target.number;
    const named =
      (n !== null && (r.followMe?.steps.some((s) => s.numbers.includes(n)) || r.secretary?.number === n)) ||
      r.statusByCalendar?.calendarId === target.id;
    if (named) out.push(`extension ${e.number}`);
  }
  return out;
}
