/**
 * A call to an external number: out through the tenant's outbound routes and the
 * operator's trunks. In order: the call class of whoever is answerable for the
 * call (the caller's extension, the extension whose forwarding or follow-me sent
 * it here, or the tenant's own configuration) — emergency numbers always pass —
 * then the fraud block and the limits, then the first route whose pattern
 * matches, and its trunks in turn until one carries the call: a trunk that is
 * down, full, or answers 5xx/408 hands over to the next.
 */
import { type CountryCode, getCountryCallingCode } from 'libphonenumber-js';
import type { Trunk } from '../../store/schema.js';
import type { RingTarget, TrunkDial } from '../call.js';
import { type ConfirmPrompt, confirmPrompt } from '../confirm-call.js';
import type { ExtensionEntry, TenantEntry } from '../directory.js';
import type { Binding } from '../location.js';
import {
  applyPattern,
  type CallClass,
  classAllows,
  classifyNumber,
  formatForTrunk,
  isEmergency,
  type NumberClass,
  toE164,
} from '../trunks/dial-plan.js';
import type { ExternalCallOwner, ExternalCallTicket, Refusal } from '../trunks/limits.js';
import type { RoutedCall, StepContext } from './context.js';
import type { Destination, OutboundRouteConfig } from './types.js';

/** How long a carrier may ring the far end before we give up on it. */
const EXTERNAL_RING_SEC = 120;

const CLASS_ORDER: CallClass[] = ['internal', 'local', 'national', 'international'];

/** What the router needs of the trunks (the SIP service's TrunkSet and limits). */
export interface OutboundEnv {
  trunk(id: string): Trunk | undefined;
  targets(
    trunkId: string,
  ): Promise<{ transport: 'UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS'; host: string; port: number }[]>;
  acquire(trunkId: string): boolean;
  release(trunkId: string): void;
  isDown(trunkId: string): boolean;
  /** The trunks a tenant may use, in name order (emergency calls without a route take them). */
  trunksFor(tenantId: string): string[];
  check(o: ExternalCallOwner): Refusal | null;
  take(
    o: ExternalCallOwner,
    international: boolean,
    startMs: number,
    pricePerMinute: number | null,
    /** Ends the answered call from the PBX's side when a cap is reached (not for emergency calls). */
    cut?: ((cause: string) => void) | null,
  ): ExternalCallTicket;
  /** Minor units a minute to this E.164 number costs by the operator's rate deck (null: not priced). */
  priceOf(e164: string): number | null;
}

/** The route and the number it sends for `dialled` (null: no route matches). */
export function matchRoute(
  tenant: Pick<TenantEntry, 'routing'>,
  dialled: string,
): { id: string; name: string; config: OutboundRouteConfig; number: string } | null {
  const routes = [...tenant.routing.values()]
    .filter((o) => o.kind === 'outboundRoute')
    .map((o) => ({ id: o.id, name: o.name, config: o.config as OutboundRouteConfig }))
    .sort((a, b) => a.config.priority - b.config.priority || a.name.localeCompare(b.name));
  for (const r of routes)
    for (const p of r.config.patterns) {
      const number = applyPattern(p, dialled);
      if (number !== null) return { ...r, number };
    }
  return null;
}

/** The cheaper of two classes (an extension never gets more than its tenant). */
function lesser(a: CallClass, b: CallClass): CallClass {
  return CLASS_ORDER.indexOf(a) <= CLASS_ORDER.indexOf(b) ? a : b;
}

/** What a number costs: classified as the route sends it, else as it was dialled past the stripped prefix. */
/**
 * The tenant's local prefixes that are inside its own country: a prefix abroad
 * would make international numbers "local" and slip past the operator's class.
 */
export function ownLocalPrefixes(country: string, prefixes: readonly string[]): string[] {
  let code: string;
  try {
    code = `+${getCountryCallingCode(country.toUpperCase() as CountryCode)}`;
  } catch {
    return [];
  }
  return prefixes.filter((p) => p.startsWith(code) && p.length > code.length);
}

export function classOf(
  tenant: Pick<TenantEntry, 'country' | 'localPrefixes'>,
  dialled: string,
  sent: string,
  strip: number,
): NumberClass | 'invalid' {
  if (isEmergency(dialled, tenant.country)) return 'emergency';
  const plan = {
    country: tenant.country,
    localPrefixes: ownLocalPrefixes(tenant.country, tenant.localPrefixes),
  };
  for (const n of [sent, dialled.slice(strip)]) {
    const c = classifyNumber(n, plan);
    if (c.class !== 'invalid') return c.class;
  }
  return 'invalid';
}

