/**
 * Two user agents built on our transaction layer and dialogs, over an in-memory
 * network under a manual clock: the exact lines on the wire and the order of
 * state changes for a call, a cancelled call, a lost response, in-dialog requests
 * and SIP-specific event notification (RFC 6665).
 */
import { describe, expect, it } from 'vitest';
import { makeCancel } from '../../src/sip/build.js';
import { Dialog } from '../../src/sip/dialog.js';
import type { SipRequest } from '../../src/sip/message/index.js';
import { type EventPackage, Notifier, type Subscription } from '../../src/sip/subscription.js';
import type { ServerTransaction } from '../../src/sip/transaction/layer.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { type Exchange, MemoryNetwork, type TestUa } from '../helpers/test-ua.js';

const SDP = Buffer.from(
  'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
);

function pair() {
  const net = new MemoryNetwork();
  const alice = net.ua('alice');
  const bob = net.ua('bob');
  return { net, alice, bob, toBob: { transport: 'UDP' as const, host: 'bob.test', port: 5060 } };
}

/** Bob rings at once and answers when the test says so. */
function ringing(bob: TestUa): { tx: ServerTransaction | null; source: Destination | null } {
  const held: { tx: ServerTransaction | null; source: Destination | null } = { tx: null, source: null };
  bob.on('INVITE', (req, tx, source) => {
    if (!tx) return;
    if (bob.dialogs.size > 0) {
      // A re-INVITE inside the call: accept with the same SDP back.
      tx.respond(bob.response(req, 200, [['Content-Type', 'application/sdp']]));
      return;
    }
    bob.event('ringing');
    tx.respond(bob.response(req, 180, [], 'bobtag'));
    held.tx = tx;
    held.source = source;
  });
  return held;
}

