/**
 * Call control for integrations (the API's `calls/originate`, `calls/{id}/hangup`,
 * `calls/{id}/transfer`), over the machinery phones already use:
 *
 * - Originate: the PBX dials the customer (an `OutboundLeg` on side A of a fresh
 *   two-sided relay — through a trunk with the tenant's class and limits, or an
 *   extension's phone) and, once they answer, hands the leg to a `Call` that the
 *   router routes from the destination as if the customer had called in and the
 *   PBX had answered (a queue puts them in line, a menu plays). One CDR row from
 *   the first INVITE: the customer is its caller, the destination its callee.
 * - Hangup: BYE to the parties of an answered call, the caller's INVITE refused
 *   (and its forks cancelled) while ringing, a CANCEL to a customer still ringing.
 * - Transfer: a blind transfer of one party (transfer.ts `transferByPbx`), the
 *   other party hung up at once.
 *
 * Calls are named by their record id, as live views and events name them; only
 * calls this node carries can be controlled here.
 */
import type { Logger } from 'pino';
import { AppCall } from './app-call.js';
import { type ActiveCall, Call, type CallContext, type CallParty, type Release } from './call.js';
import { CallMedia } from './call-media.js';
import { CallRecord } from './call-record.js';
import type { TenantEntry } from './directory.js';
import type { Binding } from './location.js';
import { isBrowserContact, OutboundLeg } from './outbound-leg.js';
import type { RoutedCall } from './routing/context.js';
import type { ExternalHost, ExternalTarget } from './routing/external.js';
import type { Destination } from './routing/types.js';
import { type PbxTransferTarget, type TransferDeps, transferByPbx } from './transfer.js';
import type { Refusal } from './trunks/limits.js';

/** How long the customer's phone rings when the request does not say. */
export const ORIGINATE_RING_SEC = 45;

/** Where an originated customer, or a transferred party, is sent. */
export type ControlDestination = Extract<
  Destination,
  {
    kind:
      | 'extension'
      | 'ringGroup'
      | 'queue'
      | 'ivr'
      | 'voicemail'
      | 'timeCondition'
      | 'number'
      | 'directory';
  }
>;

export interface OriginateRequest {
  tenantId: string;
  /** The customer: an extension, or an outside number as an extension would dial it. */
  to: string;
  destination: ControlDestination;
  /** The number the customer is shown: one of the tenant's numbers, or 'anonymous'; absent: the route's. */
  callerId?: string | undefined;
  /** The extension whose call this is (a user's own): its class and limits for an outside number. */
  onBehalfOf?: string | undefined;
  ringSec?: number | undefined;
}

export type ControlRefusal = { ok: false; status: number; code: string; reason: string; field?: string };

export interface CallControlDeps {
  ctx: CallContext;
  tenant(id: string): TenantEntry | undefined;
  bindingsOf(tenantId: string, number: string): Binding[];
  /** The calls this node carries: the customer's leg, then its call, join them. */
  calls: Set<ActiveCall>;
  route(call: RoutedCall, tenant: TenantEntry, first: Destination): Promise<void>;
  /** An outside number through the tenant's routes and trunks (externalRingTarget). */
  outside(
    tenant: TenantEntry,
    number: string,
    host: ExternalHost,
    ringSec: number,
    onBehalfOf: string | undefined,
    callerId: string | undefined,
  ): Promise<ExternalTarget | { refused: Refusal }>;
  transferDeps(): TransferDeps;
  log: Logger;
}

/** A customer still ringing: hung up by CANCEL. */
interface Ringing {
  tenantId: string;
  /** The customer, and the destination's extension if it is one (whose user may cancel it). */
  numbers: string[];
  leg: OutboundLeg;
  /** Hung up through the API before the customer answered. */
  byApi: boolean;
}

const refused = (status: number, code: string, reason: string, field?: string): ControlRefusal => ({
  ok: false,
  status,
  code,
  reason,
  ...(field ? { field } : {}),
});

/** A call of two legs the PBX placed (click-to-call, a queue callback): hung up, not transferred. */
interface Placed {
  tenantId: string;
  numbers: string[];
  hangup(): void;
}

export class CallControl {
  /** Originated calls whose customer has not answered yet, by record id. */
  private readonly ringing = new Map<string, Ringing>();
  /** Click-to-calls and queue callbacks in progress, by record id (callback-dialer.ts registers them). */
  private readonly placed = new Map<string, Placed>();

