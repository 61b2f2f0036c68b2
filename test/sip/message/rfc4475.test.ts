/**
 * RFC 4475 torture messages (test/fixtures/rfc4475, see its README for attribution):
 * every one of the 49 is parsed as one UDP datagram and must give exactly the outcome
 * the RFC describes. Valid and application-layer messages parse (the application then
 * answers 416, 420, 483...); invalid requests give 400 (505 for badvers); invalid
 * responses are reported as not answerable, i.e. dropped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isKnownScheme,
  type ParseResult,
  parseAuthParams,
  parseContacts,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/message/index.js';

const DIR = new URL('../../fixtures/rfc4475/', import.meta.url);

function load(name: string): Buffer {
  return readFileSync(new URL(`${name}.dat`, DIR));
}

function parse(name: string): ParseResult {
  return parseMessage(load(name));
}

function ok(name: string): SipMessage {
  const r = parse(name);
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}`);
  return r.message;
}

function request(name: string): SipRequest {
  const m = ok(name);
  if (m.kind !== 'request') throw new Error(`${name} is not a request`);
  return m;
}

function response(name: string): SipResponse {
  const m = ok(name);
  if (m.kind !== 'response') throw new Error(`${name} is not a response`);
  return m;
}

/** §3.1.1 valid messages, §3.2, §3.3 messages that are syntactically valid, §3.4. */
const PARSE_OK = [
  // 3.1.1
  'wsinv',
  'intmeth',
  'esc01',
  'escnull',
  'esc02',
  'lwsdisp',
  'longreq',
  'dblreq',
  'semiuri',
  'transports',
  'mpart01',
  'unreason',
  'noreason',
  // 3.2
  'badbranch',
  // 3.3 (the application, not the parser, answers 416 / 420 / 415 / 401 / 483 / 488...)
  'unkscm',
  'novelsc',
  'unksm2',
  'bext01',
  'invut',
  'regaut01',
  'bcast',
  'zeromf',
  'cparam01',
  'cparam02',
  'regescrt',
  'sdp01',
  // 3.4
  'inv2543',
];

/** Invalid requests: the status to answer and whether enough was understood to answer it. */
const REJECT: Record<string, { status: 400 | 505; canRespond: boolean }> = {
  // 3.1.2
  badinv01: { status: 400, canRespond: false }, // the top Via itself is broken: nowhere to send a response
  clerr: { status: 400, canRespond: true },
  ncl: { status: 400, canRespond: true },
  scalar02: { status: 400, canRespond: true },
  quotbal: { status: 400, canRespond: true },
  ltgtruri: { status: 400, canRespond: true },
  lwsruri: { status: 400, canRespond: true },
  lwsstart: { status: 400, canRespond: true },
  trws: { status: 400, canRespond: true },
  escruri: { status: 400, canRespond: true },
  baddate: { status: 400, canRespond: true },
  regbadct: { status: 400, canRespond: true },
  badaspec: { status: 400, canRespond: true },
  baddn: { status: 400, canRespond: true },
  badvers: { status: 505, canRespond: true },
  mismatch01: { status: 400, canRespond: true },
  mismatch02: { status: 400, canRespond: true },
  // 3.3
  insuf: { status: 400, canRespond: false }, // no From, To, Call-ID: nothing to build a response from
  multi01: { status: 400, canRespond: true },
  mcl01: { status: 400, canRespond: true },
};

/** Invalid responses: dropped. */
const DROP_RESPONSE = ['scalarlg', 'bigcode'];

describe('RFC 4475 fixtures', () => {
  it('are all 49 present and each covered by exactly one expectation', () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.dat'))
      .map((f) => f.slice(0, -4))
      .sort();
    const covered = [...PARSE_OK, ...Object.keys(REJECT), ...DROP_RESPONSE].sort();
    expect(files).toHaveLength(49);
    expect(covered).toEqual(files);
  });

  it('are byte-identical to the shared copy', () => {
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.dat'))) {
      const shared = new URL(`../../../../shared/rfc4475/${f}`, import.meta.url);
      let original: Buffer;
      try {
        original = readFileSync(shared);
      } catch {
        return; // the shared folder is not part of every checkout
      }
      expect(readFileSync(new URL(f, DIR)).equals(original), f).toBe(true);
    }
  });
});

describe('RFC 4475: messages that must parse', () => {
  it.each(PARSE_OK)('%s parses', (name) => {
    const r = parse(name);
    expect(r.ok ? 'ok' : r.error.reason).toBe('ok');
  });
});

