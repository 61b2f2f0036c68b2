/**
 * Incoming and missed calls as Web Push: the notifier of a running SIP service,
 * fed call events, posts encrypted notifications to a push service (a local HTTP
 * server standing in for FCM or Mozilla's) for the callee's owner, only while no
 * browser softphone of theirs is registered, and forgets subscriptions the push
 * service says are gone.
 */
import { createDecipheriv, createECDH, hkdfSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveCall } from '../../src/pbx/events.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { until } from '../helpers/test-ua.js';

/** The browser's side of a subscription: its key pair and auth secret, and how it decrypts. */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = Buffer.from('0123456789abcdef');
  return {
    p256dh: ecdh.getPublicKey('base64url'),
    auth: auth.toString('base64url'),
    open(body: Buffer): Record<string, string> {
      const salt = body.subarray(0, 16);
      const asPublic = body.subarray(21, 21 + body[20]!);
      const record = body.subarray(21 + body[20]!);
      const info = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), asPublic]);
      const ikm = Buffer.from(hkdfSync('sha256', ecdh.computeSecret(asPublic), auth, info, 32));
      const key = Buffer.from(
        hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16),
      );
      const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
      const d = createDecipheriv('aes-128-gcm', key, nonce);
      d.setAuthTag(record.subarray(-16));
      const plain = Buffer.concat([d.update(record.subarray(0, -16)), d.final()]);
      return JSON.parse(plain.subarray(0, plain.lastIndexOf(2)).toString()) as Record<string, string>;
    },
  };
}

describe('Web Push for incoming calls', () => {
  let fx: SipFixture;
  let server: Server;
  let base = '';
  const received: { path: string; body: Buffer }[] = [];
  const browser = browserKeys();
  let userId = '';

  beforeAll(async () => {
    fx = await sipFixture('push.example.test', [{ number: '301' }, { number: '302' }]);
    const store = fx.db.store;
    const user = await store.tenant(fx.tenantId).users.create({
      email: 'owner@push.test',
      displayName: 'Owner',
      passwordHash: 'x',
      role: 'user',
    });
    userId = user.id;
    const ext = (await store.tenant(fx.tenantId).extensions.list({ limit: 10, offset: 0, q: '301' }))
      .items[0]!;
    await store.tenant(fx.tenantId).extensions.update(ext.id, { userId });
    await fx.sip.tenantChanged(fx.tenantId);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
        res.statusCode = req.url === '/gone' ? 410 : 201;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ['/phone', '/gone'])
      await store.pushSubscriptions.save({
        endpoint: `${base}${path}`,
        userId,
        p256dh: browser.p256dh,
        auth: browser.auth,
        userAgent: null,
      });
  });
  afterAll(async () => {
    server?.close();
    await fx?.close();
  });

  const call = (id: string, callee: string, answered = false): LiveCall => ({
    id,
    caller: '302',
    callerName: 'Sales',
    callee,
    state: answered ? 'answered' : 'ringing',
    startedAt: new Date().toISOString(),
    answeredAt: answered ? new Date().toISOString() : null,
  });

  it("announces a call to the owner's browsers, then turns it into a missed call", async () => {
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c1', '301'),
      extension: '301',
    });
    await until(() => received.filter((r) => r.path === '/phone').length === 1);
    const first = browser.open(received.find((r) => r.path === '/phone')!.body);
    expect(first).toEqual({
      type: 'call',
      title: 'Incoming call',
      body: 'Sales (302)',
      tag: 'c1',
      url: '/phone',
    });
    // The push service said the other subscription is gone: it is forgotten.
    await until(() => received.length === 2);
    for (let i = 0; (await fx.db.store.pushSubscriptions.forUsers([userId])).length !== 1; i++) {
      if (i > 50) throw new Error('the gone subscription is still there');
      await new Promise((r) => setTimeout(r, 50));
    }
    fx.sip.events.emit({
      type: 'call.ended',
      tenantId: fx.tenantId,
      call: call('c1', '301'),
      cause: 'cancelled',
      endedAt: new Date().toISOString(),
    });
    await until(() => received.filter((r) => r.path === '/phone').length === 2);
    const missed = browser.open(received.filter((r) => r.path === '/phone')[1]!.body);
    expect(missed).toMatchObject({ type: 'missed', title: 'Missed call', tag: 'c1' });
    // The missed call went only to the subscription still alive.
    expect(received.map((r) => r.path).sort()).toEqual(['/gone', '/phone', '/phone']);
  });

  it('stays quiet for an answered call, an extension nobody owns, and an owner whose softphone is open', async () => {
    const before = received.length;
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c2', '301'),
      extension: '301',
    });
    await until(() => received.length === before + 1);
    fx.sip.events.emit({ type: 'call.answered', tenantId: fx.tenantId, call: call('c2', '301', true) });
    fx.sip.events.emit({
      type: 'call.ended',
      tenantId: fx.tenantId,
      call: call('c2', '301', true),
      cause: 'normal',
      endedAt: new Date().toISOString(),
    });
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c3', '302'),
      extension: '302',
    });
    // The owner's browser softphone registers: it rings by itself, no push.
    const device = {
      contact: 'sip:x@y.invalid;transport=ws',
      userAgent: 'SIP.js',
      transport: 'WSS',
      address: '10.0.0.9:50000',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    fx.sip.events.emit({
      type: 'registration',
      tenantId: fx.tenantId,
      registration: { extension: '301', devices: [device] },
    });
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c4', '301'),
      extension: '301',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(before + 1);
    // The same softphone through Kamailio fronting WebSocket: the node sees Kamailio's UDP,
    // the Contact still says ws. Still open, still no push.
    const viaKamailio = { ...device, transport: 'UDP', address: '10.0.0.2:5060' };
    fx.sip.events.emit({
      type: 'registration',
      tenantId: fx.tenantId,
      registration: { extension: '301', devices: [viaKamailio] },
    });
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c5', '301'),
      extension: '301',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(before + 1);
    // A desk phone alone is no open softphone: the owner is pushed again.
    const desk = { ...viaKamailio, contact: 'sip:301@10.0.0.7:5060', userAgent: 'Yealink' };
    fx.sip.events.emit({
      type: 'registration',
      tenantId: fx.tenantId,
      registration: { extension: '301', devices: [desk] },
    });
    fx.sip.events.emit({
      type: 'call.offered',
      tenantId: fx.tenantId,
      call: call('c6', '301'),
      extension: '301',
    });
    await until(() => received.length === before + 2);
  });
});