/** The plan for one external call, before any trunk is tried (the portal's pattern tester shows it too). */
export type OutboundPlan =
  | {
      ok: true;
      route: { id: string | null; name: string };
      /** The number as the route sends it, E.164 when it is a phone number. */
      number: string;
      e164: string | null;
      numberClass: NumberClass;
      allowed: CallClass;
      trunkIds: string[];
      callerId: string | null;
    }
  | ({ ok: false } & Refusal);

/** What a plan reads of a tenant and an extension (the snapshot's entries, or the API's rows). */
export type PlanTenant = Pick<
  TenantEntry,
  'country' | 'localPrefixes' | 'maxCallClass' | 'defaultCallerId' | 'numbers' | 'routing'
>;
export type PlanExtension = Pick<ExtensionEntry, 'callClass' | 'externalBlocked' | 'outboundCallerId'>;

export function planOutbound(
  tenant: PlanTenant,
  dialled: string,
  ext: PlanExtension | null,
  /** Trunks an emergency number may take when no route matches it (every trunk the tenant may use). */
  emergencyTrunks: string[] = [],
): OutboundPlan {
  const emergency = isEmergency(dialled, tenant.country);
  const allowed = ext ? lesser(ext.callClass, tenant.maxCallClass) : tenant.maxCallClass;
  if (!emergency && ext?.externalBlocked)
    return { ok: false, status: 403, cause: 'fraud-blocked', reason: 'External Calls Blocked' };
  const route = matchRoute(tenant, dialled);
  // Only the tenant's own numbers are shown (one taken back since it was set is passed over).
  const own = (n: string | null | undefined) =>
    n === 'anonymous' || (n && tenant.numbers.includes(n)) ? n : null;
  const callerId = (override: string | null) =>
    own(override) ?? own(ext?.outboundCallerId) ?? own(tenant.defaultCallerId) ?? tenant.numbers[0] ?? null;
  if (!route && emergency && emergencyTrunks.length)
    // An emergency call is never lost for want of a route: any trunk the tenant may use carries it.
    return {
      ok: true,
      route: { id: null, name: 'emergency (any trunk)' },
      number: dialled,
      e164: null,
      numberClass: 'emergency',
      allowed,
      trunkIds: emergencyTrunks,
      callerId: callerId(null),
    };
  if (!route) return { ok: false, status: 404, cause: 'no-route', reason: 'No Route' };
  const strip = route.config.patterns.find((p) => applyPattern(p, dialled) !== null)?.strip ?? 0;
  const numberClass = classOf(tenant, dialled, route.number, strip);
  if (numberClass === 'invalid')
    return { ok: false, status: 484, cause: 'no-route', reason: 'Address Incomplete' };
  if (!classAllows(allowed, numberClass))
    return { ok: false, status: 403, cause: 'call-class', reason: `${numberClass} calls not allowed` };
  // An emergency number goes as it was dialled: a route's rewrite must not turn it into another number.
  const e164 = numberClass === 'emergency' ? null : toE164(route.number, tenant.country);
  const sent = numberClass === 'emergency' ? dialled : (e164 ?? route.number);
  return {
    ok: true,
    route: { id: route.id, name: route.name },
    number: sent,
    e164,
    numberClass,
    allowed,
    trunkIds: route.config.trunkIds,
    callerId: callerId(route.config.callerId),
  };
}

/** May `tenant` send calls through `trunk`? */
export function trunkServes(trunk: Trunk, tenantId: string): boolean {
  return trunk.enabled && (trunk.tenantIds === null || trunk.tenantIds.includes(tenantId));
}

