/**
 * Paging (*81 and a ring group's number): the PBX answers the caller and puts
 * them in a conference room of the page's own; every member of the group who is
 * registered, not on DND and not on the phone is called with auto-answer headers
 * and joins the room listen-only — one voice to many speakers. The page ends
 * when the caller hangs up; a member may leave earlier.
 *
 * The members' legs are calls the PBX places itself (UAC, `OutboundLeg`), each
 * joining the page's room listen-only once the phone answers by itself; a
 * browser softphone is reached over WebRTC through the gateway and answers by
 * itself too (web/src/softphone/auto-answer.ts).
 */
import { randomUUID } from 'node:crypto';
import type { App, AppSession } from './app-call.js';
import { autoAnswerHeaders, type CallContext, type CallParty } from './call.js';
import type { Binding } from './location.js';
import { isBrowserContact, OutboundLeg } from './outbound-leg.js';

export interface PageMember {
  party: CallParty;
  bindings: Binding[];
}

/**
 * The app the pager's call runs: it joins its room (speaking), calls every member,
 * and hangs them all up when the pager leaves.
 */
export function pagingApp(
  ctx: CallContext,
  pager: CallParty,
  members: PageMember[],
  codecs: readonly string[],
): App {
  const room = `${pager.tenantId}/page-${randomUUID()}`;
  return Object.assign(
    async (call: AppSession): Promise<void> => {
      const legs: OutboundLeg[] = [];
      for (const m of members) {
        const leg = new OutboundLeg(ctx, pager, m.party, {
          from: {
            number: pager.number,
            domain: pager.domain,
            name: `Page: ${pager.displayName || pager.number}`,
          },
          room,
          listenOnly: true,
          headers: autoAnswerHeaders(pager.domain),
          codecs,
        });
        // A desk phone first; a browser softphone when the PBX can place WebRTC legs.
        const phone =
          m.bindings.find((b) => !isBrowserContact(b)) ?? (ctx.webrtc ? m.bindings[0] : undefined);
        if (phone && (await leg.start(phone))) legs.push(leg);
      }
      if (legs.length === 0) {
        await call.tone({ region: call.language === 'ru' ? 'ru' : 'eu', name: 'busy' });
        return;
      }
      call.log.info({ pager: pager.number, members: legs.length }, 'page started');
      await call.tone({ region: call.language === 'ru' ? 'ru' : 'eu', name: 'beep' });
      call.joinConference();
      await call.hungUp;
      for (const leg of legs) leg.hangup();
    },
    { room: () => room },
  );
}
