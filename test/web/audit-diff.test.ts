import { describe, expect, it } from 'vitest';
import { diffRecords, flatten, showValue } from '../../web/src/audit-diff.js';

describe('audit before/after diff', () => {
  it('lists only the fields that changed, nested ones by dotted path', () => {
    const before = {
      number: '101',
      dnd: false,
      forwarding: { busy: { enabled: false, target: '' } },
      codecs: ['PCMA'],
    };
    const after = {
      number: '101',
      dnd: true,
      forwarding: { busy: { enabled: true, target: '200' } },
      codecs: ['PCMU', 'PCMA'],
    };
    expect(diffRecords(before, after)).toEqual([
      { path: 'dnd', before: false, after: true, kind: 'changed' },
      { path: 'forwarding.busy.enabled', before: false, after: true, kind: 'changed' },
      { path: 'forwarding.busy.target', before: '', after: '200', kind: 'changed' },
      { path: 'codecs', before: ['PCMA'], after: ['PCMU', 'PCMA'], kind: 'changed' },
    ]);
  });

  it('shows a creation as all fields added and a deletion as all removed', () => {
    expect(diffRecords(null, { a: 1, b: { c: 'x' } })).toEqual([
      { path: 'a', before: undefined, after: 1, kind: 'added' },
      { path: 'b.c', before: undefined, after: 'x', kind: 'added' },
    ]);
    expect(diffRecords({ a: 1 }, null)).toEqual([
      { path: 'a', before: 1, after: undefined, kind: 'removed' },
    ]);
    expect(diffRecords({ a: 1 }, { a: 1 })).toEqual([]);
  });

  it('keeps empty objects and nulls as values', () => {
    expect([...flatten({ a: {}, b: null })]).toEqual([
      ['a', {}],
      ['b', null],
    ]);
    expect(showValue(null)).toBe('null');
    expect(showValue('x')).toBe('x');
    expect(showValue(undefined)).toBe('');
  });
});