describe('a call between two UAs', () => {
  it('INVITE, 180, 200, ACK, BYE, 200: the lines on the wire and the state changes, in order', () => {
    const { net, alice, bob, toBob } = pair();
    const held = ringing(bob);
    const invite = alice.buildRequest('INVITE', 'sip:bob@bob.test', { body: SDP });
    const ex = alice.send(invite, toBob);
    net.run();
    expect(net.wire.take()).toEqual([
      'alice>bob INVITE sip:bob@bob.test SIP/2.0',
      'bob>alice SIP/2.0 180 Ringing',
    ]);
    expect(ex.responses.map((r) => r.status)).toEqual([180]);

    bob.accept(held.tx!, held.source!, SDP, 'bobtag');
    net.run();
    expect(net.wire.take()).toEqual([
      'bob>alice SIP/2.0 200 OK',
      'alice>bob ACK sip:bob@bob.test:5060 SIP/2.0',
    ]);
    expect(net.wire.events).toEqual(['bob ringing', 'bob dialog confirmed', 'alice dialog confirmed']);

    // The ACK goes to the Contact (the remote target), carries the To tag and the INVITE's CSeq number.
    const ack = net.wire.messages.find((m) => m.text.startsWith('ACK'))!.text;
    expect(ack).toMatch(/\r\nTo: <sip:bob@bob\.test>;tag=bobtag\r\n/);
    expect(ack).toMatch(/\r\nCSeq: 1 ACK\r\n/);

    alice.inDialog('BYE');
    net.run();
    expect(net.wire.take()).toEqual([
      'alice>bob BYE sip:bob@bob.test:5060 SIP/2.0',
      'bob>alice SIP/2.0 200 OK',
    ]);
    expect(net.wire.events.at(-1)).toBe('bob dialog terminated by peer');
    expect(alice.dialogs.size).toBe(0);
    expect(bob.dialogs.size).toBe(0);
  });

  it('CANCEL before the answer: 200 for the CANCEL, 487 for the INVITE, ACK on the same branch', () => {
    const { net, alice, bob, toBob } = pair();
    ringing(bob);
    const invite = alice.buildRequest('INVITE', 'sip:bob@bob.test', { body: SDP });
    const ex = alice.send(invite, toBob);
    net.run();
    net.wire.take();
    alice.send(makeCancel(invite), toBob);
    net.run();
    expect(net.wire.take()).toEqual([
      'alice>bob CANCEL sip:bob@bob.test SIP/2.0',
      'bob>alice SIP/2.0 200 OK',
      'bob>alice SIP/2.0 487 Request Terminated',
      'alice>bob ACK sip:bob@bob.test SIP/2.0',
    ]);
    expect(ex.final?.status).toBe(487);
    expect(net.wire.events).toEqual(['bob ringing', 'bob cancelled', 'alice call failed 487']);
    const [ackMsg] = net.wire.messages.filter((m) => m.text.startsWith('ACK'));
    const branch = (t: string) => /branch=([^;\r\n]+)/.exec(t)![1];
    expect(branch(ackMsg!.text)).toBe(branch(net.wire.messages[0]!.text));
  });

  it('a lost 180 and a lost INVITE are made good by Timer A retransmission', () => {
    const { net, alice, bob, toBob } = pair();
    ringing(bob);
    let lose = 1;
    net.drop = (line) => line.startsWith('INVITE') && lose-- > 0;
    alice.send(alice.buildRequest('INVITE', 'sip:bob@bob.test', { body: SDP }), toBob);
    net.run();
    expect(net.wire.take()).toEqual(['alice>bob INVITE sip:bob@bob.test SIP/2.0']);
    net.advance(500); // Timer A = T1
    expect(net.wire.take()).toEqual([
      'alice>bob INVITE sip:bob@bob.test SIP/2.0',
      'bob>alice SIP/2.0 180 Ringing',
    ]);
    net.advance(10_000); // a provisional stops INVITE retransmission (§17.1.1.2)
    expect(net.wire.take()).toEqual([]);
  });

  it('re-INVITE and INFO inside the dialog; a request with an old CSeq is refused with 500', () => {
    const { net, alice, bob, toBob } = pair();
    const held = ringing(bob);
    alice.send(alice.buildRequest('INVITE', 'sip:bob@bob.test', { body: SDP }), toBob);
    net.run();
    bob.accept(held.tx!, held.source!, SDP, 'bobtag');
    net.run();
    net.wire.take();
    const reinvite = alice.inDialog('INVITE', { body: SDP });
    net.run();
    expect(net.wire.take()).toEqual([
      'alice>bob INVITE sip:bob@bob.test:5060 SIP/2.0',
      'bob>alice SIP/2.0 200 OK',
      'alice>bob ACK sip:bob@bob.test:5060 SIP/2.0',
    ]);
    expect(reinvite.final?.status).toBe(200);
    const info = alice.inDialog('INFO', {
      body: Buffer.from('Signal=5\r\nDuration=160\r\n'),
      contentType: 'application/dtmf-relay',
    });
    net.run();
    expect(info.final?.status).toBe(200);
    // Replay the INFO's CSeq: the dialog refuses it (§12.2.2).
    alice.dialog.localSeq -= 1;
    const stale = alice.inDialog('INFO');
    net.run();
    expect(stale.final?.status).toBe(500);
  });
});

/** A test event package: the resource's state is a counter the test bumps. */
function counterPackage(values: Map<string, number>): EventPackage {
  return {
    event: 'x-counter',
    contentTypes: ['text/plain'],
    expires: { default: 600, min: 60, max: 3600 },
    state: (sub: Subscription) => ({
      contentType: 'text/plain',
      body: Buffer.from(`count=${values.get(sub.resource) ?? 0}`),
    }),
  };
}

/** Flushes the promise chain that builds NOTIFY bodies, then delivers. */
async function settle(net: MemoryNetwork): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    net.run();
  }
}