  constructor(private readonly deps: CallControlDeps) {}

  /** The destination's party as the record and the customer's phone show it; or why it cannot be used. */
  private target(
    tenant: TenantEntry,
    d: ControlDestination,
  ): { number: string; name: string; ext?: string } | ControlRefusal {
    switch (d.kind) {
      case 'extension':
      case 'voicemail': {
        const ext = tenant.extensionsById.get(d.id);
        // A group mailbox has no extension: the record names it by kind.
        if (!ext && d.kind === 'voicemail') return { number: '', name: 'voicemail' };
        if (!ext) return refused(404, 'no-destination', 'No extension with this id', 'destination.id');
        return { number: ext.number, name: ext.displayName, ext: ext.number };
      }
      case 'number':
        return { number: d.number, name: '' };
      case 'directory':
        return { number: '', name: 'directory' };
      default: {
        const o = tenant.routing.get(d.id);
        if (!o || o.kind !== d.kind)
          return refused(404, 'no-destination', `No ${d.kind} with this id`, 'destination.id');
        return { number: o.number ?? '', name: o.name };
      }
    }
  }

  /**
   * Dials the customer and routes them to the destination once they answer. Resolves
   * with the record id once the INVITE is out; refused at once when it cannot work.
   */
  async originate(r: OriginateRequest): Promise<{ ok: true; id: string } | ControlRefusal> {
    const { ctx } = this.deps;
    const engine = ctx.media;
    if (!engine) return refused(503, 'unavailable', 'Calls need the media engine');
    const tenant = this.deps.tenant(r.tenantId);
    if (!tenant) return refused(404, 'no-tenant', 'No such tenant');
    const dest = this.target(tenant, r.destination);
    if ('ok' in dest) return dest;
    if (r.callerId !== undefined && r.callerId !== 'anonymous' && !tenant.numbers.includes(r.callerId))
      return refused(400, 'caller-id', 'The caller ID must be one of the company’s numbers', 'callerId');
    const customerExt = tenant.extensions.get(r.to);
    if (!customerExt && tenant.routingByNumber.has(r.to))
      return refused(400, 'not-a-phone', `${r.to} is not a phone: call a person, then route them`, 'to');
    if (customerExt && r.to === dest.ext)
      return refused(400, 'same', 'The customer and the destination are the same extension', 'to');
    const ringSec = r.ringSec ?? ORIGINATE_RING_SEC;
    let phone: Binding | undefined;
    if (customerExt) {
      if (customerExt.dnd) return refused(409, 'dnd', `Extension ${r.to} is on do not disturb`, 'to');
      phone = this.deps.bindingsOf(tenant.id, r.to).find((b) => !isBrowserContact(b) || ctx.webrtc !== null);
      if (!phone) return refused(409, 'not-registered', `Extension ${r.to} has no registered phone`, 'to');
    }
    const customer: CallParty = {
      tenantId: tenant.id,
      number: r.to,
      displayName: customerExt?.displayName ?? '',
      domain: tenant.domain,
    };
    const callee: CallParty = {
      tenantId: tenant.id,
      number: dest.number,
      displayName: dest.name,
      domain: tenant.domain,
    };

    // What the outside number's route does before the call exists is kept and handed on to it.
    const early: { steps: Parameters<Call['step']>[0][]; trunk: string | null; cost: number } = {
      steps: [],
      trunk: null,
      cost: 0,
    };
    let call: Call | null = null;
    const held: Release[] = [];
    const host: ExternalHost = {
      caller: callee,
      step: (s) => (call ? call.step(s) : early.steps.push(s)),
      throughTrunk: (name) => {
        if (call) call.throughTrunk(name, 'outbound');
        else early.trunk = name;
      },
      addCost: (minor) => {
        if (call) call.addCost(minor);
        else early.cost += minor;
      },
      // The customer holds the trunk's channel (side A) until they leave, wherever they are sent.
      holdUntilEnd: (release) => (call ? call.holdUntilEnd(release, 'A') : held.push(release)),
      cutOff: (cause) => call?.cutOff(cause),
    };
    let outside: ExternalTarget | null = null;
    if (!customerExt) {
      const x = await this.deps.outside(tenant, r.to, host, ringSec, r.onBehalfOf, r.callerId);
      if ('refused' in x) return refused(x.refused.status, x.refused.cause, x.refused.reason, 'to');
      outside = x;
      phone = x.target.bindings[0];
    }
    const opened = await CallMedia.open(engine, null, tenant.codecs, { webrtc: ctx.webrtc });
    if (!opened.ok || !phone) {
      outside?.settle(false);
      if (opened.ok) await opened.media.close();
      return refused(503, 'unavailable', opened.ok ? 'No Phone' : opened.refusal.reason);
    }
    const media = opened.media;
    const shown = r.callerId ?? (dest.number || tenant.numbers[0] || 'anonymous');
    const leg = new OutboundLeg(ctx, callee, customer, {
      from: { number: shown, domain: tenant.domain, name: dest.name },
      room: '',
      codecs: tenant.codecs,
      ringSec,
      holdOutOfRoom: true,
      media,
      ...(outside?.target.trunk ? { trunk: outside.target.trunk } : {}),
    });
    if (!(await leg.start(phone))) {
      outside?.settle(false);
      return refused(503, 'failed', 'The call could not be placed');
    }
    const record = CallRecord.of(ctx, leg.invite, customer, callee);
    const id = record.callId;
    this.deps.calls.add(leg);
    const entry: Ringing = {
      tenantId: tenant.id,
      numbers: dest.ext ? [r.to, dest.ext] : [r.to],
      leg,
      byApi: false,
    };
    this.ringing.set(id, entry);
    const startedAt = new Date().toISOString();
    const originated = (outcome: string): Parameters<Call['step']>[0] => ({
      kind: 'originate',
      id: null,
      name: r.to,
      outcome,
    });

    void (async () => {
      const answered = (await leg.outcome) === 'answered';
      this.ringing.delete(id);
      const handed = answered ? leg.handOff() : null;
      if (!handed) {
        // A user's own call counts as their try for the fraud rule, as a click-to-call does.
        outside?.settle(false, r.onBehalfOf !== undefined);
        leg.hangup();
        this.deps.calls.delete(leg);
        record.ended(
          new Date(),
          Promise.resolve({
            cause: entry.byApi ? 'api-hangup' : 'no-answer',
            sipStatus: 480,
            hangupBy: null,
            legs: [
              {
                number: r.to,
                target: phone.contact,
                startedAt,
                answeredAt: null,
                endedAt: new Date().toISOString(),
                sipStatus: null,
              },
            ],
            trail: [
              ...early.steps.map((s) => ({ at: startedAt, ...s })),
              {
                at: new Date().toISOString(),
                ...originated(entry.byApi ? 'hung up by the API while ringing' : 'did not answer'),
              },
            ],
            ...(early.trunk ? { trunk: early.trunk, direction: 'outbound' as const } : {}),
            ...(early.cost ? { cost: Math.round(early.cost) } : {}),
          }),
        );
        return;
      }
      const c = Call.originated(
        ctx,
        handed.invite,
        handed.dialog,
        media,
        customer,
        callee,
        { codecs: tenant.codecs, tones: tenant.tones },
        record,
      );
      call = c;
      this.deps.calls.delete(leg);
      this.deps.calls.add(c);
      for (const s of early.steps) c.step(s);
      if (early.trunk) c.throughTrunk(early.trunk, 'outbound');
      if (early.cost) c.addCost(early.cost);
      for (const release of held.splice(0)) c.holdUntilEnd(release, 'A');
      outside?.settle(true);
      c.step(originated(`answered, sent to ${dest.name || dest.number || r.destination.kind}`));
      ctx.changed(c);
      await this.deps.route(c, tenant, r.destination);
    })().catch((err: unknown) => {
      this.deps.log.error({ err, tenantId: tenant.id, to: r.to }, 'originate failed');
      const c = call as Call | null;
      if (c) c.abort();
      else leg.hangup();
    });
    return { ok: true, id };
  }

