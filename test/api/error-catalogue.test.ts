import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/api/errors.js';

describe('error catalogue', () => {
  it('docs/api-errors.md lists exactly the codes in src/api/errors.ts with their HTTP status', () => {
    const doc = readFileSync(new URL('../../docs/api-errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)`\s*\| (\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status])),
    );
  });
});