function subscriptionSetup() {
  const { net, alice, bob, toBob } = pair();
  const values = new Map<string, number>([['room-1', 3]]);
  const notifier = new Notifier({ layer: bob.layer, clock: net.clock, localFor: () => bob.local }, [
    counterPackage(values),
  ]);
  bob.on('SUBSCRIBE', (req, tx, source) => {
    if (!tx) return;
    if (notifier.refresh(req, tx)) return;
    if (req.headers.get('To')?.includes('tag=')) {
      tx.respond(bob.response(req, 481));
      return;
    }
    notifier.subscribe(req, tx, source, 'room-1');
  });
  const notifies: SipRequest[] = [];
  let subDialog: Dialog | null = null;
  alice.on('NOTIFY', (req, tx, source) => {
    notifies.push(req);
    // RFC 6665 §4.1.2.4: the first NOTIFY may outrun the 200 to SUBSCRIBE; it forms the dialog.
    if (!subDialog) {
      subDialog = Dialog.fromNotify(sent!.request, req, source, alice.local);
      if (subDialog) alice.dialogs.set(subDialog.key, subDialog);
    }
    tx?.respond(alice.response(req, 200));
  });
  let sent: Exchange | null = null;
  const subscribe = (
    headers: [string, string][] = [
      ['Event', 'x-counter'],
      ['Expires', '600'],
    ],
  ) => {
    sent = alice.send(alice.buildRequest('SUBSCRIBE', 'sip:room-1@bob.test', { headers }), toBob);
    return sent;
  };
  return { net, alice, bob, notifier, values, notifies, subscribe, dialog: () => subDialog };
}

