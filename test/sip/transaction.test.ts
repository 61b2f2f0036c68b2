/**
 * The four RFC 3261 §17 transaction machines and the matching rules, driven by a
 * manual clock and a sender that records every message with the time it left.
 */
import { describe, expect, it } from 'vitest';
import { makeResponse } from '../../src/sip/build.js';
import {
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
} from '../../src/sip/message/index.js';
import { ManualClock } from '../../src/sip/transaction/clock.js';
import { TransactionLayer } from '../../src/sip/transaction/layer.js';
import { DEFAULT_TIMERS } from '../../src/sip/transaction/timers.js';
import type { Destination, TransportName } from '../../src/sip/transaction/types.js';

function msg(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
}

function request(method: string, branch = 'z9hG4bKabc123', cseq = 1): SipRequest {
  return msg(`${method} sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch}
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: call-1@10.0.0.1
CSeq: ${cseq} ${method}
Content-Length: 0

`) as SipRequest;
}

function responseTo(req: SipRequest, status: number): SipResponse {
  return makeResponse(req, status, { toTag: 'b2' });
}

function setup(transport: TransportName = 'UDP') {
  const clock = new ManualClock();
  const sent: { at: number; msg: SipMessage }[] = [];
  const events: string[] = [];
  const sender = { send: (m: SipMessage) => sent.push({ at: clock.now(), msg: m }) };
  const cancelled: SipRequest[] = [];
  const layer = new TransactionLayer(
    { clock, timers: DEFAULT_TIMERS, sender },
    {
      request: (req, tx) => events.push(`${req.method}${tx ? '' : ' (no tx)'}`),
      cancel: (invite) => {
        cancelled.push(invite.request);
        invite.respond(makeResponse(invite.request, 487));
      },
      strayResponse: (res) => events.push(`stray ${res.status}`),
    },
  );
  const dest: Destination = { transport, host: '10.0.0.2', port: 5060 };
  const times = (method: string) =>
    sent.filter((s) => s.msg.kind === 'request' && s.msg.method === method).map((s) => s.at);
  const statuses = () =>
    sent.filter((s) => s.msg.kind === 'response').map((s) => [(s.msg as SipResponse).status, s.at]);
  return { clock, sent, events, layer, dest, times, statuses, cancelled };
}

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('retransmits on UDP with Timer E doubling to T2, and times out with Timer F at 64*T1', () => {
    const t = setup();
    let timedOut = false;
    t.layer.sendRequest(request('OPTIONS'), t.dest, { response: () => {}, timeout: () => (timedOut = true) });
    t.clock.advance(40_000);
    expect(t.times('OPTIONS')).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(timedOut).toBe(true);
    expect(t.layer.clientCount).toBe(0);
  });

  it('does not retransmit on TCP, and ends at once after the final response', () => {
    const t = setup('TCP');
    const got: number[] = [];
    const req = request('REGISTER');
    t.layer.sendRequest(req, t.dest, { response: (r) => got.push(r.status), timeout: () => {} });
    t.clock.advance(10_000);
    expect(t.times('REGISTER')).toEqual([0]);
    t.layer.receiveResponse(responseTo(req, 200), t.dest);
    expect(got).toEqual([200]);
    t.clock.advance(0); // Timer K is zero on a reliable transport
    expect(t.layer.clientCount).toBe(0);
  });

  it('keeps T2 spacing once a provisional arrived, absorbs final retransmissions for T4', () => {
    const t = setup();
    const got: number[] = [];
    const req = request('MESSAGE');
    t.layer.sendRequest(req, t.dest, { response: (r) => got.push(r.status), timeout: () => {} });
    t.clock.advance(600);
    t.layer.receiveResponse(responseTo(req, 100), t.dest);
    t.clock.advance(9_000);
    t.layer.receiveResponse(responseTo(req, 202), t.dest);
    t.layer.receiveResponse(responseTo(req, 202), t.dest);
    expect(got).toEqual([100, 202]);
    expect(t.layer.clientCount).toBe(1);
    t.clock.advance(5_000);
    expect(t.layer.clientCount).toBe(0);
  });
});

