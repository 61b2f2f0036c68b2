/**
 * The two calls of a queue callback, placed by the PBX: every offered agent's
 * phone rings (the first to answer takes it, the others are cancelled), the
 * agent hears ringback while the caller is dialled, and the two legs are joined
 * in a private room. The callback is one CDR row — caller → agent, with the
 * queue on its trail — open from the first INVITE.
 */
import { randomUUID } from 'node:crypto';
import type { CallLeg, RouteStep } from '../../store/schema.js';
import type { CallContext, CallParty, TrunkDial } from '../call.js';
import { CallRecord } from '../call-record.js';
import type { TenantEntry } from '../directory.js';
import type { Binding } from '../location.js';
import { isBrowserContact, OutboundLeg } from '../outbound-leg.js';
import type { ExternalHost, ExternalTarget } from '../routing/external.js';
import type { CallbackDialer, CallbackResult } from './callback.js';

export interface CallbackDialerDeps {
  ctx: CallContext;
  bindingsOf(tenantId: string, number: string): Binding[];
  /** The legs count as calls while they last (busy lamps, agents' call limits). */
  track(leg: OutboundLeg): void;
  /**
   * The call can be hung up through the API by its record id while it lasts (call-control.ts);
   * returns how to take it off that list. Absent: it cannot.
   */
  controlled?(id: string, tenantId: string, numbers: string[], hangup: () => void): () => void;
  /**
   * An outside number through a trunk: a callback as the tenant's own call (its class and
   * limits), a click-to-call as the extension's (`onBehalfOf`); absent: extensions only.
   */
  outside?(
    tenant: TenantEntry,
    number: string,
    host: ExternalHost,
    ringSec: number,
    onBehalfOf?: string,
  ): Promise<ExternalTarget | { refused: unknown }>;
}

