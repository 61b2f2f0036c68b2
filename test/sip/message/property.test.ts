/**
 * Property tests: generated valid messages survive serialize -> parse -> serialize
 * unchanged, and no input, however broken, makes the parser or framer throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatNameAddr,
  formatUri,
  formatVia,
  Headers,
  headerKey,
  type NameAddr,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  quote,
  type SipMessage,
  type SipUri,
  StreamFramer,
  serializeMessage,
  type Via,
} from '../../../src/sip/message/index.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = `${LOWER}ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789`;
const TOKEN_CHARS = `${ALNUM}-.!%*_+\`'~`;

const chars = (set: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });
const token = chars(TOKEN_CHARS, 1, 12);
const lowerName = chars(`${LOWER}0123456789-`, 1, 10);
/** Any Unicode text without CR/LF (those can never appear inside a SIP value). */
const text = (min: number, max: number) =>
  fc.string({ unit: 'grapheme', minLength: min, maxLength: max }).map((s) => s.replace(/[\r\n]/g, ' '));

const label = fc
  .tuple(
    chars(`${LOWER}0123456789`, 1, 1),
    chars(`${LOWER}0123456789-`, 0, 6),
    chars(`${LOWER}0123456789`, 1, 1),
  )
  .map(([a, b, c]) => `${a}${b}${c}`);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const host = fc.oneof(
  hostname,
  fc.ipV4(),
  fc.ipV6().map((a) => `[${a.toLowerCase()}]`),
);
const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: null });

function mapOf<V>(
  keys: fc.Arbitrary<string>,
  values: fc.Arbitrary<V>,
  max: number,
): fc.Arbitrary<Map<string, V>> {
  return fc
    .uniqueArray(fc.tuple(keys, values), { maxLength: max, selector: ([k]) => k })
    .map((e) => new Map(e));
}

const uriParams = mapOf(lowerName, fc.option(text(1, 8), { nil: null }), 3);

const sipUri = (withHeaders: boolean): fc.Arbitrary<SipUri> =>
  fc
    .record({
      scheme: fc.constantFrom('sip', 'sips'),
      user: fc.option(text(1, 10), { nil: null }),
      password: fc.option(text(0, 6), { nil: null }),
      host,
      port,
      params: uriParams,
      headers: withHeaders
        ? mapOf(chars(ALNUM, 1, 8), text(0, 8), 2)
        : fc.constant(new Map<string, string>()),
    })
    .map((u) => (u.user === null ? { ...u, password: null } : u));

const telUri: fc.Arbitrary<SipUri> = fc
  .record({ number: fc.tuple(fc.boolean(), chars('0123456789-.', 1, 12)), params: uriParams })
  .filter(({ number: [, n] }) => /[0-9]/.test(n))
  .map(({ number: [plus, n], params }) => ({
    scheme: 'tel',
    user: `${plus ? '+' : ''}${n}`,
    password: null,
    host: '',
    port: null,
    params,
    headers: new Map(),
  }));

const anyUri = (withHeaders: boolean): fc.Arbitrary<SipUri> =>
  fc.oneof({ weight: 4, arbitrary: sipUri(withHeaders) }, { weight: 1, arbitrary: telUri });

const headerParamValue = fc.oneof(
  token,
  text(0, 10).map((s) => quote(s)),
  fc.ipV6(),
);
const headerParams = mapOf(chars(`${LOWER}-.!%*_+\`'~`, 1, 8), fc.option(headerParamValue, { nil: null }), 3);

const nameAddr: fc.Arbitrary<NameAddr> = fc.record({
  displayName: fc.option(text(0, 12), { nil: null }),
  uri: anyUri(true),
  params: headerParams,
});

const via: fc.Arbitrary<Via> = fc.record({
  protocol: fc.constant('SIP/2.0'),
  transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'),
  host,
  port,
  params: fc.tuple(token, fc.boolean(), fc.option(fc.ipV4(), { nil: null })).map(([b, rport, received]) => {
    const p = new Map<string, string | null>([['branch', `z9hG4bK${b}`]]);
    if (rport) p.set('rport', null);
    if (received !== null) p.set('received', received);
    return p;
  }),
});

/** Extension header names that are none of the headers the parser validates. */
const RESERVED = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
  'contact',
  'date',
]);
const extraHeader = fc
  .tuple(token, text(0, 30))
  .filter(([name]) => !RESERVED.has(headerKey(name)))
  .map(([name, value]): [string, string] => [name, value.replace(/^[ \t]+|[ \t]+$/g, '')]);

const body = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b));

function headersOf(
  method: string,
  seq: number,
  vias: Via[],
  from: NameAddr,
  to: NameAddr,
  callId: string,
  contacts: NameAddr[],
  extra: [string, string][],
  maxForwards: number | null,
): Headers {
  const lines: [string, string][] = vias.map((v) => ['Via', formatVia(v)]);
  if (maxForwards !== null) lines.push(['Max-Forwards', String(maxForwards)]);
  lines.push(['From', formatNameAddr(from)], ['To', formatNameAddr(to)], ['Call-ID', callId]);
  lines.push(['CSeq', `${seq} ${method}`]);
  if (contacts.length > 0) lines.push(['Contact', contacts.map(formatNameAddr).join(', ')]);
  return new Headers([...lines, ...extra]);
}

const common = {
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  vias: fc.array(via, { minLength: 1, maxLength: 3 }),
  from: nameAddr,
  to: nameAddr,
  callId: fc.tuple(token, fc.option(hostname, { nil: null })).map(([a, b]) => (b === null ? a : `${a}@${b}`)),
  contacts: fc.array(nameAddr, { maxLength: 2 }),
  extra: fc.array(extraHeader, { maxLength: 6 }),
  body,
};

