/**
 * Every parser that reads what the network sends, fuzzed for a few seconds in
 * each test run (scripts/fuzz.ts runs them longer; figures in bench/RESULTS.md):
 * mutated inputs are refused with a typed error or accepted, never thrown on.
 * The seed changes each run and is printed with any crash, so one can be replayed.
 */
import { describe, expect, it } from 'vitest';
import { fuzz, TARGET_NAMES } from '../../scripts/fuzz-targets.js';

const SECONDS = Number(process.env.NIMBUS_FUZZ_SECONDS ?? 2);

describe('fuzzing the parsers', () => {
  it.each(TARGET_NAMES)('%s: no input makes the parser throw', (target) => {
    const seed = (Date.now() ^ (target.length * 7919)) >>> 0;
    const r = fuzz(target, SECONDS * 1000, seed);
    expect(r.crash, `replay: npx tsx scripts/fuzz.ts 10 ${seed} ${target}`).toBeNull();
    // The mutations reach both sides of the parser: some inputs pass, most are refused.
    expect(r.runs).toBeGreaterThan(100);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.accepted).toBeLessThan(r.runs);
  });
});