  /** A click-to-call or callback may be hung up by `id` until the returned function is called. */
  register(id: string, tenantId: string, numbers: string[], hangup: () => void): () => void {
    this.placed.set(id, { tenantId, numbers, hangup });
    return () => this.placed.delete(id);
  }

  /** The call of `tenantId` this node carries under record id `id`. */
  private find(tenantId: string, id: string): Call | AppCall | null {
    for (const c of this.deps.calls)
      if ((c instanceof Call || c instanceof AppCall) && c.recordId === id && c.caller.tenantId === tenantId)
        return c.state === 'ended' ? null : c;
    return null;
  }

  /**
   * The extensions on a live call (who 'own' access lets control it): its caller and
   * callee — or, for a customer still being dialled, that number. Null: not live here.
   */
  numbersOn(tenantId: string, id: string): string[] | null {
    const r = this.ringing.get(id);
    if (r) return r.tenantId === tenantId ? r.numbers : null;
    const p = this.placed.get(id);
    if (p) return p.tenantId === tenantId ? p.numbers : null;
    const c = this.find(tenantId, id);
    if (!c) return null;
    if (!(c instanceof Call) || c.state !== 'answered') return [c.caller.number, c.callee.number];
    return (['A', 'B'] as const).filter((s) => !c.isGone(s)).map((s) => c.partyOf(s).number);
  }

