/**
 * Paging (*81 and a ring group's number): the PBX answers the caller and puts
 * them in a conference room of the page's own; every member of the group who is
 * registered, not on DND and not on the phone is called with auto-answer headers
 * and joins the room listen-only — one voice to many speakers. The page ends
 * when the caller hangs up; a member may leave earlier.
 *
 * The members' legs are calls the PBX places itself (UAC): `PageLeg` is the
 * smallest such call — an INVITE with the relay's offer, the answer taken from
 * the 2xx, BYE either way.
 */
import { randomUUID } from 'node:crypto';
import { makeCancel, makeResponse, newCallId } from '../sip/build.js';
import { Dialog, type LocalAddress } from '../sip/dialog.js';
import type { SipRequest } from '../sip/message/index.js';
import type { ServerTransaction, TransactionLayer } from '../sip/transaction/layer.js';
import type { Sender } from '../sip/transaction/types.js';
import type { App, AppSession } from './app-call.js';
import { type ActiveCall, autoAnswerHeaders, type CallContext, type CallParty } from './call.js';
import { CallMedia, SDP_TYPE, sdpOf } from './call-media.js';
import type { Binding } from './location.js';
import { inviteTo } from './outgoing-invite.js';

export interface PageMember {
  party: CallParty;
  bindings: Binding[];
}

/** One member's leg of a page: the PBX calls the phone, which answers by itself. */
class PageLeg implements ActiveCall {
  state: 'ringing' | 'answered' | 'ended' = 'ringing';
  invite!: SipRequest;
  private dialog: Dialog | null = null;
  private media: CallMedia | null = null;
  private ack: SipRequest | null = null;
  private binding: Binding | null = null;

  constructor(
    private readonly ctx: CallContext & { layer: TransactionLayer; sender: Sender },
    readonly caller: CallParty,
    readonly callee: CallParty,
    private readonly room: string,
    private readonly codecs: readonly string[],
  ) {}

  /** Calls the member's first contact (a page rings one phone per member); false when it could not. */
  async start(binding: Binding): Promise<boolean> {
    const engine = this.ctx.media;
    if (!engine) return false;
    const opened = await CallMedia.open(engine, null, this.codecs, { callee: false, room: this.room });
    if (!opened.ok) return false;
    this.media = opened.media;
    const local: LocalAddress = this.ctx.localFor(binding.source);
    const req = inviteTo(
      binding,
      local,
      {
        from: {
          number: this.caller.number,
          domain: this.caller.domain,
          name: `Page: ${this.caller.displayName || this.caller.number}`,
        },
        to: this.callee,
      },
      {
        callId: newCallId(local.host),
        maxForwards: 70,
        carried: autoAnswerHeaders(this.caller.domain),
        body: Buffer.from(opened.media.offer('A')),
        contentType: SDP_TYPE,
      },
    );
    if (!req) {
      await this.end();
      return false;
    }
    this.invite = req;
    this.binding = binding;
    this.ctx.layer.sendRequest(req, binding.source, {
      response: (res) => {
        if (res.status < 200) return;
        if (res.status >= 300) {
          void this.end();
          return;
        }
        this.dialog ??= Dialog.asUac(req, res, binding.source, local);
        const d = this.dialog;
        if (!d) return;
        this.ack ??= d.request('ACK', { cseq: 1 });
        this.ctx.sender.send(this.ack, d.dest);
        if (this.state !== 'ringing') {
          // Answered after the page ended: hang up at once.
          if (this.state === 'ended') this.bye();
          return;
        }
        const sdp = sdpOf(res);
        if (!sdp || !this.media?.answered('A', sdp)) {
          this.bye();
          void this.end();
          return;
        }
        this.state = 'answered';
        this.ctx.bindDialog(d.key, this, 'B');
        this.media.caller.joinConference(this.room, { listenOnly: true });
      },
      timeout: () => void this.end(),
      transportError: () => void this.end(),
    });
    return true;
  }

  inDialog(_side: 'A' | 'B', req: SipRequest, tx: ServerTransaction | null): void {
    if (!tx) return;
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      void this.end();
      return;
    }
    tx.respond(makeResponse(req, req.method === 'INVITE' || req.method === 'UPDATE' ? 488 : 200));
  }

  cancelledByCaller(): void {}

  hangup(): void {
    if (this.state === 'answered') this.bye();
    else if (this.state === 'ringing' && this.invite)
      this.ctx.layer.sendRequest(makeCancel(this.invite), this.binding!.source, {
        response: () => {},
        timeout: () => {},
      });
    void this.end();
  }

  abort(): void {
    this.hangup();
  }

  private bye(): void {
    const d = this.dialog;
    if (d) this.ctx.layer.sendRequest(d.request('BYE'), d.dest, { response: () => {}, timeout: () => {} });
  }

  private async end(): Promise<void> {
    if (this.dialog) this.ctx.unbindDialog(this.dialog.key);
    this.state = 'ended';
    await this.media?.close();
  }

  async flushed(): Promise<void> {}
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
      const legs: PageLeg[] = [];
      for (const m of members) {
        const leg = new PageLeg(ctx, pager, m.party, room, codecs);
        if (m.bindings[0] && (await leg.start(m.bindings[0]))) legs.push(leg);
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