describe('RFC 4475: invalid requests are rejected with the right status', () => {
  it.each(Object.entries(REJECT))('%s -> %o', (name, expected) => {
    const r = parse(name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect({ status: r.error.status, canRespond: r.error.canRespond }).toEqual(expected);
    expect(r.error.reason.length).toBeGreaterThan(0);
    // Every one of them is a request: the partial request is there to build the answer.
    expect(r.error.partial?.kind).toBe('request');
  });

  it('gives reasons that name the actual problem', () => {
    const reason = (name: string): string => {
      const r = parse(name);
      return r.ok ? 'ok' : r.error.reason;
    };
    expect(reason('badinv01')).toMatch(/Via/);
    expect(reason('clerr')).toMatch(/Content-Length/);
    expect(reason('ncl')).toMatch(/Content-Length/);
    expect(reason('scalar02')).toMatch(/CSeq/);
    expect(reason('quotbal')).toMatch(/To/);
    expect(reason('ltgtruri')).toMatch(/Request-URI/);
    expect(reason('lwsruri')).toMatch(/request line|Request-URI/);
    expect(reason('lwsstart')).toMatch(/request line|Request-URI/);
    expect(reason('trws')).toMatch(/request line/);
    expect(reason('escruri')).toMatch(/Request-URI/);
    expect(reason('baddate')).toMatch(/Date/);
    expect(reason('regbadct')).toMatch(/Contact/);
    expect(reason('badaspec')).toMatch(/To/);
    expect(reason('baddn')).toMatch(/From/);
    expect(reason('badvers')).toMatch(/version/);
    expect(reason('mismatch01')).toMatch(/CSeq/);
    expect(reason('mismatch02')).toMatch(/CSeq/);
    expect(reason('insuf')).toMatch(/Missing/);
    expect(reason('multi01')).toMatch(/Multiple/);
    expect(reason('mcl01')).toMatch(/Content-Length/);
  });

  it('keeps what a 400 / 505 needs in the partial request', () => {
    const r = parse('badvers');
    if (r.ok) throw new Error('badvers parsed');
    const partial = r.error.partial!;
    expect(partial.method).toBe('OPTIONS');
    expect(partial.headers.get('Call-ID')).toBe('badvers.31417@c.example.com');
    expect(parseCSeq(partial.headers.get('CSeq')!)).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(parseVia(partial.headers.get('Via')!)?.protocol).toBe('SIP/7.0');

    const l = parse('ltgtruri');
    if (l.ok) throw new Error('ltgtruri parsed');
    expect(l.error.partial?.rawUri).toBe('<sip:user@example.com>');
    expect(l.error.partial?.uri.scheme).toBe('');
  });
});

describe('RFC 4475: invalid responses are dropped', () => {
  it.each(DROP_RESPONSE)('%s cannot be answered', (name) => {
    const r = parse(name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.canRespond).toBe(false);
    expect(r.error.partial).toBeUndefined();
  });
});

describe('RFC 4475: what the valid messages contain', () => {
  it('wsinv: whitespace, folding, compact and odd-case names', () => {
    const m = request('wsinv');
    expect(m.method).toBe('INVITE');
    expect(m.uri.user).toBe('vivekg');
    expect(m.uri.params.get('unknownparam')).toBeNull();
    const to = parseNameAddr(m.headers.get('To')!)!;
    expect(to.uri.host).toBe('chair-dnrc.example.com');
    expect(to.params.get('tag')).toBe('1918181833n');
    const from = parseNameAddr(m.headers.get('from')!)!;
    expect(from.displayName).toBe('J Rosenberg \\"');
    expect(from.params.get('tag')).toBe('98asjd8');
    expect(m.headers.get('Max-Forwards')).toBe('0068');
    expect(parseCSeq(m.headers.get('CSeq')!)).toEqual({ seq: 9, method: 'INVITE' });
    const vias = m.headers.getAll('Via').map((v) => parseVia(v));
    expect(vias.map((v) => [v?.transport, v?.host, v?.params.get('branch')])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.headers.get('Subject')).toBe('');
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(m.headers.get('Route')).toBe('<sip:services.example.com;lr;unknownwith=value;unknown-no-value>');
    const contacts = parseContacts(m.headers.get('Contact')!);
    if (contacts === null || contacts === '*') throw new Error('Contact');
    expect(contacts[0]?.displayName).toBe('Quoted string ""');
    expect([...contacts[0]!.params]).toEqual([
      ['newparam', 'newvalue'],
      ['secondparam', null],
      ['q', '0.33'],
    ]);
    expect(m.body.length).toBe(150);
    expect(m.body.toString('latin1').startsWith('v=0\r\n')).toBe(true);
  });

  it('intmeth: unusual method, URI and header characters', () => {
    const m = request('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(m.uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(m.uri.host).toBe('example.com');
    expect(parseNameAddr(m.headers.get('To')!)?.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    const from = parseNameAddr(m.headers.get('From')!)!;
    expect(from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(from.params.get('tag')).toBe("_token~1'+`*%!-.");
    expect(m.headers.get('Call-ID')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.headers.get("extensionHeader-!.%*+_`'~")).toBe('\uFEFF大停電');
    expect(parseVia(m.headers.get('Via')!)?.params.get('branch')).toBe("z9hG4bK-.!%66*_+`'~");
  });

  it('esc01: escaped characters in URIs are unescaped', () => {
    const m = request('esc01');
    expect(m.uri.user).toBe('sips:user@example.com');
    expect(m.uri.host).toBe('example.net');
    expect(parseNameAddr(m.headers.get('To')!)?.uri.user).toBe('user');
    expect(parseNameAddr(m.headers.get('From')!)?.uri.user).toBe('I have spaces');
    const contact = parseNameAddr(m.headers.get('Contact')!)!;
    expect(contact.uri.user).toBe('caller');
    expect([...contact.uri.params]).toEqual([
      ['lr', null],
      ['name', 'value%41'],
    ]);
    expect(m.headers.get('Call-ID')).toBe('esc01.239409asdfakjkn23onasd0-3234');
    expect(m.headers.get('Content-Type')).toBe('application/sdp');
  });

  it('escnull: %00 in a user part', () => {
    const m = request('escnull');
    expect(parseNameAddr(m.headers.get('To')!)?.uri.user).toBe('null-\x00-null');
    const users = m.headers.getAll('Contact').map((c) => parseNameAddr(c)?.uri.user);
    expect(users).toEqual(['\x00', '\x00\x00']);
  });

  it('esc02: "%" in method and header name is not an escape', () => {
    const m = request('esc02');
    expect(m.method).toBe('RE%47IST%45R');
    expect(parseCSeq(m.headers.get('CSeq')!)?.method).toBe('RE%47IST%45R');
    expect(m.headers.getAll('Contact')).toHaveLength(2);
    expect(m.headers.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
    expect(parseNameAddr(m.headers.get('To')!)?.displayName).toBe('%Z%45');
  });

  it('lwsdisp: no LWS between display name and <', () => {
    const from = parseNameAddr(request('lwsdisp').headers.get('From')!);
    expect(from?.displayName).toBe('caller');
    expect(from?.uri.user).toBe('caller');
  });

  it('longreq: long values and 34 Via spellings', () => {
    const m = request('longreq');
    expect(m.headers.getAll('Via')).toHaveLength(34);
    const to = parseNameAddr(m.headers.get('To')!)!;
    expect(to.displayName).toMatch(/^I have a user name of (extreme)+ proportion$/);
    expect(to.uri.port).toBe(6000);
    expect(to.uri.params.get('unknownparam1')).toMatch(/^verylong/);
    expect(m.body.length).toBe(150);
  });

  it('dblreq: only the first request of the datagram is taken', () => {
    const m = request('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
  });

  it('semiuri: ";" in the user part of the Request-URI', () => {
    const m = request('semiuri');
    expect(m.uri.user).toBe('user;par=u@example.net');
    expect(m.uri.host).toBe('example.com');
    expect(m.uri.params.size).toBe(0);
    expect(m.headers.getAll('Accept')).toEqual([
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('transports: every transport token, known or not', () => {
    const m = request('transports');
    expect(m.headers.getAll('Via').map((v) => parseVia(v)?.transport)).toEqual([
      'UDP',
      'SCTP',
      'TLS',
      'UNKNOWN',
      'TCP',
    ]);
  });

  it('mpart01: binary multipart body kept byte for byte', () => {
    const raw = load('mpart01');
    const m = request('mpart01');
    expect(m.body.length).toBe(553);
    expect(m.body.equals(raw.subarray(raw.length - 553))).toBe(true);
    expect(parseVia(m.headers.get('Via')!)?.params.get('rport')).toBeNull();
  });

  it('unreason: UTF-8 reason phrase', () => {
    const m = response('unreason');
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(m.body.length).toBe(154);
  });

  it('noreason: empty reason phrase', () => {
    const m = response('noreason');
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
  });

  it('badbranch: a bare magic cookie is still a branch', () => {
    expect(parseVia(request('badbranch').headers.get('Via')!)?.params.get('branch')).toBe('z9hG4bK');
  });

  it('unkscm, novelsc: other schemes in the Request-URI are flagged for a 416', () => {
    const u = request('unkscm');
    expect(u.uri.scheme).toBe('nobodyknowsthisscheme');
    expect(u.uri.opaque).toBe('totallyopaquecontent');
    expect(isKnownScheme(u.uri)).toBe(false);
    const n = request('novelsc');
    expect(n.uri.scheme).toBe('soap.beep');
    expect(n.rawUri).toBe('soap.beep://192.0.2.103:3002');
    expect(isKnownScheme(n.uri)).toBe(false);
  });

  it('unksm2: other schemes in To, From and Contact', () => {
    const m = request('unksm2');
    expect(parseNameAddr(m.headers.get('To')!)?.uri.scheme).toBe('isbn');
    expect(parseNameAddr(m.headers.get('From')!)?.uri.scheme).toBe('http');
    expect(parseNameAddr(m.headers.get('Contact')!)?.uri.scheme).toBe('name');
  });

  it('bext01: Require and Proxy-Require lists', () => {
    const m = request('bext01');
    expect(m.headers.getAll('Require')).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(m.headers.getAll('Proxy-Require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  });

  it('invut, sdp01: bodies the application will refuse', () => {
    expect(request('invut').headers.get('Content-Type')).toBe('application/unknownformat');
    expect(request('invut').body.length).toBe(40);
    expect(request('sdp01').headers.get('Accept')).toBe('text/nobodyKnowsThis');
  });

  it('regaut01: unknown authorization scheme', () => {
    const auth = parseAuthParams(request('regaut01').headers.get('Authorization')!);
    expect(auth?.scheme).toBe('NoOneKnowsThisScheme');
    expect([...(auth?.params ?? [])]).toEqual([['opaque-data', 'here']]);
  });

  it('bcast: a broadcast Via in a response still parses (dropping it is a transport decision)', () => {
    const m = response('bcast');
    expect(m.headers.getAll('Via').map((v) => parseVia(v)?.host)).toEqual(['192.0.2.198', '255.255.255.255']);
  });

  it('zeromf: Max-Forwards 0 parses (the application answers 483)', () => {
    expect(request('zeromf').headers.get('Max-Forwards')).toBe('0');
  });

  it('cparam01 / cparam02: parameter after an addr-spec belongs to the header', () => {
    const c1 = parseNameAddr(request('cparam01').headers.get('Contact')!)!;
    expect(c1.uri.params.size).toBe(0);
    expect([...c1.params]).toEqual([['unknownparam', null]]);
    const c2 = parseNameAddr(request('cparam02').headers.get('Contact')!)!;
    expect([...c2.uri.params]).toEqual([['unknownparam', null]]);
    expect(c2.params.size).toBe(0);
  });

  it('regescrt: escaped headers inside a bracketed Contact URI', () => {
    const c = parseNameAddr(request('regescrt').headers.get('Contact')!)!;
    expect([...c.uri.headers]).toEqual([['Route', '<sip:sip.example.com>']]);
  });

  it('inv2543: RFC 2543 request without Max-Forwards, branch or Content-Length', () => {
    const m = request('inv2543');
    expect(m.headers.has('Max-Forwards')).toBe(false);
    expect(parseVia(m.headers.get('Via')!)?.params.has('branch')).toBe(false);
    expect(m.body.toString('latin1')).toMatch(/^v=0\r\n[\s\S]*m=audio 49217 RTP\/AVP 0\r\n$/);
    // §20.10: after an addr-spec, ";user=phone" is a header parameter, not a URI one.
    const to = parseNameAddr(m.headers.get('To')!)!;
    expect([...to.params]).toEqual([['user', 'phone']]);
    expect(to.uri.params.size).toBe(0);
    expect(parseNameAddr(m.headers.get('From')!)?.uri.params.get('user')).toBe('phone');
  });
});
