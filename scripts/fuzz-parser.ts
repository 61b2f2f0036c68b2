/**
 * Mutation fuzzing of the SIP parser and stream framer, for a bounded time.
 * Seeds are the RFC 4475 torture messages; each round flips, inserts, deletes,
 * duplicates or splices bytes, then feeds the result to parseMessage() and to a
 * StreamFramer in random chunks. Any exception is a crash (the parser must
 * return typed errors); a crash prints its input in hex and exits non-zero.
 *
 *   npx tsx scripts/fuzz-parser.ts [seconds] [seed]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMessage, StreamFramer, serializeMessage } from '../src/sip/message/index.js';

const seconds = Number(process.argv[2] ?? 60);
let state = Number(process.argv[3] ?? Date.now()) >>> 0 || 1;
const seedValue = state;

/** xorshift32: reproducible from the printed seed. */
function rnd(n: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
}

const dir = resolve(import.meta.dirname, '../test/fixtures/rfc4475');
const seeds = readdirSync(dir)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => readFileSync(join(dir, f)));

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
  '\0',
  '\xff',
  'Content-Length: 99999999\r\n',
  'Via: SIP/2.0/UDP a;branch=z9hG4bK\r\n',
].map((s) => Buffer.from(s, 'latin1'));

function mutate(input: Buffer): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rnd(8);
  for (let i = 0; i < rounds; i++) {
    const at = b.length ? rnd(b.length) : 0;
    switch (rnd(6)) {
      case 0:
        if (b.length) b[at] = rnd(256);
        break;
      case 1: {
        const piece = INTERESTING[rnd(INTERESTING.length)]!;
        b = Buffer.concat([b.subarray(0, at), piece, b.subarray(at)]);
        break;
      }
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
        const from = rnd(other.length);
        b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + rnd(200))]);
        break;
      }
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

const start = Date.now();
let runs = 0;
let parsed = 0;
while (Date.now() - start < seconds * 1000) {
  const input = mutate(seeds[rnd(seeds.length)]!);
  try {
    const r = parseMessage(input);
    if (r.ok) {
      parsed++;
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
  } catch (e) {
    console.error(`CRASH after ${runs} runs (seed ${seedValue}): ${(e as Error).stack}`);
    console.error(`input (hex): ${input.toString('hex')}`);
    process.exit(1);
  }
  runs++;
}
console.log(
  `${runs} mutated messages in ${seconds} s (seed ${seedValue}): ${parsed} parsed, ${runs - parsed} refused, 0 crashes`,
);