describe('SUBSCRIBE / NOTIFY (RFC 6665)', () => {
  it('answers 200 with the granted Expires and sends the current state at once', async () => {
    const s = subscriptionSetup();
    const ex = s.subscribe([
      ['Event', 'x-counter'],
      ['Expires', '7200'],
    ]);
    await settle(s.net);
    expect(s.net.wire.take()).toEqual([
      'alice>bob SUBSCRIBE sip:room-1@bob.test SIP/2.0',
      'bob>alice SIP/2.0 200 OK',
      'bob>alice NOTIFY sip:alice@alice.test:5060 SIP/2.0',
      'alice>bob SIP/2.0 200 OK',
    ]);
    expect(ex.final?.headers.get('Expires')).toBe('3600'); // capped at the package maximum
    const n = s.notifies[0]!;
    expect(n.headers.get('Event')).toBe('x-counter');
    expect(n.headers.get('Subscription-State')).toBe('active;expires=3600');
    expect(n.headers.get('Content-Type')).toBe('text/plain');
    expect(n.body.toString()).toBe('count=3');
    // The NOTIFY is inside the dialog the 200 formed: same Call-ID, tags swapped.
    expect(n.headers.get('Call-ID')).toBe(ex.request.headers.get('Call-ID'));
    expect(n.headers.get('To')).toBe(ex.request.headers.get('From'));
    expect(s.notifier.count).toBe(1);
  });

  it('sends a NOTIFY on change, in CSeq order, coalescing a burst into the newest state, only for that resource', async () => {
    const s = subscriptionSetup();
    s.subscribe();
    await settle(s.net);
    s.values.set('room-1', 4);
    s.notifier.notify('x-counter', 'room-1');
    s.values.set('room-1', 5);
    s.notifier.notify('x-counter', 'room-1');
    s.notifier.notify('x-counter', 'room-2');
    await settle(s.net);
    expect(s.notifies.map((n) => n.body.toString())).toEqual(['count=3', 'count=5']);
    s.values.set('room-1', 6);
    s.notifier.notify('x-counter', 'room-1');
    await settle(s.net);
    expect(s.notifies.map((n) => n.body.toString())).toEqual(['count=3', 'count=5', 'count=6']);
    const seqs = s.notifies.map((n) => Number.parseInt(n.headers.get('CSeq')!, 10));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3);
  });

  it('refreshes in the dialog, and an Expires: 0 refresh ends it with a terminated NOTIFY', async () => {
    const s = subscriptionSetup();
    s.subscribe();
    await settle(s.net);
    s.net.wire.take();
    s.net.advance(300_000);
    const refresh = s.alice.inDialog('SUBSCRIBE', {
      dialog: s.dialog()!,
      headers: [
        ['Event', 'x-counter'],
        ['Expires', '600'],
      ],
    });
    await settle(s.net);
    expect(refresh.final?.status).toBe(200);
    expect(s.notifies.at(-1)!.headers.get('Subscription-State')).toBe('active;expires=600');
    // The old expiry has been replaced: 400 s later it is still alive.
    s.net.advance(400_000);
    expect(s.notifier.count).toBe(1);
    const bye = s.alice.inDialog('SUBSCRIBE', {
      dialog: s.dialog()!,
      headers: [
        ['Event', 'x-counter'],
        ['Expires', '0'],
      ],
    });
    await settle(s.net);
    expect(bye.final?.status).toBe(200);
    expect(s.notifies.at(-1)!.headers.get('Subscription-State')).toBe('terminated;reason=timeout');
    expect(s.notifier.count).toBe(0);
  });

  it('ends an unrefreshed subscription at expiry with reason=timeout', async () => {
    const s = subscriptionSetup();
    s.subscribe([
      ['Event', 'x-counter'],
      ['Expires', '60'],
    ]);
    await settle(s.net);
    s.net.advance(60_000);
    await settle(s.net);
    expect(s.notifies.at(-1)!.headers.get('Subscription-State')).toBe('terminated;reason=timeout');
    expect(s.notifier.count).toBe(0);
  });

  it('refuses an unknown event with 489 and Allow-Events, a too-short interval with 423, a bad Accept with 406', async () => {
    const s = subscriptionSetup();
    const bad = s.subscribe([['Event', 'presence']]);
    const short = s.subscribe([
      ['Event', 'x-counter'],
      ['Expires', '10'],
    ]);
    const accept = s.subscribe([
      ['Event', 'x-counter'],
      ['Accept', 'application/pidf+xml'],
    ]);
    const noEvent = s.subscribe([]);
    await settle(s.net);
    expect(bad.final?.status).toBe(489);
    expect(bad.final?.headers.get('Allow-Events')).toBe('x-counter');
    expect(short.final?.status).toBe(423);
    expect(short.final?.headers.get('Min-Expires')).toBe('60');
    expect(accept.final?.status).toBe(406);
    expect(noEvent.final?.status).toBe(489);
    expect(s.notifier.count).toBe(0);
    expect(s.notifies).toHaveLength(0);
  });

  it('a fetch (Expires: 0) gets one NOTIFY with the state and terminated', async () => {
    const s = subscriptionSetup();
    s.subscribe([
      ['Event', 'x-counter'],
      ['Expires', '0'],
    ]);
    await settle(s.net);
    expect(s.notifies).toHaveLength(1);
    expect(s.notifies[0]!.body.toString()).toBe('count=3');
    expect(s.notifies[0]!.headers.get('Subscription-State')).toBe('terminated;reason=timeout');
    expect(s.notifier.count).toBe(0);
  });

  it('drops a subscription whose NOTIFY is answered 481, and one whose subscriber went silent', async () => {
    const s = subscriptionSetup();
    s.subscribe();
    await settle(s.net);
    s.alice.on('NOTIFY', (req, tx) => tx?.respond(s.alice.response(req, 481)));
    s.notifier.notify('x-counter', 'room-1');
    await settle(s.net);
    expect(s.notifier.count).toBe(0);

    const t = subscriptionSetup();
    t.subscribe();
    await settle(t.net);
    t.net.drop = (line) => line.startsWith('NOTIFY') || line.includes('200 OK');
    t.notifier.notify('x-counter', 'room-1');
    await settle(t.net);
    t.net.advance(32_000); // Timer F
    expect(t.notifier.count).toBe(0);
  });

  it('on shutdown tells every subscriber reason=deactivated so it subscribes again elsewhere', async () => {
    const s = subscriptionSetup();
    s.subscribe();
    await settle(s.net);
    s.notifier.close();
    await settle(s.net);
    expect(s.notifies.at(-1)!.headers.get('Subscription-State')).toBe('terminated;reason=deactivated');
  });
});