/** The identity a carrier is told, in the trunk's header style; withheld numbers get Privacy: id (RFC 3325). */
export function trunkIdentity(
  trunk: Trunk,
  callerId: string | null,
  name: string,
  diversion: string | null,
): Pick<TrunkDial, 'from' | 'headers'> {
  const anonymous = callerId === null || callerId === 'anonymous';
  const shown = anonymous ? null : forTrunk(callerId, trunk);
  const uri = shown ? `<sip:${shown}@${trunk.host}>` : null;
  const headers: [string, string][] = [];
  if (uri && trunk.callerIdHeader === 'pai') headers.push(['P-Asserted-Identity', uri]);
  if (uri && trunk.callerIdHeader === 'rpid')
    headers.push([
      'Remote-Party-ID',
      `${uri};party=calling;screen=yes;privacy=${anonymous ? 'full' : 'off'}`,
    ]);
  if (anonymous && callerId === 'anonymous') headers.push(['Privacy', 'id']);
  if (diversion)
    headers.push([
      'Diversion',
      `<sip:${forTrunk(diversion, trunk)}@${trunk.host}>;reason=unconditional;counter=1`,
    ]);
  return {
    from:
      shown === null
        ? { number: 'anonymous', domain: 'anonymous.invalid', name: 'Anonymous' }
        : { number: shown, domain: trunk.host, name },
    headers,
  };
}

/** A number in the trunk's format; one that is not E.164 (a short code) goes as it is. */
function forTrunk(n: string, trunk: Trunk): string {
  return /^\+[1-9]\d{1,14}$/.test(n) ? formatForTrunk(n, trunk.numberFormat, trunk) : n;
}

/** Failover goes on after these: the trunk could not take the call, not "the number said no". */
function tryNext(status: number): boolean {
  return status >= 500 || status === 408;
}

/** What sending a number out needs of the call it is for (a routed call, a transfer, a queue callback). */
export type ExternalHost = Pick<
  RoutedCall,
  'caller' | 'step' | 'throughTrunk' | 'holdUntilEnd' | 'addCost' | 'cutOff'
>;

/** An external call that may go out: its plan, whose limits it counts against, and who it shows as calling. */
interface Cleared {
  plan: Extract<OutboundPlan, { ok: true }>;
  owner: ExternalCallOwner;
  callerId: string | null;
  diversion: string | null;
}

/**
 * Why an outside number cannot be called now on behalf of an extension (class, block,
 * route, limits, price under a spend cap), or null: what click-to-call checks before
 * ringing anyone.
 */
export function externalRefusal(
  ctx: StepContext,
  host: ExternalHost,
  number: string,
  onBehalfOf: string,
): Refusal | null {
  const c = clear(ctx, host, number, onBehalfOf);
  return 'ok' in c ? { status: c.status, cause: c.cause, reason: c.reason } : null;
}

/** Class, block, route and limits; a refusal says what the caller gets. */
function clear(
  ctx: StepContext,
  call: ExternalHost,
  dialled: string,
  onBehalfOf: string | undefined,
  /** A cap below the tenant's and the extension's (queue callbacks: numbers a caller could give). */
  maxClass?: CallClass,
  /** The number to show instead of the route's (originate): used only if it is the tenant's own. */
  callerId?: string,
): Cleared | ({ ok: false } & Refusal) {
  const { tenant, env } = ctx;
  const ext = onBehalfOf ? (tenant.extensionsById.get(onBehalfOf) ?? null) : null;
  // The extension answerable for the call is gone (deleted meanwhile): nobody may send it out.
  if (onBehalfOf && !ext) return { ok: false, status: 403, cause: 'call-class', reason: 'No Extension' };
  if (!env.outbound) return { ok: false, status: 404, cause: 'no-route', reason: 'No Trunks' };
  const plan = planOutbound(tenant, dialled, ext, env.outbound.trunksFor(tenant.id));
  if (!plan.ok) return plan;
  if (maxClass && !classAllows(maxClass, plan.numberClass))
    return { ok: false, status: 403, cause: 'call-class', reason: `${plan.numberClass} calls not allowed` };
  const owner: ExternalCallOwner = {
    tenantId: tenant.id,
    timeZone: tenant.timeZone,
    maxExternalCalls: tenant.maxExternalCalls,
    dailyExternalMinutes: tenant.dailyExternalMinutes,
    dailySpendCap: tenant.dailySpendCap,
    spendAlertPercent: tenant.spendAlertPercent,
    clearCallsAtCap: tenant.clearCallsAtCap,
    extension: ext ? { number: ext.number, maxExternalCalls: ext.maxExternalCalls } : null,
  };
  const refused = plan.numberClass === 'emergency' ? null : env.outbound.check(owner);
  if (refused) return { ok: false, ...refused };
  // Under a spend cap a number the rate deck does not price could cost anything: refused.
  if (
    owner.dailySpendCap !== null &&
    plan.numberClass !== 'emergency' &&
    env.outbound.priceOf(plan.number) === null
  )
    return { ok: false, status: 403, cause: 'spend-cap', reason: 'No Price For This Number' };
  // A call forwarded out from outside keeps its original caller, and says who diverted it (RFC 5806).
  const forwardedFromOutside = ctx.external && ext !== null;
  return {
    plan,
    owner,
    callerId: forwardedFromOutside
      ? call.caller.number || 'anonymous'
      : callerId === 'anonymous' || (callerId && tenant.numbers.includes(callerId))
        ? callerId
        : plan.callerId,
    diversion: forwardedFromOutside ? (ext?.outboundCallerId ?? plan.callerId) : null,
  };
}