describe('INVITE client transaction (§17.1.1, RFC 6026)', () => {
  it('retransmits with Timer A doubling and gives up after Timer B (32 s) while Calling', () => {
    const t = setup();
    let timedOut = false;
    t.layer.sendRequest(request('INVITE'), t.dest, { response: () => {}, timeout: () => (timedOut = true) });
    t.clock.advance(33_000);
    expect(t.times('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(timedOut).toBe(true);
  });

  it('answers a 486 with an ACK on the same branch carrying the To tag, and re-ACKs retransmissions', () => {
    const t = setup();
    const invite = request('INVITE');
    const got: number[] = [];
    t.layer.sendRequest(invite, t.dest, { response: (r) => got.push(r.status), timeout: () => {} });
    t.layer.receiveResponse(responseTo(invite, 180), t.dest);
    t.clock.advance(5_000);
    expect(t.times('INVITE')).toEqual([0]); // a provisional stops Timer A
    const busy = responseTo(invite, 486);
    t.layer.receiveResponse(busy, t.dest);
    t.layer.receiveResponse(busy, t.dest);
    expect(got).toEqual([180, 486]);
    const acks = t.sent
      .filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK')
      .map((s) => s.msg as SipRequest);
    expect(acks).toHaveLength(2);
    expect(acks[0]!.headers.get('Via')).toContain('branch=z9hG4bKabc123');
    expect(acks[0]!.headers.get('To')).toContain('tag=b2');
    expect(acks[0]!.headers.get('CSeq')).toBe('1 ACK');
    t.clock.advance(32_000);
    expect(t.layer.clientCount).toBe(0);
  });

  it('passes 2xx retransmissions to the TU while Accepted, then strays after Timer M', () => {
    const t = setup();
    const invite = request('INVITE');
    const got: number[] = [];
    t.layer.sendRequest(invite, t.dest, { response: (r) => got.push(r.status), timeout: () => {} });
    const ok = responseTo(invite, 200);
    t.layer.receiveResponse(ok, t.dest);
    t.layer.receiveResponse(ok, t.dest);
    expect(got).toEqual([200, 200]);
    expect(t.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'ACK')).toHaveLength(0);
    t.clock.advance(32_000);
    t.layer.receiveResponse(ok, t.dest);
    expect(t.events).toEqual(['stray 200']);
  });
});

describe('INVITE server transaction (§17.2.1)', () => {
  it('sends 100 Trying after 200 ms when the TU is silent', () => {
    const t = setup();
    t.layer.receiveRequest(request('INVITE'), t.dest);
    expect(t.events).toEqual(['INVITE']);
    t.clock.advance(199);
    expect(t.statuses()).toEqual([]);
    t.clock.advance(1);
    expect(t.statuses()).toEqual([[100, 200]]);
  });

  it('retransmits a final non-2xx with Timer G until the ACK, which the transaction absorbs', () => {
    let tx: import('../../src/sip/transaction/layer.js').ServerTransaction | null = null;
    const clock = new ManualClock();
    const sent: { at: number; msg: SipMessage }[] = [];
    const events: string[] = [];
    const layer = new TransactionLayer(
      { clock, timers: DEFAULT_TIMERS, sender: { send: (m) => sent.push({ at: clock.now(), msg: m }) } },
      {
        request: (r, t) => {
          events.push(r.method);
          tx = t;
        },
      },
    );
    const dest: Destination = { transport: 'UDP', host: '10.0.0.1', port: 5060 };
    const invite = request('INVITE');
    layer.receiveRequest(invite, dest);
    tx!.respond(makeResponse(invite, 486, { toTag: 'x' }));
    clock.advance(8_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    // A retransmitted INVITE gets the 486 again, and does not reach the TU.
    layer.receiveRequest(invite, dest);
    expect(sent).toHaveLength(6);
    const ack = msg(`ACK sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc123
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>;tag=x
Call-ID: call-1@10.0.0.1
CSeq: 1 ACK
Content-Length: 0

`) as SipRequest;
    layer.receiveRequest(ack, dest);
    layer.receiveRequest(ack, dest);
    clock.advance(10_000);
    expect(sent).toHaveLength(6);
    expect(events).toEqual(['INVITE']);
    expect(layer.serverCount).toBe(0);
  });

  it('gives up with Timer H when no ACK comes', () => {
    let tx: import('../../src/sip/transaction/layer.js').ServerTransaction | null = null;
    const clock = new ManualClock();
    const layer = new TransactionLayer(
      { clock, timers: DEFAULT_TIMERS, sender: { send: () => {} } },
      {
        request: (_r, t) => {
          tx = t;
        },
      },
    );
    const invite = request('INVITE');
    layer.receiveRequest(invite, { transport: 'UDP', host: 'h', port: 1 });
    tx!.respond(makeResponse(invite, 404));
    clock.advance(31_999);
    expect(layer.serverCount).toBe(1);
    clock.advance(1);
    expect(layer.serverCount).toBe(0);
  });

  it('answers CANCEL with 200 and lets the TU end the INVITE with 487', () => {
    const t = setup();
    t.layer.receiveRequest(request('INVITE'), t.dest);
    t.layer.receiveRequest(request('CANCEL'), t.dest);
    expect(t.cancelled).toHaveLength(1);
    expect(t.statuses().map((s) => s[0])).toEqual([200, 487]);
    const unknown = setup();
    unknown.layer.receiveRequest(request('CANCEL', 'z9hG4bKnothere'), unknown.dest);
    expect(unknown.statuses().map((s) => s[0])).toEqual([481]);
  });

  it('matches RFC 2543 requests (no magic cookie) by Request-URI, tags, Call-ID, CSeq and Via', () => {
    const t = setup();
    const old = request('INVITE', '1234');
    t.layer.receiveRequest(old, t.dest);
    t.layer.receiveRequest(request('INVITE', '1234'), t.dest);
    expect(t.events).toEqual(['INVITE']);
    t.layer.receiveRequest(request('INVITE', '1234', 2), t.dest);
    expect(t.events).toEqual(['INVITE', 'INVITE']);
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('answers retransmissions with the last response and lives Timer J on UDP only', () => {
    let tx: import('../../src/sip/transaction/layer.js').ServerTransaction | null = null;
    for (const transport of ['UDP', 'TCP'] as const) {
      const clock = new ManualClock();
      const sent: SipMessage[] = [];
      const layer = new TransactionLayer(
        { clock, timers: DEFAULT_TIMERS, sender: { send: (m) => sent.push(m) } },
        {
          request: (_r, t) => {
            tx = t;
          },
        },
      );
      const reg = request('REGISTER');
      const dest: Destination = { transport, host: 'h', port: 1 };
      layer.receiveRequest(reg, dest);
      layer.receiveRequest(reg, dest); // retransmission while Trying: nothing to resend
      expect(sent).toHaveLength(0);
      tx!.respond(makeResponse(reg, 200));
      layer.receiveRequest(reg, dest);
      expect(sent).toHaveLength(2);
      clock.advance(0); // Timer J is zero on a reliable transport
      expect(layer.serverCount).toBe(transport === 'UDP' ? 1 : 0);
      clock.advance(32_000);
      expect(layer.serverCount).toBe(0);
    }
  });

  it('sends the final UDP response as the wire form it keeps, and forgets the oldest past the cap', () => {
    const clock = new ManualClock();
    const objects: SipMessage[] = [];
    const bytes: Buffer[] = [];
    let tx: import('../../src/sip/transaction/layer.js').ServerTransaction | null = null;
    const layer = new TransactionLayer(
      {
        clock,
        timers: DEFAULT_TIMERS,
        sender: { send: (m) => objects.push(m), sendBytes: (b) => bytes.push(b) },
      },
      { request: (_r, t) => (tx = t) },
      { maxCompleted: 2 },
    );
    const dest: Destination = { transport: 'UDP', host: 'h', port: 1 };
    const regs = ['z9hG4bKa', 'z9hG4bKb', 'z9hG4bKc'].map((b) => request('REGISTER', b));
    const answers: SipResponse[] = [];
    for (const r of regs) {
      layer.receiveRequest(r, dest);
      answers.push(makeResponse(r, 200));
      tx!.respond(answers.at(-1)!);
    }
    // Serialised once: those bytes went out and are what is kept.
    expect(objects).toHaveLength(0);
    expect(bytes.map(String)).toEqual(answers.map((a) => serializeMessage(a).toString()));
    layer.receiveRequest(regs[2]!, dest); // a retransmission: the stored bytes go out again
    expect(bytes).toHaveLength(4);
    expect(bytes[3]!.equals(bytes[2]!)).toBe(true);
    expect(layer.serverCount).toBe(2); // the first was forgotten early (cap 2)
    layer.receiveRequest(regs[0]!, dest); // so its retransmission is a new request for the TU
    expect(bytes).toHaveLength(4);
    tx!.respond(makeResponse(regs[0]!, 200));
    expect(bytes).toHaveLength(5);
    clock.advance(32_000);
    expect(layer.serverCount).toBe(0);
  });

  it('refuses new transactions with 503 past the limit', () => {
    const clock = new ManualClock();
    const sent: SipResponse[] = [];
    const layer = new TransactionLayer(
      { clock, timers: DEFAULT_TIMERS, sender: { send: (m) => sent.push(m as SipResponse) } },
      { request: () => {} },
      { maxServerTransactions: 2 },
    );
    for (const b of ['z9hG4bK1', 'z9hG4bK2', 'z9hG4bK3'])
      layer.receiveRequest(request('OPTIONS', b), { transport: 'UDP', host: 'h', port: 1 });
    expect(sent.map((s) => s.status)).toEqual([503]);
  });
});
