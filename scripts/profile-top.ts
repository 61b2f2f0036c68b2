/**
 * Where a .cpuprofile spent its time: the functions with the most self time, and
 * the same summed per source file.
 *
 *   npx tsx scripts/profile-top.ts file.cpuprofile [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const profile = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Profile;
const rows = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const [id, us] of selfTime) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  const file = f.url.split('/').slice(-2).join('/') || f.functionName;
  const fn = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byFile.set(file, (byFile.get(file) ?? 0) + us);
  total += us;
}
const print = (m: Map<string, number>) => {
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows))
    console.log(
      `${(us / 1000).toFixed(0).padStart(8)} ms  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`,
    );
};
console.log(`total ${(total / 1000).toFixed(0)} ms`);
print(byFunction);
console.log('--- by file');
print(byFile);

// Inclusive time of named functions (self + everything they called), when asked: TOTAL=fn1,fn2
const wanted = (process.env.TOTAL ?? '').split(',').filter(Boolean);
if (wanted.length) {
  const children = new Map(
    profile.nodes.map((n) => [n.id, (n as ProfileNode & { children?: number[] }).children ?? []]),
  );
  const inclusive = (id: number): number =>
    (selfTime.get(id) ?? 0) + (children.get(id) ?? []).reduce((a, c) => a + inclusive(c), 0);
  console.log('--- inclusive');
  for (const name of wanted) {
    let us = 0;
    // Count each outermost occurrence once (recursion would double-count).
    const walk = (id: number, inside: boolean): void => {
      const hit = byId.get(id)?.callFrame.functionName === name;
      if (hit && !inside) us += inclusive(id);
      for (const c of children.get(id) ?? []) walk(c, inside || hit);
    };
    walk(profile.nodes[0]!.id, false);
    console.log(
      `${(us / 1000).toFixed(0).padStart(8)} ms  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`,
    );
  }
}
