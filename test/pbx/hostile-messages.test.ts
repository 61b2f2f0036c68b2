/**
 * Hostile and malformed SIP at a running service (issue 12): the 49 RFC 4475
 * torture messages over UDP and TCP, and a corpus of the triggers of known SIP
 * CVEs (an oversized CSeq method, broken multipart bodies, a NUL in SDP, a second
 * To, a Via of `:]`, odd Authorization headers, an INVITE burst then a closed
 * connection). Each gets the answer it should (over UDP the exact status) or is
 * dropped, and an OPTIONS to the server is answered after every one of them.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../src/sip/auth.js';
import { parseMessage } from '../../src/sip/message/index.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const DOMAIN = 'example.com';
const DIR = new URL('../fixtures/rfc4475/', import.meta.url);
/** Our source: messages without rport are answered to this address at the Via's port, 5060 by default. */
const HOST = '127.0.0.77';

/**
 * What the service answers each torture request that parses (authentication comes before
 * anything else, so most valid requests are challenged); the rest follow the parser's verdict.
 */
const ANSWERS: Record<string, number> = {
  badbranch: 407,
  bext01: 407,
  cparam01: 401,
  cparam02: 401,
  dblreq: 401,
  esc01: 407,
  esc02: 405, // RE%47IST%45R is a method of its own, not REGISTER
  escnull: 401,
  intmeth: 405,
  inv2543: 407,
  invut: 407,
  longreq: 407,
  lwsdisp: 407,
  mpart01: 407,
  novelsc: 416,
  regaut01: 401, // an unknown auth scheme is challenged (RFC 4475 §3.3.9)
  regescrt: 401,
  sdp01: 407,
  semiuri: 407,
  transports: 407,
  unkscm: 416,
  unksm2: 401,
  wsinv: 481, // in-dialog (To tag) for no dialog of ours
  zeromf: 483,
};

