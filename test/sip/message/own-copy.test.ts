import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ownCopy } from '../../../src/sip/message/index.js';

// A full collection on demand, so the heap measured holds only what is still referenced.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('ownCopy', () => {
  it('keeps the text, whatever its length and characters', () => {
    for (const s of ['', 'a', 'z9hG4bK-1234567890abcdef', 'Привет, мир — ☎', 'x'.repeat(5000)])
      expect(ownCopy(s)).toBe(s);
  });

  it('does not keep the string a value was sliced from alive', () => {
    // What a long-kept key costs in heap: ~800 bytes per slice of a 700-character request, ~100 for a copy.
    const perEntry = (copy: boolean): number => {
      const kept = new Map<string, number>();
      gc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 20_000; i++) {
        const request = `REGISTER ${String(i).padStart(40, '0')} ${'a'.repeat(650)}${i}`;
        const value = request.slice(9, 49);
        kept.set(copy ? ownCopy(value) : value, i);
      }
      gc();
      const bytes = (process.memoryUsage().heapUsed - before) / kept.size;
      expect(kept.size).toBe(20_000);
      return bytes;
    };
    const sliced = perEntry(false);
    const copied = perEntry(true);
    expect(copied).toBeLessThan(sliced / 3);
  });
});