  /** Ends a live call: both parties hear BYE (a ringing caller its INVITE refused, forks CANCEL). */
  hangup(tenantId: string, id: string): boolean {
    const r = this.ringing.get(id);
    if (r && r.tenantId === tenantId) {
      r.byApi = true;
      r.leg.hangup();
      return true;
    }
    const p = this.placed.get(id);
    if (p && p.tenantId === tenantId) {
      this.placed.delete(id);
      p.hangup();
      return true;
    }
    const c = this.find(tenantId, id);
    if (!c) return false;
    if (c instanceof AppCall) c.hangup();
    else {
      c.step({ kind: 'control', id: null, name: 'hangup', outcome: 'by the API' });
      if (c.state === 'ringing') c.finish(480, 'api-hangup', 'Temporarily Unavailable');
      else c.hangup('A', 'api-hangup');
    }
    return true;
  }

  /**
   * Sends one party of an answered call to `to`; the other party is hung up. An outside
   * number is rung in the name of the party let go (its class and limits, as with REFER).
   * `by`: the requester's own extensions (a user's 'own' access; absent: the tenant's admin).
   * A user may send an outside number only a call one of their extensions lets go, as their
   * phone's REFER would: otherwise an internal-only extension could move itself out in a
   * colleague's name, without the colleague asking.
   */
  async transfer(
    tenantId: string,
    id: string,
    side: 'caller' | 'callee',
    to: { number: string } | { destination: ControlDestination },
    by?: readonly string[],
  ): Promise<{ ok: true } | ControlRefusal> {
    const c = this.find(tenantId, id);
    const dialling =
      this.ringing.get(id)?.tenantId === tenantId || this.placed.get(id)?.tenantId === tenantId;
    if (!c && !dialling) return refused(404, 'not-live', 'No such call live on this node');
    if (!(c instanceof Call) || c.state !== 'answered')
      return refused(
        409,
        'not-answered',
        'Only an answered call between two parties can be transferred (not a click-to-call or a callback)',
      );
    const tenant = this.deps.tenant(tenantId);
    if (!tenant) return refused(404, 'not-live', 'No such call live on this node');
    let target: PbxTransferTarget;
    // The API's body names the target `destination` (a number, or {kind, id}).
    let field = 'destination';
    if ('number' in to) target = { number: to.number };
    else {
      const d = to.destination;
      field = 'destination.id';
      const known = this.target(tenant, d);
      if ('ok' in known) return { ...known, field };
      if (d.kind === 'number') target = { number: d.number };
      else if (d.kind === 'extension') target = { number: known.number };
      else
        target = {
          name: known.number ? `${known.name} (${known.number})` : known.name,
          run: (routed) => this.deps.route(routed, tenant, d),
        };
    }
    const transferee = side === 'caller' ? 'A' : 'B';
    const letGo = c.partyOf(transferee === 'A' ? 'B' : 'A').number;
    const deps = this.deps.transferDeps();
    if (by && !by.includes(letGo))
      deps.resolveExternal = async () => ({
        refused: { status: 403, reason: `Only ${letGo} Can Send This Call Outside` },
      });
    c.step({ kind: 'control', id: null, name: 'transfer', outcome: `${side} by the API` });
    const r = await transferByPbx(deps, c, transferee, target);
    if (r.ok) return r;
    const code = r.status === 404 ? 'no-destination' : r.status === 409 ? 'busy-call' : 'refused';
    return refused(r.status, code, r.reason, r.status === 409 ? undefined : field);
  }
}