describe('hostile SIP at a running service', () => {
  let fx: SipFixture;
  let udp: UdpSocket;
  const heard: string[] = [];
  let seq = 0;

  beforeAll(async () => {
    // Our address is on the allow-list: this is about parsing, and the odd credentials below
    // would otherwise ban it (brute-force protection has tests of its own).
    fx = await sipFixture(DOMAIN, [{ number: '101', secret: 'torture-secret-101' }, { number: '102' }], {
      security: { allow: [HOST] },
      // Anchored media: a call's SDP is read by the PBX itself.
      media: { bindAddress: '127.0.0.1', portMin: 47600, portMax: 47799, workers: 1 },
    });
    udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(5060, HOST, () => resolve());
    });
    udp.on('message', (d) => heard.push(d.toString('latin1')));
  });
  afterAll(async () => {
    udp?.close();
    await fx?.close();
  });

  const port = () => fx.sip.transports.udpPort;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Sends a datagram and returns what came back within `ms` (stops at the first final answer). */
  async function sendUdp(data: Buffer | string, ms = 400): Promise<string[]> {
    heard.length = 0;
    udp.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port(), '127.0.0.1');
    for (let t = 0; t < ms && !heard.some((h) => !/^SIP\/2\.0 1\d\d/.test(h)); t += 10) await wait(10);
    return heard.map((h) => h.slice(0, h.indexOf('\r\n')));
  }

  function options(transport: 'UDP' | 'TCP', local: string): string {
    const n = ++seq;
    return [
      `OPTIONS sip:${DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/${transport} ${local};branch=z9hG4bK-alive${n};rport`,
      'Max-Forwards: 70',
      `From: <sip:ping@${DOMAIN}>;tag=a${n}`,
      `To: <sip:${DOMAIN}>`,
      `Call-ID: alive-${n}`,
      `CSeq: 1 OPTIONS`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  /** The server still answers an OPTIONS ping over UDP and over a new TCP connection. */
  async function stillServing(): Promise<void> {
    expect(await sendUdp(options('UDP', `${HOST}:5060`))).toEqual(['SIP/2.0 200 OK']);
    const s = await tcp();
    const answer = await exchange(s, options('TCP', '127.0.0.1:1'));
    s.destroy();
    expect(answer.slice(0, answer.indexOf('\r\n'))).toBe('SIP/2.0 200 OK');
  }

  function tcp(): Promise<Socket> {
    return new Promise((resolve) => {
      const s = connect(fx.sip.transports.tcpPort, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
    });
  }

  /** Writes on a connection and returns what came back before it closed or `ms` passed. */
  function exchange(s: Socket, data: Buffer | string, ms = 1500): Promise<string> {
    return new Promise((resolve) => {
      let got = '';
      const done = () => {
        clearTimeout(t);
        s.off('data', onData);
        resolve(got);
      };
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        if (/^SIP\/2\.0 [2-6]\d\d [^\r]*\r\n[\s\S]*\r\n\r\n/.test(got)) done();
      };
      const t = setTimeout(done, ms);
      s.on('data', onData);
      s.once('close', done);
      s.write(data);
    });
  }

  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.dat'))
    .map((f) => f.slice(0, -4))
    .sort();

  it('has the 49 torture messages', () => {
    expect(files).toHaveLength(49);
  });

  it('answers each torture message over UDP as it should, or drops it, and keeps serving', async () => {
    const outcomes: string[] = [];
    for (const name of files) {
      const data = readFileSync(new URL(`${name}.dat`, DIR));
      const verdict = parseMessage(data);
      const got = await sendUdp(data);
      let expected: string[];
      if (!verdict.ok) expected = verdict.error.canRespond ? [String(verdict.error.status)] : [];
      else if (verdict.message.kind === 'response') expected = [];
      else expected = [String(ANSWERS[name] ?? 'unlisted')];
      outcomes.push(
        `${name}: ${JSON.stringify(got.map((l) => l.slice(8, 11)))} expected ${JSON.stringify(expected)}`,
      );
      expect(
        got.map((l) => l.slice(8, 11)),
        name,
      ).toEqual(expected);
      await stillServing();
    }
    expect(outcomes).toHaveLength(49);
  });

  it('survives each torture message over TCP (answered or cut off) and keeps serving', async () => {
    for (const name of files) {
      const s = await tcp();
      const answer = await exchange(s, readFileSync(new URL(`${name}.dat`, DIR)), 600);
      s.destroy();
      // Whatever came back is SIP: a status line, never an echo or a stack trace.
      if (answer) expect(answer, name).toMatch(/^SIP\/2\.0 [1-6]\d\d /);
      await stillServing();
    }
  });

  /** A request from extension 101 with the credentials the challenge asks for. */
  async function authenticated(
    method: string,
    extra: string[],
    body: string,
  ): Promise<{ status: string; lines: string[] }> {
    const ruri = `sip:102@${DOMAIN}`;
    const n = ++seq;
    const compose = (cseq: number, auth: string[]) =>
      [
        `${method} ${ruri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:5060;branch=z9hG4bK-cve${n}-${cseq};rport`,
        'Max-Forwards: 70',
        `From: <sip:101@${DOMAIN}>;tag=c${n}`,
        `To: <${ruri}>`,
        `Call-ID: cve-${n}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:101@${HOST}:5060>`,
        ...extra,
        ...auth,
        `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
        '',
        body,
      ].join('\r\n');
    heard.length = 0;
    udp.send(Buffer.from(compose(1, []), 'latin1'), port(), '127.0.0.1');
    for (let t = 0; t < 1000 && !heard.length; t += 10) await wait(10);
    const challenge = /\r\nProxy-Authenticate: ([^\r]+)/i.exec(heard[0] ?? '')?.[1];
    if (!challenge) throw new Error(`no challenge: ${heard[0]}`);
    const value = authorize(
      challenge,
      { username: '101', password: 'torture-secret-101' },
      { method, uri: ruri },
    );
    const lines = await sendUdp(compose(2, [`Proxy-Authorization: ${value}`]), 1500);
    const final = lines.filter((l) => !/^SIP\/2\.0 1/.test(l));
    // A failed INVITE's answer is acknowledged, so it is not sent again.
    if (method === 'INVITE' && final[0])
      udp.send(
        Buffer.from(
          [
            `ACK ${ruri} SIP/2.0`,
            `Via: SIP/2.0/UDP ${HOST}:5060;branch=z9hG4bK-cve${n}-2;rport`,
            'Max-Forwards: 70',
            `From: <sip:101@${DOMAIN}>;tag=c${n}`,
            `To: <${ruri}>;tag=${/\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(heard.at(-1) ?? '')?.[1] ?? 'x'}`,
            `Call-ID: cve-${n}`,
            'CSeq: 2 ACK',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
          'latin1',
        ),
        port(),
        '127.0.0.1',
      );
    return { status: final[0]?.slice(8, 11) ?? 'none', lines };
  }

  function request(lines: string[], body = ''): string {
    const n = ++seq;
    return [
      ...lines.map((l) => l.replaceAll('$N', String(n))),
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
      '',
      body,
    ].join('\r\n');
  }
  const head = (method: string, cseqMethod = method) => [
    `${method} sip:101@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:5060;branch=z9hG4bK-h$N;rport`,
    'Max-Forwards: 70',
    `From: <sip:stranger@${DOMAIN}>;tag=h$N`,
    `To: <sip:101@${DOMAIN}>`,
    'Call-ID: hostile-$N',
    `CSeq: 1 ${cseqMethod}`,
  ];

  it('refuses the header-level CVE triggers with 400 (or drops them) and keeps serving', async () => {
    const cases: [string, string, string[]][] = [
      ['an oversized CSeq method', request(head('INVITE', 'INVITE'.repeat(3000))), ['400']],
      ['a CSeq method of 8 KB on OPTIONS', request(head('OPTIONS', 'X'.repeat(8192))), ['400']],
      [
        'a second To with an empty tag',
        request([...head('OPTIONS'), `To: <sip:101@${DOMAIN}>;tag=`]),
        ['400'],
      ],
      [
        'a Via of ":]"',
        request(['OPTIONS sip:101@example.com SIP/2.0', 'Via: SIP/2.0/UDP :]', ...head('OPTIONS').slice(2)]),
        [],
      ],
      [
        'a Via with an unclosed IPv6 reference',
        request([
          'OPTIONS sip:101@example.com SIP/2.0',
          'Via: SIP/2.0/UDP [::1;branch=z9hG4bKx',
          ...head('OPTIONS').slice(2),
        ]),
        [],
      ],
      [
        'a CSeq number past 2^31',
        request([...head('OPTIONS').slice(0, 6), 'CSeq: 99999999999999999999 OPTIONS']),
        ['400'],
      ],
      // A header the PBX does not read is not inspected (nor passed on): the request is challenged.
      ['a NUL in a header we do not read', request([...head('OPTIONS'), 'Subject: a\u0000b']), ['407']],
      [
        'a NUL in the From header',
        request([
          ...head('OPTIONS').slice(0, 3),
          `From: <sip:x\u0000@${DOMAIN}>;tag=z`,
          ...head('OPTIONS').slice(4),
        ]),
        ['400'],
      ],
    ];
    for (const [what, data, expected] of cases) {
      const got = await sendUdp(data);
      expect(
        got.map((l) => l.slice(8, 11)),
        what,
      ).toEqual(expected);
      await stillServing();
    }
  });

  it('answers odd Authorization headers with a challenge, 400 or 403, never more, and keeps serving', async () => {
    const odd = [
      'Digest',
      'Digest ',
      'Digest username="',
      'Digest ,,,,=,=,',
      `Digest username="101",realm="${DOMAIN}",nonce="x",uri="sip:101@${DOMAIN}",response="${'a'.repeat(10_000)}"`,
      `Digest username="${'u'.repeat(5000)}",realm="${DOMAIN}",nonce="n",uri="sip:${DOMAIN}",response="00"`,
      `Digest username="101",realm="${DOMAIN}",nonce="n",uri="sip:${DOMAIN}",response="00",algorithm=MD5-sess,qop=auth-int`,
      `Digest username="101",username="102",realm="a",realm="b",nonce="n",uri="u",response="r"`,
      'Basic MTAxOnNlY3JldA==',
      'NoOneKnowsThisScheme opaque-data=here',
      `Digest username="101\\"",realm="${DOMAIN}\\\\",nonce="\\x",uri="sip:${DOMAIN}",response="00"`,
    ];
    for (const value of odd) {
      const data = request([
        `REGISTER sip:${DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:5060;branch=z9hG4bK-au$N;rport`,
        'Max-Forwards: 70',
        `From: <sip:101@${DOMAIN}>;tag=au$N`,
        `To: <sip:101@${DOMAIN}>`,
        'Call-ID: odd-auth-$N',
        'CSeq: 1 REGISTER',
        `Contact: <sip:101@${HOST}:5060>`,
        `Authorization: ${value}`,
      ]);
      const got = await sendUdp(data);
      expect(got, value.slice(0, 60)).toHaveLength(1);
      expect(['400', '401', '403'], value.slice(0, 60)).toContain(got[0]!.slice(8, 11));
      await stillServing();
    }
  });

  it('reads broken multipart bodies and a NUL in SDP from a signed-in phone without harm', async () => {
    const sdp = (fmtp: string) =>
      `v=0\r\no=- 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n${fmtp}\r\n`;
    const bodies: [string, string[], string][] = [
      ['a=fmtp with a NUL', ['Content-Type: application/sdp'], sdp('a=fmtp\u0000:101 0-15')],
      ['a=fmtp without a format', ['Content-Type: application/sdp'], sdp('a=fmtp:')],
      [
        'multipart with an empty boundary',
        ['Content-Type: multipart/mixed;boundary='],
        `--\r\n\r\n${sdp('')}--\r\n`,
      ],
      [
        'multipart never closed',
        ['Content-Type: multipart/mixed;boundary=b1'],
        `--b1\r\nContent-Type: application/sdp\r\n\r\n${sdp('')}`,
      ],
      [
        'multipart nested 200 deep',
        ['Content-Type: multipart/mixed;boundary=n'],
        `${'--n\r\nContent-Type: multipart/mixed;boundary=n\r\n\r\n'.repeat(200)}--n--\r\n`,
      ],
      ['SDP of a single m= line and nothing else', ['Content-Type: application/sdp'], 'm=\r\n'],
    ];
    for (const [what, headers, body] of bodies) {
      const r = await authenticated('INVITE', headers, body);
      // Refused (the body is unusable, or 102 does not exist) or taken to routing: never a 5xx.
      expect(r.status, `${what}: ${r.lines.join(' | ')}`).toMatch(/^[34]\d\d$/);
      await stillServing();
    }
  });

  it('keeps serving after a burst of INVITEs on a connection closed at once', async () => {
    const s = await tcp();
    const burst = Array.from({ length: 50 }, (_, i) =>
      [
        `INVITE sip:101@${DOMAIN} SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-burst${i}`,
        'Max-Forwards: 70',
        `From: <sip:x@${DOMAIN}>;tag=b${i}`,
        `To: <sip:101@${DOMAIN}>`,
        `Call-ID: burst-${i}`,
        'CSeq: 1 INVITE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ).join('');
    s.write(burst);
    s.destroy();
    await wait(300);
    await stillServing();
    // Nothing of the burst is left holding a call.
    expect(fx.sip.calls.size).toBe(0);
  });
});
