/**
 * What an audited change changed: the before and after snapshots flattened to
 * dotted paths (`forwarding.busy.target`) and compared, so the audit page can
 * show one row per field that differs instead of two blobs of JSON.
 */

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
  kind: 'added' | 'removed' | 'changed';
}

type Snapshot = Record<string, unknown> | null | undefined;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaves of `v` by dotted path; arrays are compared whole (their order is their meaning). */
export function flatten(v: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0 && prefix) out.set(prefix, {});
    for (const k of keys) flatten(v[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, v);
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The fields that differ, in the order they appear (after's order, then removed ones). */
export function diffRecords(before: Snapshot, after: Snapshot): FieldChange[] {
  const b = flatten(before ?? {});
  const a = flatten(after ?? {});
  const changes: FieldChange[] = [];
  for (const [path, value] of a) {
    if (!b.has(path)) changes.push({ path, before: undefined, after: value, kind: 'added' });
    else if (!same(b.get(path), value))
      changes.push({ path, before: b.get(path), after: value, kind: 'changed' });
  }
  for (const [path, value] of b)
    if (!a.has(path)) changes.push({ path, before: value, after: undefined, kind: 'removed' });
  return changes;
}

/** A value as one line of text for the diff table. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
