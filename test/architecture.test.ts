/**
 * The dependency rules of DESIGN.md §2, checked on every import in src/:
 * sip/ and media/ stand alone; store/ knows nothing of the API or the PBX.
 * The web portal (web/src) talks to the server only over HTTP: it imports no server code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Layer of a file: its first folder under src/ ('' for files directly in src/). */
function layerOf(file: string): string {
  const rel = relative(SRC, file).split('/');
  return rel.length > 1 ? rel[0]! : '';
}

const FORBIDDEN: Record<string, string[]> = {
  sip: ['pbx', 'store', 'api', 'cluster', 'cli', 'media', ''],
  media: ['pbx', 'store', 'api', 'cluster', 'cli', 'sip', ''],
  util: ['pbx', 'store', 'api', 'cluster', 'cli', 'sip', 'media', ''],
  store: ['api', 'pbx', 'cli', 'cluster'],
  pbx: ['api', 'cli'],
  api: ['cli'],
};

describe('layer rules', () => {
  const all = files(SRC);

  it('finds the source', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('imports only across allowed layers', () => {
    const violations: string[] = [];
    for (const file of all) {
      const from = layerOf(file);
      const banned = FORBIDDEN[from] ?? [];
      for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = resolve(dirname(file), m[1]!);
        const to = layerOf(target);
        if (to !== from && banned.includes(to))
          violations.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('web portal', () => {
  const WEB = resolve(import.meta.dirname, '../web/src');
  const webFiles = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? webFiles(p) : /\.tsx?$/.test(p) ? [p] : [];
    });

  it('imports nothing from the server (its types come from the OpenAPI document)', () => {
    const violations: string[] = [];
    for (const file of webFiles(WEB)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)) {
        const target = resolve(dirname(file), m[1]!);
        if (!target.startsWith(WEB)) violations.push(`${relative(WEB, file)} -> ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
