/**
 * Mutation fuzzing of every parser that reads what the network sends: SIP
 * messages (and the stream framer), SIP URIs, digest credentials and challenges,
 * SDP (parsed, answered by the B2BUA's rules, with and without SRTP, written again),
 * and RTP/SRTP/SRTCP packets as the relay reads them. Seeds are real
 * inputs (the RFC 4475 messages, URIs and headers taken from them, offers as
 * phones send them); each round flips, inserts, deletes, duplicates or splices
 * bytes. A parser must return its typed refusal: any exception is a crash.
 *
 * Used by scripts/fuzz.ts (long runs, figures in bench/RESULTS.md) and by
 * test/fuzz.test.ts (a few seconds each in `npm test`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { payloadBounds } from '../src/media/rtp/endpoint.js';
import { parseRtp, serializeRtp } from '../src/media/rtp/packet.js';
import { buildCompound, parseCompound } from '../src/media/rtp/rtcp.js';
import { SrtpContext } from '../src/media/rtp/srtp.js';
import { capabilities } from '../src/media/sdp/capabilities.js';
import { answerOffer } from '../src/media/sdp/negotiate.js';
import { parseSdp } from '../src/media/sdp/parse.js';
import { writeSdp } from '../src/media/sdp/write.js';
import { authorize, parseCredentials, parseDigestParams } from '../src/sip/auth.js';
import {
  formatUri,
  parseMessage,
  parseUri,
  StreamFramer,
  serializeMessage,
} from '../src/sip/message/index.js';

export type TargetName = 'message' | 'uri' | 'digest' | 'sdp' | 'srtp';

export interface FuzzResult {
  target: TargetName;
  seed: number;
  runs: number;
  /** Inputs the parser accepted (the rest it refused with its typed error). */
  accepted: number;
  /** The first crash: the error and the input that caused it (hex). */
  crash: { error: string; input: string } | null;
}

const rfc4475 = resolve(import.meta.dirname, '../test/fixtures/rfc4475');
const messages = readdirSync(rfc4475)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => readFileSync(join(rfc4475, f)));

/** Every header value of the torture messages whose name matches. */
function headerValues(name: RegExp): Buffer[] {
  const out: Buffer[] = [];
  for (const m of messages)
    for (const line of m.toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && name.test(line.slice(0, colon).trim()))
        out.push(Buffer.from(line.slice(colon + 1).trim(), 'latin1'));
    }
  return out;
}

const URIS = [
  ...messages.map((m) => Buffer.from(m.toString('latin1').split(' ')[1] ?? '', 'latin1')),
  ...[
    'sip:101@example.com',
    'sips:alice@[2001:db8::1]:5061;transport=tcp;lr',
    'sip:%61lice@host;maddr=10.0.0.1?subject=x&to=y',
    'tel:+7-495-123-45-67;phone-context=example.com',
  ].map((s) => Buffer.from(s)),
];

const DIGEST = [
  'Digest username="101", realm="example.com", nonce="MTcwMDAwMDAwMDAwMDphYmNk", uri="sip:example.com", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
  'Digest realm="example.com", nonce="abc", qop="auth", algorithm=SHA-256, stale=TRUE',
  'Digest username="a\\"b", realm="r", nonce="n", uri="sip:x", response="00"',
  ...headerValues(/^(authorization|proxy-authorization|www-authenticate|proxy-authenticate)$/i).map((b) =>
    b.toString('latin1'),
  ),
].map((s) => Buffer.from(s, 'latin1'));