/** The fork toward a carrier: its address as the "contact", the number and identity in the trunk's format. */
function trunkTarget(
  tenant: TenantEntry,
  call: ExternalHost,
  trunk: Trunk,
  dest: Binding['source'],
  c: Cleared,
  delaySec: number,
  timeoutSec: number,
): RingTarget {
  const sent = forTrunk(c.plan.number, trunk);
  const port = trunk.port ?? dest.port;
  const tp = trunk.transport === 'UDP' ? '' : `;transport=${trunk.transport.toLowerCase()}`;
  const account = trunk.authUsername ?? trunk.username;
  return {
    party: { tenantId: tenant.id, number: c.plan.number, displayName: '', domain: tenant.domain },
    bindings: [
      {
        contact: `sip:${sent}@${trunk.host}:${port}${tp}`,
        expiresAt: Number.MAX_SAFE_INTEGER,
        callId: '',
        cseq: 0,
        source: dest,
        path: [],
        userAgent: null,
        q: 1,
      },
    ],
    delaySec,
    timeoutSec,
    trunk: {
      trunkName: trunk.name,
      ...trunkIdentity(trunk, c.callerId, call.caller.displayName, c.diversion),
      to: { number: sent, domain: trunk.host },
      credentials: trunk.password && account ? { username: account, password: trunk.password } : null,
      realm: trunk.realm,
      codecs: trunk.codecs,
    },
  };
}

/** A trunk of the plan that can take a call now (channel taken), with where to send it; or why not. */
async function takeTrunk(
  out: OutboundEnv,
  tenantId: string,
  id: string,
): Promise<{ trunk: Trunk; dest: Binding['source'] } | { skip: string; why: string; full?: boolean } | null> {
  const trunk = out.trunk(id);
  if (!trunk || !trunkServes(trunk, tenantId)) return null;
  if (out.isDown(id)) return { skip: trunk.name, why: 'trunk down' };
  if (!out.acquire(id)) return { skip: trunk.name, why: 'all channels in use', full: true };
  const [dest] = await out.targets(id);
  if (!dest) {
    out.release(id);
    return { skip: trunk.name, why: 'host does not resolve' };
  }
  return { trunk, dest };
}

/** Confirm-call's question for an outside number rung for this call, in the tenant's language. */
export function confirmPromptFor(
  tenant: { language: string },
  call: { caller: { number: string } },
): ConfirmPrompt {
  return confirmPrompt(tenant.language === 'ru' ? 'ru' : 'en', call.caller.number);
}

/** An external number ready to ring: `settle` says whether it answered (its counters then run until the call ends). */
export interface ExternalTarget {
  target: RingTarget;
  /**
   * `attempted`: an unanswered call was the extension's own try (a click-to-call), not a
   * number rung alongside others, so it counts for the fraud rule.
   */
  settle(answered: boolean, attempted?: boolean): void;
}

/**
 * An external number as one target of a ring round (a follow-me step, a group's
 * member, a transfer): through the first trunk of its route that can take it — a
 * round rings its targets at once, so there is no failover inside it. Refused:
 * not allowed or no trunk; the reason is also on the trail.
 */