const requestArb: fc.Arbitrary<SipMessage> = fc
  .record({
    ...common,
    method: fc.oneof(fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'INFO'), token),
    uri: anyUri(false),
    maxForwards: fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }),
  })
  .map((r) => ({
    kind: 'request' as const,
    method: r.method,
    uri: r.uri,
    rawUri: formatUri(r.uri),
    headers: headersOf(r.method, r.seq, r.vias, r.from, r.to, r.callId, r.contacts, r.extra, r.maxForwards),
    body: r.body,
  }));

const responseArb: fc.Arbitrary<SipMessage> = fc
  .record({
    ...common,
    method: token,
    status: fc.integer({ min: 100, max: 699 }),
    reason: text(0, 20),
  })
  .map((r) => ({
    kind: 'response' as const,
    status: r.status,
    reason: r.reason,
    headers: headersOf(r.method, r.seq, r.vias, r.from, r.to, r.callId, r.contacts, r.extra, null),
    body: r.body,
  }));

const messageArb = fc.oneof(requestArb, responseArb);

function parsed(data: Buffer): SipMessage {
  const r = parseMessage(data);
  if (!r.ok) throw new Error(`${r.error.reason}\n${data.toString()}`);
  return r.message;
}

describe('round trip of generated messages', () => {
  it('parse(serialize(m)) gives back m', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const back = parsed(serializeMessage(m));
        expect(back.kind).toBe(m.kind);
        if (m.kind === 'request' && back.kind === 'request') {
          expect(back.method).toBe(m.method);
          expect(back.uri).toEqual(m.uri);
          expect(back.rawUri).toBe(m.rawUri);
        }
        if (m.kind === 'response' && back.kind === 'response') {
          expect(back.status).toBe(m.status);
          expect(back.reason).toBe(m.reason);
        }
        expect(back.headers.entries()).toEqual([
          ...m.headers.entries(),
          ['Content-Length', String(m.body.length)],
        ]);
        expect(back.body.equals(m.body)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('serialize(parse(serialize(m))) is byte-identical to serialize(m)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const wire = serializeMessage(m);
        expect(serializeMessage(parsed(wire)).equals(wire)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the stream framer cuts a stream of generated messages at any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 300 }),
        (ms, size) => {
          const wire = Buffer.concat(ms.map(serializeMessage));
          const framer = new StreamFramer();
          const events = [];
          for (let i = 0; i < wire.length; i += size) events.push(...framer.push(wire.subarray(i, i + size)));
          expect(events.map((e) => e.type)).toEqual(ms.map(() => 'message'));
          events.forEach((e, i) => {
            if (e.type !== 'message') return;
            expect(serializeMessage(e.message).equals(serializeMessage(ms[i]!))).toBe(true);
          });
          expect(framer.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('parseUri(formatUri(u)) gives back u', () => {
    fc.assert(
      fc.property(anyUri(true), (u) => {
        expect(parseUri(formatUri(u))).toEqual(u);
      }),
      { numRuns: 500 },
    );
  });

  it('parseNameAddr(formatNameAddr(na)) gives back na', () => {
    fc.assert(
      fc.property(nameAddr, (na) => {
        expect(parseNameAddr(formatNameAddr(na))).toEqual(na);
      }),
      { numRuns: 500 },
    );
  });

  it('parseVia(formatVia(v)) gives back v', () => {
    fc.assert(
      fc.property(via, (v) => {
        expect(parseVia(formatVia(v))).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe('robustness: nothing throws', () => {
  it('parseMessage on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = parseMessage(Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('parseMessage on SIP-looking text made of SIP punctuation', () => {
    const sipish = fc
      .array(
        fc.constantFrom(
          'INVITE ',
          'SIP/2.0',
          ' ',
          '\r\n',
          ':',
          ';',
          ',',
          '"',
          '<',
          '>',
          '\\',
          'sip:',
          '@',
          'Via',
          'v',
          'To',
          'From',
          'CSeq',
          '1',
          'l',
          '=',
          '[',
          ']',
          '%',
          '\t',
        ),
        {
          maxLength: 200,
        },
      )
      .map((p) => Buffer.from(p.join('')));
    fc.assert(
      fc.property(sipish, (bytes) => {
        expect(typeof parseMessage(bytes).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('parseMessage on valid messages with random byte edits, and serialize of whatever parses', () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom('replace', 'insert', 'delete'),
    );
    fc.assert(
      fc.property(messageArb, fc.array(edit, { minLength: 1, maxLength: 8 }), (m, edits) => {
        const bytes = [...serializeMessage(m)];
        for (const [at, value, op] of edits) {
          const i = at % (bytes.length + 1);
          if (op === 'replace' && i < bytes.length) bytes[i] = value;
          else if (op === 'insert') bytes.splice(i, 0, value);
          else bytes.splice(i, 1);
        }
        const r = parseMessage(Buffer.from(bytes));
        if (r.ok) expect(serializeMessage(r.message).length).toBeGreaterThan(0);
        else expect([400, 505, 413]).toContain(r.error.status);
      }),
      { numRuns: 1000 },
    );
  });

  it('StreamFramer on arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const framer = new StreamFramer({ maxMessageSize: 4096 });
        for (const c of chunks) {
          for (const e of framer.push(Buffer.from(c)))
            expect(['message', 'error', 'keepalive']).toContain(e.type);
        }
        expect(framer.bufferedBytes).toBeLessThanOrEqual(4096 + 300);
      }),
      { numRuns: 500 },
    );
  });
});