const sdp = (...lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
const SDPS = [
  sdp(
    'v=0',
    'o=- 1 1 IN IP4 192.0.2.1',
    's=-',
    'c=IN IP4 192.0.2.1',
    't=0 0',
    'm=audio 4000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
  ),
  sdp(
    'v=0',
    'o=- 2 2 IN IP6 2001:db8::1',
    's=-',
    't=0 0',
    'm=audio 5004 RTP/SAVP 96 0',
    'c=IN IP6 2001:db8::1',
    'a=rtpmap:96 opus/48000/2',
    'a=fmtp:96 stereo=1',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
    'a=rtcp-mux',
    'm=video 0 RTP/AVP 31',
  ),
  sdp(
    'v=0',
    'o=- 3 3 IN IP4 0.0.0.0',
    's=-',
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
    'a=mid:0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaa',
    'a=fingerprint:sha-256 AB:CD',
    'a=setup:actpass',
    'a=rtpmap:111 opus/48000/2',
    'a=sendonly',
  ),
  ...messages
    .map((m) => m.toString('latin1'))
    .filter((t) => t.includes('\r\nv=0'))
    .map((t) => Buffer.from(t.slice(t.indexOf('\r\n\r\n') + 4), 'latin1')),
];

const INTERESTING = [
  '\r\n',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '%',
  '@',
  '[',
  ']',
  ' ',
  '\t',
  '=',
  '/',
  '\0',
  '\xff',
  '%00',
  '-1',
  '99999999999',
  'a=fmtp\0:',
  'm=audio 0 RTP/AVP\r\n',
  'Content-Length: 99999999\r\n',
].map((s) => Buffer.from(s, 'latin1'));

interface Target {
  seeds: Buffer[];
  /** Feeds one input to the parser(s); true when accepted. Throws only on a crash. */
  run(input: Buffer, rnd: (n: number) => number): boolean;
}

const CAPS = capabilities({ codecs: ['PCMA', 'PCMU'] });
const CAPS_SRTP = capabilities({ codecs: ['PCMA', 'PCMU'], srtp: 'accept' });

const SRTP_KEY = Buffer.alloc(30, 0x4b);
const rtpSeed = (seq: number, cc = 0, ext = false) =>
  serializeRtp({
    marker: seq === 0,
    payloadType: seq % 2 ? 8 : 101,
    sequence: seq,
    timestamp: seq * 160,
    ssrc: 0x1234,
    csrc: Array.from({ length: cc }, (_, i) => i),
    extension: ext ? { profile: 0xbede, data: Buffer.alloc(8, 1) } : null,
    payload: Buffer.alloc(seq % 2 ? 160 : 4, 0x55),
  });
const sealer = new SrtpContext('AES_CM_128_HMAC_SHA1_80', SRTP_KEY);
const SRTP_SEEDS = [
  rtpSeed(1),
  rtpSeed(2, 2, true),
  sealer.protectRtp(rtpSeed(3)),
  sealer.protectRtp(rtpSeed(4, 1, true)),
  sealer.protectRtcp(buildCompound({ ssrc: 0x1234, sender: null, blocks: [], cname: 'x', bye: true })),
];

const TARGETS: Record<TargetName, Target> = {
  message: {
    seeds: messages,
    run(input, rnd) {
      const r = parseMessage(input);
      if (r.ok) {
        // What parses must serialize and parse again.
        const again = parseMessage(serializeMessage(r.message));
        if (!again.ok) throw new Error(`re-parse failed: ${again.error.reason}`);
      }
      const framer = new StreamFramer({ maxMessageSize: 4096 });
      for (let i = 0; i < input.length; ) {
        const n = 1 + rnd(64);
        framer.push(input.subarray(i, i + n));
        i += n;
      }
      return r.ok;
    },
  },
  uri: {
    seeds: URIS,
    run(input) {
      const u = parseUri(input.toString('latin1'));
      if (!u) return false;
      // A URI we accepted is written back in a form we accept again.
      if (!parseUri(formatUri(u))) throw new Error(`formatted URI does not parse: ${formatUri(u)}`);
      return true;
    },
  },
  digest: {
    seeds: DIGEST,
    run(input) {
      const text = input.toString('latin1');
      parseDigestParams(text);
      const creds = parseCredentials(text);
      // As a challenge a carrier sent: answered or refused, never thrown.
      authorize(
        text,
        { username: '101', password: 'secret' },
        { method: 'INVITE', uri: 'sip:x@example.com' },
      );
      return creds !== null;
    },
  },
  sdp: {
    seeds: SDPS,
    run(input) {
      const r = parseSdp(input.toString('latin1'));
      if (!r.ok) return false;
      const answer = answerOffer(r.value, CAPS, { addresses: ['203.0.113.5'], ports: [40000, 40002] });
      // Where SRTP may be used the a=crypto lines are read and answered too.
      const secure = answerOffer(r.value, CAPS_SRTP, { addresses: ['203.0.113.5'], ports: [40000] });
      if (secure.ok) writeSdp({ ...secure.value.body, origin: r.value.origin });
      writeSdp(r.value);
      return answer.ok;
    },
  },
  srtp: {
    seeds: SRTP_SEEDS,
    run(input) {
      // As the relay reads a datagram: header sanity, then SRTP and SRTCP authentication.
      payloadBounds(input);
      const plain = parseRtp(input);
      const receiver = new SrtpContext('AES_CM_128_HMAC_SHA1_80', SRTP_KEY);
      receiver.unprotectRtp(Buffer.from(input));
      const rtcp = receiver.unprotectRtcp(Buffer.from(input));
      if (rtcp) parseCompound(rtcp);
      new SrtpContext('AES_CM_128_HMAC_SHA1_32', SRTP_KEY).unprotectRtp(Buffer.from(input));
      return plain.ok;
    },
  },
};

export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

/** Fuzzes one target for `ms` milliseconds from `seed` (reproducible); stops at the first crash. */
export function fuzz(target: TargetName, ms: number, seed: number): FuzzResult {
  let state = seed >>> 0 || 1;
  /** xorshift32: reproducible from the seed. */
  const rnd = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const { seeds, run } = TARGETS[target];
  const mutate = (input: Buffer): Buffer => {
    let b = Buffer.from(input);
    for (let rounds = 1 + rnd(8); rounds > 0; rounds--) {
      const at = b.length ? rnd(b.length) : 0;
      switch (rnd(6)) {
        case 0:
          if (b.length) b[at] = rnd(256);
          break;
        case 1:
          b = Buffer.concat([b.subarray(0, at), INTERESTING[rnd(INTERESTING.length)]!, b.subarray(at)]);
          break;
        case 2:
          b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(16)))]);
          break;
        case 3: {
          const len = 1 + rnd(64);
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
          break;
        }
        case 4: {
          const other = seeds[rnd(seeds.length)]!;
          const from = rnd(other.length || 1);
          b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rnd(200))]);
          break;
        }
        default:
          b = b.subarray(0, at);
      }
    }
    return b;
  };
  const start = Date.now();
  let runs = 0;
  let accepted = 0;
  while (Date.now() - start < ms) {
    const input = mutate(seeds[rnd(seeds.length)]!);
    try {
      if (run(input, rnd)) accepted++;
    } catch (e) {
      return {
        target,
        seed,
        runs,
        accepted,
        crash: { error: (e as Error).stack ?? String(e), input: input.toString('hex') },
      };
    }
    runs++;
  }
  return { target, seed, runs, accepted, crash: null };
}