export async function externalRingTarget(
  ctx: StepContext,
  call: ExternalHost,
  number: string,
  onBehalfOf: string | undefined,
  delaySec: number,
  timeoutSec: number,
  maxClass?: CallClass,
  /** The number the far end is shown instead of the route's, when it is one of the tenant's. */
  callerId?: string,
): Promise<ExternalTarget | { refused: Refusal }> {
  const step = (outcome: string) => call.step({ kind: 'external', id: null, name: number, outcome });
  const c = clear(ctx, call, number, onBehalfOf, maxClass, callerId);
  const out = ctx.env.outbound;
  if ('ok' in c || !out) {
    const refused = 'ok' in c ? c : { status: 404, cause: 'no-route', reason: 'No Trunks' };
    step(refused.reason);
    return { refused };
  }
  for (const id of c.plan.trunkIds) {
    const got = await takeTrunk(out, ctx.tenant.id, id);
    if (!got) continue;
    if ('skip' in got) {
      step(`${got.skip}: ${got.why}`);
      continue;
    }
    const ticket = out.take(
      c.owner,
      c.plan.numberClass === 'international',
      ctx.env.ms(),
      out.priceOf(c.plan.number),
      cutter(call, c.plan.numberClass),
    );
    call.throughTrunk(got.trunk.name, 'outbound');
    return {
      target: trunkTarget(ctx.tenant, call, got.trunk, got.dest, c, delaySec, timeoutSec),
      settle: (answered, attempted = false) => {
        const end = (attempt: boolean, on: { addCost(minor: number): void } = call) => {
          out.release(id);
          const cost = ticket.end(ctx.env.ms(), attempt);
          if (cost !== null) on.addCost(cost);
        };
        // Not answered here: someone else took the call (or nobody did); not the extension's own
        // attempt unless it was the only number rung for it.
        if (!answered) return end(attempted);
        ticket.answered(ctx.env.ms());
        call.holdUntilEnd((ending) => end(true, ending));
      },
    };
  }
  step('no trunk can take it');
  return { refused: { status: 503, cause: 'channel-limit', reason: 'No Trunk Available' } };
}

/** How a cap cuts this call off; an emergency call never is. */
function cutter(call: ExternalHost, numberClass: string): ((cause: string) => void) | null {
  return numberClass === 'emergency' ? null : (cause) => call.cutOff(cause);
}

/**
 * A call to an external number on its own: the route's trunks in turn until one
 * carries it; a trunk down, full, or answering 5xx/408 hands over to the next.
 */
export async function dialExternal(
  ctx: StepContext,
  call: RoutedCall,
  dialled: string,
  onBehalfOf: string | undefined,
): Promise<Destination | null> {
  const { tenant, env } = ctx;
  const step = (outcome: string, name = dialled) => call.step({ kind: 'external', id: null, name, outcome });
  const c = clear(ctx, call, dialled, onBehalfOf);
  const out = env.outbound;
  if ('ok' in c || !out) {
    const r = 'ok' in c ? c : { status: 404, cause: 'no-route', reason: 'No Trunks' };
    step(r.reason);
    call.finish(r.status, r.cause, r.reason);
    return null;
  }
  const { plan } = c;
  const ticket = out.take(
    c.owner,
    plan.numberClass === 'international',
    env.ms(),
    out.priceOf(plan.number),
    cutter(call, plan.numberClass),
  );
  step(`route ${plan.route.name}: ${plan.number} (${plan.numberClass})`);

  let full = false;
  let last: { status: number; cause: string; reason: string } | null = null;
  for (const id of plan.trunkIds) {
    if (call.state !== 'ringing') break;
    const got = await takeTrunk(out, tenant.id, id);
    if (!got) continue;
    if ('skip' in got) {
      full ||= got.full === true;
      step(got.why, got.skip);
      continue;
    }
    if (call.state !== 'ringing') {
      out.release(id);
      break;
    }
    const { trunk } = got;
    call.throughTrunk(trunk.name, 'outbound');
    const target = trunkTarget(tenant, call, trunk, got.dest, c, 0, EXTERNAL_RING_SEC);
    const outcome = await call.ring([target], { timeoutSec: EXTERNAL_RING_SEC });
    if (outcome.kind === 'answered') {
      ticket.answered(env.ms());
      step('answered', trunk.name);
      call.holdUntilEnd((ending) => {
        out.release(id);
        const cost = ticket.end(env.ms());
        if (cost !== null) ending.addCost(cost);
      });
      return null;
    }
    out.release(id);
    if (outcome.kind === 'ended') break;
    step(`${outcome.status} ${outcome.reason}`, trunk.name);
    last = { status: outcome.status, cause: outcome.cause, reason: outcome.reason };
    if (!tryNext(outcome.status)) break;
  }
  ticket.end(env.ms());
  if (call.state !== 'ringing') return null;
  if (last && !tryNext(last.status)) call.finish(last.status, last.cause, last.reason);
  else if (full && !last) call.finish(503, 'channel-limit', 'All Trunk Channels In Use');
  else call.finish(last?.status ?? 503, last ? 'failed' : 'no-route', last?.reason ?? 'No Trunk Available');
  return null;
}
