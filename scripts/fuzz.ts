/**
 * Fuzzes the network-facing parsers for a bounded time each (scripts/fuzz-targets.ts):
 * the SIP message and stream framer, SIP URIs, digest credentials/challenges, SDP.
 * A crash prints the input in hex and exits non-zero.
 *
 *   npx tsx scripts/fuzz.ts [seconds per target] [seed] [target ...]
 */
import { fuzz, TARGET_NAMES, type TargetName } from './fuzz-targets.js';

const seconds = Number(process.argv[2] ?? 60);
const seed = Number(process.argv[3] ?? Date.now()) >>> 0 || 1;
const chosen = (process.argv.slice(4) as TargetName[]).filter((t) => TARGET_NAMES.includes(t));
let crashed = false;
for (const target of chosen.length ? chosen : TARGET_NAMES) {
  const r = fuzz(target, seconds * 1000, seed);
  if (r.crash) {
    crashed = true;
    console.error(`${target}: CRASH after ${r.runs} runs (seed ${seed}): ${r.crash.error}`);
    console.error(`input (hex): ${r.crash.input}`);
  } else
    console.log(
      `${target}: ${r.runs} mutated inputs in ${seconds} s (seed ${seed}): ${r.accepted} accepted, ${r.runs - r.accepted} refused, 0 crashes`,
    );
}
process.exitCode = crashed ? 1 : 0;
