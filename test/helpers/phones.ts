/**
 * A bank of phones on our own stack over UDP, registered to a SIP service: each
 * answers, rings for ever, or refuses busy as the test sets it, and keeps the
 * INVITEs it got. What the routing and feature-code tests share.
 */
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import type { SipFixture } from './sip.js';
import { type Exchange, type TestUa, udpUa, until, Wire } from './test-ua.js';

export const PHONE_SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n',
);

export type Mode = 'answer' | 'busy' | 'ring';
export type Phone = TestUa & {
  close(): void;
  mode: Mode;
  /** New calls offered to the phone. */
  invites: SipRequest[];
  /** Re-INVITEs inside its calls (hold, resume, a new relay address after a transfer). */
  reinvites: SipRequest[];
  /** message/sipfrag status lines of the NOTIFYs its transfers got. */
  frags: string[];
  /** The Event header of each of those NOTIFYs (refer;id=…). */
  notifyEvents: string[];
  /** Answers the newest call left ringing ('ring' mode), as a person picking up would. */
  pickUp(): void;
  cancels: number;
};

export interface PhoneBank {
  wire: Wire;
  phones: Map<string, Phone>;
  get(number: string): Phone;
  register(p: TestUa, expires?: number): Promise<unknown>;
  call(from: string, to: string): Exchange;
  /** Any out-of-dialog request from a phone (SUBSCRIBE, MESSAGE...). */
  request(from: string, method: string, to: string, headers?: [string, string][]): Exchange;
  /** Hangs up every dialog and waits until the PBX carries no call. */
  hangupAll(): Promise<void>;
  /** Back to answering, with no INVITEs or CANCELs counted. */
  reset(): void;
  /** The newest CDR row's trail as "kind: outcome" lines, once written. */
  lastTrail(): Promise<string[]>;
  close(): void;
}

export async function phoneBank(fx: SipFixture, domain: string, numbers: string[]): Promise<PhoneBank> {
  const wire = new Wire();
  const phones = new Map<string, Phone>();
  const pbx: Destination = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
  // A CANCEL is answered by the transaction layer, which notes it on the wire.
  const cancelled = (n: string) => wire.events.filter((e) => e === `${n} cancelled`).length;
  const cancelBase = new Map<string, number>();

  const bank: PhoneBank = {
    wire,
    phones,
    get: (n) => phones.get(n)!,
    register(p, expires = 600) {
      const req = p.buildRequest('REGISTER', `sip:${domain}`, {
        from: `<sip:${p.name}@${domain}>`,
        to: `<sip:${p.name}@${domain}>`,
        headers: [
          ['Contact', contactFor(p.local, p.name)],
          ['Expires', String(expires)],
        ],
      });
      return p.send(req, pbx).done();
    },
    call(from, to) {
      const p = phones.get(from)!;
      const req = p.buildRequest('INVITE', `sip:${to}@${domain}`, {
        from: `<sip:${from}@${domain}>`,
        body: PHONE_SDP,
      });
      return p.send(req, pbx);
    },
    request(from, method, to, headers = []) {
      const p = phones.get(from)!;
      const req = p.buildRequest(method, `sip:${to}@${domain}`, { from: `<sip:${from}@${domain}>`, headers });
      return p.send(req, pbx);
    },
    async hangupAll() {
      for (const p of phones.values())
        for (const d of [...p.dialogs.values()]) await p.inDialog('BYE', { dialog: d }).done();
      await until(() => fx.sip.calls.size === 0);
    },
    reset() {
      for (const p of phones.values()) {
        p.mode = 'answer';
        p.invites = [];
        p.reinvites = [];
        p.frags = [];
        p.notifyEvents = [];
        cancelBase.set(p.name, cancelled(p.name));
      }
    },
    async lastTrail() {
      await Promise.all([...fx.sip.calls].map((c) => c.flushed()));
      // The row closes once the relay's figures are back from its worker: wait for that write.
      for (let i = 0; ; i++) {
        await fx.db.store.callLog.drain();
        const page = await fx.db.store.tenant(fx.tenantId).calls.list({ limit: 1, offset: 0 });
        const row = page.items[0]!;
        if (row.status === 'ended' || fx.sip.calls.size > 0 || i > 100)
          return row.trail.map((s) => `${s.kind}: ${s.outcome}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      for (const p of phones.values()) p.close();
    },
  };

  for (const number of numbers) {
    cancelBase.set(number, 0);
    const p: Phone = Object.assign(await udpUa(number, wire, systemClock), {
      mode: 'answer' as Mode,
      invites: [] as SipRequest[],
      reinvites: [] as SipRequest[],
      frags: [] as string[],
      notifyEvents: [] as string[],
      cancels: 0,
      pickUp: () => {
        const last = ringing.pop();
        if (last) p.accept(last.tx, last.source, PHONE_SDP);
      },
    });
    const ringing: { tx: ServerTransaction; source: Destination }[] = [];
    Object.defineProperty(p, 'cancels', { get: () => cancelled(number) - cancelBase.get(number)! });
    p.credentials = { username: number, password: `s-${number}-secret` };
    p.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      if (req.headers.get('To')?.includes('tag=')) {
        p.reinvites.push(req);
        const res = p.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = PHONE_SDP;
        tx.respond(res);
        return;
      }
      p.invites.push(req);
      if (p.mode === 'busy') {
        tx.respond(p.response(req, 486));
        return;
      }
      tx.respond(p.response(req, 180));
      if (p.mode === 'answer') setTimeout(() => p.accept(tx, source, PHONE_SDP), 20);
      else ringing.push({ tx, source });
    });
    p.on('NOTIFY', (req, tx) => {
      p.frags.push(req.body.toString().split('\r\n')[0] ?? '');
      p.notifyEvents.push(req.headers.get('Event') ?? '');
      tx?.respond(p.response(req, 200));
    });
    phones.set(number, p);
    await bank.register(p);
  }
  return bank;
}
