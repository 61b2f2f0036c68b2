/**
 * Call park: a phone transfers its call to the park code (*85 by default, a
 * blind REFER); the PBX tells the parker the slot, lets it go, and plays music to
 * the parked party. Anyone in the tenant dials the retrieve code and the slot
 * (*86 and 1, …) to take it. Unretrieved after the return time, the call rings the
 * parker again; if nobody answers there, it ends.
 */
import { promptFiles } from '../media/prompts.js';
import { sayDigits } from '../media/say.js';
import { makeResponse } from '../sip/build.js';
import type { Dialog } from '../sip/dialog.js';
import type { SipRequest } from '../sip/message/index.js';
import type { Timer } from '../sip/transaction/clock.js';
import type { InviteServerTransaction } from '../sip/transaction/ist.js';
import type { ServerTransaction } from '../sip/transaction/layer.js';
import type { Destination } from '../sip/transaction/types.js';
import type { Call, CallParty } from './call.js';
import { BlindTransfer, referIdOf, type TransferDeps } from './transfer.js';

type Side = 'A' | 'B';

/** Slots per tenant: *861 … *869 with the default codes. */
export const PARK_SLOTS = 9;

interface Parked {
  call: Call;
  /** The call's side the parker left (empty until someone takes it). */
  side: Side;
  parker: string;
  /** The parker's REFER (its CSeq): the NOTIFY that lets it go names it. */
  referId: string;
  /** The parker's dialog: let go once it has heard the slot (or when someone takes the call). */
  parkerDialog: Dialog | null;
  timer: Timer;
}

export class ParkingLot {
  private readonly slots = new Map<string, Map<number, Parked>>();

  constructor(
    private readonly deps: TransferDeps & { language(tenantId: string): string },
    /** Seconds a call stays parked before it returns to the parker. */
    private readonly returnSec = 120,
  ) {}

  /** The parked calls of a tenant, by slot (live views, busy lamps later). */
  parked(tenantId: string): { slot: number; caller: string; parker: string }[] {
    return [...(this.slots.get(tenantId) ?? new Map<number, Parked>())].map(([slot, p]) => ({
      slot,
      caller: p.call.partyOf(p.side === 'A' ? 'B' : 'A').number,
      parker: p.parker,
    }));
  }

  /** The REFER to the park code: the other side of `call` is parked, `side` (the parker) is told the slot. */
  park(call: Call, side: Side, req: SipRequest, tx: ServerTransaction): void {
    const tenantId = call.caller.tenantId;
    const lot = this.slots.get(tenantId) ?? new Map<number, Parked>();
    this.slots.set(tenantId, lot);
    let slot = 1;
    while (lot.has(slot) && slot <= PARK_SLOTS) slot++;
    if (slot > PARK_SLOTS) {
      tx.respond(makeResponse(req, 486, { reason: 'All Park Slots Taken' }));
      return;
    }
    const parker = call.partyOf(side);
    const parked: Parked = {
      call,
      side,
      parker: parker.number,
      parkerDialog: call.dialogOf(side),
      referId: referIdOf(req),
      timer: this.deps.clock.after(this.returnSec * 1000, () => this.giveBack(tenantId, slot)),
    };
    lot.set(slot, parked);
    call.onEnded(() => this.release(tenantId, slot, parked));
    tx.respond(makeResponse(req, 202));
    call.markLeaving(side);
    call.startMusic(side === 'A' ? 'B' : 'A');
    call.step({ kind: 'park', id: null, name: `slot ${slot}`, outcome: `parked by ${parker.number}` });
    // The parker hears the slot, then is let go (NOTIFY 200, BYE).
    const lang = this.deps.language(tenantId) === 'ru' ? 'ru' : 'en';
    const ep = call.anchored?.endpointOf(side);
    const done = () => this.letGo(parked);
    if (ep) ep.play({ files: promptFiles(sayDigits(String(slot), lang), lang) }).then(done, done);
    else done();
  }

  /** The parker is told it worked and hung up — if it is still the one on that side. */
  private letGo(p: Parked): void {
    const d = p.parkerDialog;
    p.parkerDialog = null;
    if (d && p.call.dialogOf(p.side) === d) this.notifyDone(d, p.call, p.side, p.referId);
  }

  private notifyDone(d: Dialog, call: Call, side: Side, referId: string): void {
    const notify = d.request('NOTIFY', {
      headers: [
        ['Event', `refer;id=${referId}`],
        ['Subscription-State', 'terminated;reason=noresource'],
      ],
      body: Buffer.from('SIP/2.0 200 OK\r\n'),
      contentType: 'message/sipfrag;version=2.0',
    });
    this.deps.layer.sendRequest(notify, d.dest, { response: () => {}, timeout: () => {} });
    call.retire(side);
    this.deps.layer.sendRequest(d.request('BYE'), d.dest, { response: () => {}, timeout: () => {} });
  }

  /** A phone dialled the retrieve code and `slot`: it takes the parked call. Null: nothing there. */
  retrieve(
    tenantId: string,
    slot: number,
    invite: SipRequest,
    tx: InviteServerTransaction,
    source: Destination,
    party: CallParty,
  ): boolean {
    const p = this.slots.get(tenantId)?.get(slot);
    if (!p) return false;
    // The parker may still be hearing the slot number: it is let go now.
    this.letGo(p);
    this.release(tenantId, slot, p);
    p.call.step({ kind: 'park', id: null, name: `slot ${slot}`, outcome: `retrieved by ${party.number}` });
    void p.call.takeSide(p.side, invite, tx, source, party);
    return true;
  }

  /** Nobody took it in time: it rings the parker; unanswered there, it ends. */
  private giveBack(tenantId: string, slot: number): void {
    const p = this.slots.get(tenantId)?.get(slot);
    if (!p) return;
    this.release(tenantId, slot, p);
    const dest = this.deps.resolve(tenantId, p.parker);
    p.call.step({ kind: 'park', id: null, name: `slot ${slot}`, outcome: `back to ${p.parker}` });
    if (!dest || dest.bindings.length === 0) {
      p.call.hangup(p.side, 'park-timeout');
      return;
    }
    new BlindTransfer(this.deps, p.call, p.side, dest).start();
  }

  private release(tenantId: string, slot: number, p: Parked): void {
    const lot = this.slots.get(tenantId);
    if (lot?.get(slot) !== p) return;
    p.timer.cancel();
    lot.delete(slot);
  }
}