export function callbackDialer(deps: CallbackDialerDeps): CallbackDialer {
  const { ctx } = deps;
  return {
    async connect(req): Promise<CallbackResult> {
      const { tenant } = req;
      const party = (number: string, name: string): CallParty => ({
        tenantId: tenant.id,
        number,
        displayName: name,
        domain: tenant.domain,
      });
      const caller = party(req.caller.number, req.caller.name);
      const click = req.clickToCall ?? null;
      const room = `${tenant.id}/${click ? 'click' : 'callback'}-${randomUUID()}`;
      const step = (outcome: string): RouteStep =>
        click
          ? { at: new Date().toISOString(), kind: 'clickToCall', id: null, name: req.caller.number, outcome }
          : { at: new Date().toISOString(), kind: 'queue', id: req.queueId, name: req.queueName, outcome };
      // A desk phone first; a browser when the PBX can place WebRTC legs.
      const phoneOf = (number: string) => phonesOf(number)[0];
      /** Every device of the extension the PBX can ring: desk phones, and browsers through the gateway. */
      const phonesOf = (number: string) =>
        deps.bindingsOf(tenant.id, number).filter((b) => !isBrowserContact(b) || ctx.webrtc !== null);
      const leg = (
        to: CallParty,
        from: CallParty,
        name: string,
        ringSec: number,
        holdOutOfRoom: boolean,
        trunk?: TrunkDial,
      ) =>
        new OutboundLeg(ctx, from, to, {
          from: { number: from.number, domain: tenant.domain, name },
          room,
          codecs: tenant.codecs,
          ringSec,
          holdOutOfRoom,
          ...(trunk ? { trunk } : {}),
        });

      // 1. The agents, each on every device they have (a desk phone, a softphone, a portal tab
      //    left open): the first to answer takes the call.
      const agentLegs: { number: string; leg: OutboundLeg; record: CallLeg }[] = [];
      for (const number of req.agents) {
        const ext = tenant.extensions.get(number);
        if (!ext) continue;
        for (const phone of phonesOf(number)) {
          const l = leg(
            party(number, ext.displayName),
            caller,
            click
              ? `${req.caller.name || req.caller.number}`
              : `Callback ${req.queueName}: ${req.caller.name || req.caller.number}`,
            req.agentRingSec,
            true,
          );
          if (await l.start(phone)) {
            deps.track(l);
            agentLegs.push({ number, leg: l, record: legRecord(number, phone) });
          }
        }
      }
      if (agentLegs.length === 0) return { kind: 'noAgent' };
      const first = await firstAnswered(agentLegs.map((a) => a.leg));
      for (const a of agentLegs) {
        if (a.leg !== first) {
          a.leg.hangup();
          a.record.endedAt = new Date().toISOString();
        }
      }
      if (!first) return { kind: 'noAgent' };
      const agent = agentLegs.find((a) => a.leg === first)!;
      agent.record.answeredAt = first.answeredAt?.toISOString() ?? null;
      agent.record.sipStatus = 200;

      // 2. The caller, while the agent hears ringback.
      const agentParty = party(agent.number, tenant.extensions.get(agent.number)?.displayName ?? '');
      // A click-to-call is the extension's call to the number; a callback the caller's to the agent.
      const cdr = click
        ? CallRecord.of(ctx, first.invite, agentParty, { number: req.caller.number })
        : CallRecord.of(ctx, first.invite, caller, { number: agent.number });
      const trail: RouteStep[] = [
        step(click ? `answered by ${agent.number}, dialling` : `callback answered by ${agent.number}`),
      ];
      let out: OutboundLeg | null = null;
      // Hung up through the API: both legs go, and the record says who ended it.
      let byApi = false;
      const released = deps.controlled?.(cdr.callId, tenant.id, [agent.number, req.caller.number], () => {
        byApi = true;
        trail.push({
          at: new Date().toISOString(),
          kind: 'control',
          id: null,
          name: 'hangup',
          outcome: 'by the API',
        });
        out?.hangup();
        first.hangup();
      });
      first.tone({ tone: { region: tenant.tones, name: 'ringback' } });
      const via: { trunk: string | null; cost: number | null } = { trunk: null, cost: null };
      // An outside caller is dialled through a trunk: the tenant's own call (its class and limits).
      const outside =
        !tenant.extensions.has(req.caller.number) && deps.outside
          ? await deps.outside(
              tenant,
              req.caller.number,
              {
                caller: agentParty,
                step: (s) => trail.push({ at: new Date().toISOString(), ...s }),
                throughTrunk: (name) => {
                  via.trunk = name;
                },
                addCost: (minor) => {
                  via.cost = (via.cost ?? 0) + minor;
                },
                // A cap reached while the callback runs ends both legs, as the agent hanging up would.
                cutOff: () => {
                  out?.hangup();
                  first.hangup();
                },
                holdUntilEnd: (fn) =>
                  void out?.ended.then(() =>
                    fn({
                      addCost: (minor) => {
                        via.cost = (via.cost ?? 0) + minor;
                      },
                    }),
                  ),
              },
              req.callerRingSec,
              click?.extensionId,
            )
          : null;
      const viaTrunk = outside && 'target' in outside ? outside : null;
      const phone = viaTrunk ? viaTrunk.target.bindings[0] : phoneOf(req.caller.number);
      if (phone)
        out = leg(
          caller,
          agentParty,
          click
            ? agentParty.displayName || agent.number
            : `${req.queueName}: ${agentParty.displayName || agent.number}`,
          req.callerRingSec,
          false,
          viaTrunk?.target.trunk,
        );
      const callerRecord = legRecord(req.caller.number, phone);
      let reached: 'answered' | 'failed' | 'agentGone' = 'failed';
      if (out && phone && (await out.start(phone))) {
        deps.track(out);
        // The agent may give up while the caller's phone rings: then the caller is not rung on.
        reached = await Promise.race([out.outcome, first.ended.then(() => 'agentGone' as const)]);
      }
      // A click-to-call the number did not answer was the extension's own try (the fraud rule).
      viaTrunk?.settle(reached === 'answered', click !== null);
      if (reached !== 'answered' || first.state !== 'answered' || !out) {
        out?.hangup();
        first.hangup();
        callerRecord.endedAt = agent.record.endedAt = new Date().toISOString();
        const why =
          reached === 'answered' || reached === 'agentGone' ? 'agent hung up' : 'caller did not answer';
        if (!byApi)
          trail.push(step(why === 'caller did not answer' && click ? 'the number did not answer' : why));
        released?.();
        cdr.ended(
          new Date(),
          Promise.resolve({
            cause: byApi ? 'api-hangup' : why === 'agent hung up' ? 'cancelled' : 'no-answer',
            sipStatus: 480,
            hangupBy: 'system' as const,
            legs: [agent.record, callerRecord],
            trail,
            ...(via.trunk ? { trunk: via.trunk, direction: 'outbound' as const } : {}),
            ...(via.cost !== null ? { cost: Math.round(via.cost) } : {}),
          }),
        );
        // An agent who gave up counts as not answering; a caller who did not answer uses up a try.
        return why === 'agent hung up' ? { kind: 'noAgent' } : { kind: 'noCaller', agent: agent.number };
      }
      callerRecord.answeredAt = out.answeredAt?.toISOString() ?? null;
      callerRecord.sipStatus = 200;
      first.joinRoom();
      cdr.answered(new Date());

      // 3. Talking: whoever hangs up first ends it for both.
      const ended = Promise.race([first.ended, out.ended]).then(async () => {
        // The agent's phone is the record's callee in a callback, its caller in a click-to-call.
        const agentSide = click ? 'caller' : 'callee';
        const otherSide = click ? 'callee' : 'caller';
        const by =
          first.state === 'ended' && first.endedBy === 'callee'
            ? agentSide
            : out.state === 'ended' && out.endedBy === 'callee'
              ? otherSide
              : 'system';
        first.hangup();
        out.hangup();
        await Promise.all([first.ended, out.ended]);
        callerRecord.endedAt = agent.record.endedAt = new Date().toISOString();
        released?.();
        cdr.ended(
          new Date(),
          Promise.resolve({
            cause: byApi ? 'api-hangup' : 'normal',
            sipStatus: 200,
            hangupBy: by,
            legs: [agent.record, callerRecord],
            trail,
            ...(via.trunk ? { trunk: via.trunk, direction: 'outbound' as const } : {}),
            ...(via.cost !== null ? { cost: Math.round(via.cost) } : {}),
          }),
        );
      });
      return { kind: 'connected', agent: agent.number, ended };
    },
  };
}

/** The first leg to answer, or null when none does. */
function firstAnswered(legs: OutboundLeg[]): Promise<OutboundLeg | null> {
  return new Promise((resolve) => {
    let left = legs.length;
    for (const l of legs)
      void l.outcome.then((o) => {
        if (o === 'answered') resolve(l);
        else if (--left === 0) resolve(null);
      });
  });
}

function legRecord(number: string, phone: Binding | undefined): CallLeg {
  return {
    number,
    target: phone?.contact ?? '',
    startedAt: new Date().toISOString(),
    answeredAt: null,
    endedAt: null,
    sipStatus: null,
  };
}
