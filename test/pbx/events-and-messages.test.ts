/**
 * Through a running SIP service, phones built on our stack over UDP: busy lamps
 * (SUBSCRIBE to the dialog package, RFC 4235) follow a call from ringing to busy
 * to idle; page-mode MESSAGE reaches a colleague; re-INVITEs from both sides at
 * once (glare) end in 491 for both and a retry succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PbxEvent } from '../../src/pbx/events.js';
import { contactFor } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type Exchange, type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';

const DOMAIN = 'events.example.test';
const SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
);

type Phone = TestUa & { close(): void };

describe('busy lamps, messages and glare through the PBX', () => {
  let fx: SipFixture;
  let pbx: Destination;
  const wire = new Wire();
  const phones: Phone[] = [];

  async function phone(number: string): Promise<Phone> {
    const p = await udpUa(number, wire, systemClock);
    p.credentials = { username: number, password: `s-${number}-secret` };
    phones.push(p);
    return p;
  }

  function register(p: Phone): Promise<unknown> {
    const req = p.buildRequest('REGISTER', `sip:${DOMAIN}`, {
      from: `<sip:${p.name}@${DOMAIN}>`,
      to: `<sip:${p.name}@${DOMAIN}>`,
      headers: [
        ['Contact', contactFor(p.local, p.name)],
        ['Expires', '600'],
      ],
    });
    return p.send(req, pbx).done();
  }

  function request(
    p: Phone,
    method: string,
    target: string,
    headers: [string, string][] = [],
    body?: Buffer,
  ): Exchange {
    const req = p.buildRequest(method, `sip:${target}@${DOMAIN}`, {
      from: `<sip:${p.name}@${DOMAIN}>`,
      headers,
      ...(body ? { body, contentType: method === 'MESSAGE' ? 'text/plain' : 'application/sdp' } : {}),
    });
    return p.send(req, pbx);
  }

  /** Answers INVITEs after ringing; answers in-dialog re-INVITEs with 200, or 491 when its own is pending. */
  function answering(p: Phone, opts: { answerAfterMs: number; glare?: () => boolean }) {
    p.on('INVITE', (req: SipRequest, tx: ServerTransaction | null, source: Destination) => {
      if (!tx) return;
      if (req.headers.get('To')?.includes('tag=')) {
        if (opts.glare?.()) {
          tx.respond(p.response(req, 491));
          return;
        }
        const res = p.response(req, 200, [['Content-Type', 'application/sdp']]);
        res.body = SDP;
        tx.respond(res);
        return;
      }
      tx.respond(p.response(req, 180));
      setTimeout(() => p.accept(tx, source, SDP), opts.answerAfterMs);
    });
  }

  beforeAll(async () => {
    fx = await sipFixture(DOMAIN, [{ number: '201' }, { number: '202' }, { number: '203' }]);
    pbx = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
  });
  afterAll(async () => {
    for (const p of phones) p.close();
    await fx?.close();
  });

  it('a lamp follows a colleague from idle to ringing to busy and back to idle', async () => {
    const watcher = await phone('201');
    const callee = await phone('202');
    const caller = await phone('203');
    await register(callee);
    await register(caller);
    answering(callee, { answerAfterMs: 300 });
    const notifies: SipRequest[] = [];
    watcher.on('NOTIFY', (req, tx) => {
      notifies.push(req);
      tx?.respond(watcher.response(req, 200));
    });
    const sub = request(watcher, 'SUBSCRIBE', '202', [
      ['Event', 'dialog'],
      ['Accept', 'application/dialog-info+xml'],
      ['Expires', '600'],
    ]);
    expect((await sub.done())?.status).toBe(200);
    expect(sub.responses.map((r) => r.status)).toEqual([200]); // the 401 was answered with credentials
    const body = (i: number) => notifies[i]?.body.toString() ?? '';
    await until(() => notifies.length >= 1);
    expect(notifies[0]!.headers.get('Content-Type')).toBe('application/dialog-info+xml');
    expect(body(0)).toContain(`entity="sip:202@${DOMAIN}"`);
    expect(body(0)).not.toContain('<dialog ');

    const call = request(caller, 'INVITE', '202', [], SDP);
    await until(() => body(notifies.length - 1).includes('<state>early</state>'));
    expect(body(notifies.length - 1)).toContain('direction="recipient"');
    expect((await call.done())?.status).toBe(200);
    await until(() => body(notifies.length - 1).includes('<state>confirmed</state>'));
    caller.inDialog('BYE');
    await until(() => notifies.length > 0 && !body(notifies.length - 1).includes('<dialog '));
    // Versions count up by one per NOTIFY (RFC 4235 §4.1).
    const versions = notifies.map((n) => Number(/version="(\d+)"/.exec(n.body.toString())![1]));
    expect(versions).toEqual(versions.map((_, i) => i));
    await fx.sip.notifier.close();
  });

  it('reports registrations and a call as live events, and keeps the live picture in step', async () => {
    const events: PbxEvent[] = [];
    const off = fx.sip.events.on((e) => events.push(e));
    try {
      const callee = await phone('202');
      const caller = await phone('203');
      await register(callee);
      await register(caller);
      // Registering again (a refresh) changes no device: no second event.
      await register(callee);
      const regs = events.filter((e) => e.type === 'registration');
      expect(regs.map((e) => e.type === 'registration' && e.registration.extension).sort()).toEqual([
        '202',
        '203',
      ]);
      const snap = () => fx.sip.live.snapshot(fx.tenantId);
      expect(snap().registrations.map((r) => r.extension)).toEqual(['202', '203']);
      expect(snap().registrations[0]!.devices[0]).toMatchObject({
        transport: 'UDP',
        address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      });

      answering(callee, { answerAfterMs: 200 });
      const call = request(caller, 'INVITE', '202', [], SDP);
      await until(() => snap().calls.length === 1);
      expect(snap().calls[0]).toMatchObject({
        caller: '203',
        callee: '202',
        state: 'ringing',
        answeredAt: null,
      });
      expect((await call.done())?.status).toBe(200);
      await until(() => snap().calls[0]?.state === 'answered');
      caller.inDialog('BYE');
      await until(() => snap().calls.length === 0);
      const callEvents = events.filter((e) => e.type !== 'registration').map((e) => e.type);
      expect(callEvents).toEqual(['call.started', 'call.offered', 'call.answered', 'call.ended']);
      const ids = events.flatMap((e) => ('call' in e ? [e.call.id] : []));
      expect(new Set(ids).size).toBe(1); // one call, one record id throughout
      await fx.db.store.callLog.drain(); // CDR writes are batched behind the SIP path
      const row = await fx.db.store.tenant(fx.tenantId).calls.get(ids[0]!);
      expect(row?.callee).toBe('202');
      // Other tenants see nothing of it.
      expect(fx.sip.live.snapshot('00000000-0000-0000-0000-000000000000')).toEqual({
        calls: [],
        registrations: [],
      });
      // Unregistering (Expires: 0 for every contact) removes the extension.
      const unregister = callee.buildRequest('REGISTER', `sip:${DOMAIN}`, {
        from: `<sip:202@${DOMAIN}>`,
        to: `<sip:202@${DOMAIN}>`,
        headers: [
          ['Contact', '*'],
          ['Expires', '0'],
        ],
      });
      expect((await callee.send(unregister, pbx).done())?.status).toBe(200);
      expect(snap().registrations.map((r) => r.extension)).toEqual(['203']);
      const last = events.at(-1);
      expect(last?.type === 'registration' && last.registration).toEqual({ extension: '202', devices: [] });
    } finally {
      off();
    }
  });

  it('refuses a watcher without the right secret, an unknown extension, and an unknown event package', async () => {
    const w = await phone('201');
    w.credentials = { username: '201', password: 'wrong' };
    const forbidden = await request(w, 'SUBSCRIBE', '202', [['Event', 'dialog']]).done();
    expect(forbidden?.status).toBe(403);
    w.credentials = { username: '201', password: 's-201-secret' };
    expect((await request(w, 'SUBSCRIBE', '999', [['Event', 'dialog']]).done())?.status).toBe(404);
    const bad = await request(w, 'SUBSCRIBE', '202', [['Event', 'presence']]).done();
    expect(bad?.status).toBe(489);
    expect(bad?.headers.get('Allow-Events')).toBe('dialog');
  });

  it('carries a MESSAGE to the colleague with the sender proven, and says 480 when nobody is there', async () => {
    const from = await phone('203');
    const to = await phone('202');
    await register(to);
    const got: SipRequest[] = [];
    to.on('MESSAGE', (req, tx) => {
      got.push(req);
      tx?.respond(to.response(req, 200));
    });
    const sent = await request(from, 'MESSAGE', '202', [], Buffer.from('lunch?')).done();
    expect(sent?.status).toBe(200);
    expect(got).toHaveLength(1);
    expect(got[0]!.body.toString()).toBe('lunch?');
    expect(got[0]!.headers.get('From')).toContain(`<sip:203@${DOMAIN}>`);
    expect(got[0]!.headers.get('Content-Type')).toBe('text/plain');
    expect(got[0]!.headers.get('Proxy-Authorization')).toBeUndefined();

    const nobody = await request(from, 'MESSAGE', '201', [], Buffer.from('hi')).done();
    expect(nobody?.status).toBe(480);
    const empty = await request(from, 'MESSAGE', '202').done();
    expect(empty?.status).toBe(400);
  });

  it('glare: both parties re-INVITE at once, both hear 491, and a later retry goes through', async () => {
    const a = await phone('203');
    const b = await phone('202');
    await register(a);
    await register(b);
    let bPending = false;
    let aPending = false;
    answering(b, { answerAfterMs: 10, glare: () => bPending });
    answering(a, { answerAfterMs: 10, glare: () => aPending });
    const call = request(a, 'INVITE', '202', [], SDP);
    expect((await call.done())?.status).toBe(200);
    await until(() => b.dialogs.size === 1);

    aPending = bPending = true;
    const fromA = a.inDialog('INVITE', { body: SDP });
    const fromB = b.inDialog('INVITE', { body: SDP });
    const [ra, rb] = await Promise.all([fromA.done(), fromB.done()]);
    aPending = bPending = false;
    expect(ra?.status).toBe(491);
    expect(rb?.status).toBe(491);

    // RFC 3261 §14.1: the retry after a random wait succeeds, ACK and all.
    const retry = await a.inDialog('INVITE', { body: SDP }).done();
    expect(retry?.status).toBe(200);
    const bye = await a.inDialog('BYE').done();
    expect(bye?.status).toBe(200);
  });
});
