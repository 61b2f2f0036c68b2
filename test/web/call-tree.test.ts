/** A call record as a tree of steps and the phones each rang (web/src/call-tree.ts). */
import { describe, expect, it } from 'vitest';
import { callTree, legOutcome } from '../../web/src/call-tree.js';

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();

describe('call tree', () => {
  it('hangs each phone under the step that rang it: route, menu, queue, then a transfer', () => {
    const tree = callTree({
      startedAt: at(0),
      trail: [
        { at: at(0), kind: 'trunk', id: 't', name: 'Carrier', outcome: 'called +74951234567' },
        {
          at: at(0),
          kind: 'inboundRoute',
          id: 'r',
          name: 'Main (+74951234567)',
          outcome: 'default destination',
        },
        { at: at(8), kind: 'ivr', id: 'i', name: 'Main menu', outcome: 'key 1' },
        { at: at(20), kind: 'queue', id: 'q', name: 'Sales (600)', outcome: 'answered by 101 after 12 s' },
        { at: at(60), kind: 'transfer', id: null, name: 'blind transfer to 105', outcome: 'answered' },
      ],
      legs: [
        {
          number: '101',
          target: 'sip:101@a',
          startedAt: at(9),
          answeredAt: at(20),
          endedAt: at(59),
          sipStatus: 200,
        },
        {
          number: '102',
          target: 'sip:102@b',
          startedAt: at(9),
          answeredAt: null,
          endedAt: at(20),
          sipStatus: 487,
        },
        {
          number: '103',
          target: 'sip:103@c',
          startedAt: at(9),
          answeredAt: null,
          endedAt: at(10),
          sipStatus: 486,
        },
        {
          number: '105',
          target: 'sip:105@d',
          startedAt: at(55),
          answeredAt: at(60),
          endedAt: at(90),
          sipStatus: 200,
        },
      ],
    });
    expect(tree.direct).toEqual([]);
    expect(tree.steps.map((s) => [s.kind, s.legs.map((l) => `${l.number}:${l.outcome}`)])).toEqual([
      ['trunk', []],
      ['inboundRoute', []],
      ['ivr', []],
      ['queue', ['101:answered', '102:cancelled', '103:busy']],
      ['transfer', ['105:answered']],
    ]);
    expect(tree.steps[3]!.atSec).toBe(20);
    expect(tree.steps[3]!.legs[0]).toMatchObject({ startSec: 9, endSec: 59 });
  });

  it('follows a forward: the first extension rings, then the second', () => {
    const tree = callTree({
      startedAt: at(0),
      trail: [
        {
          at: at(20),
          kind: 'extension',
          id: 'e1',
          name: 'Anna (101)',
          outcome: 'no-answer, forwarded to 102',
        },
        { at: at(30), kind: 'extension', id: 'e2', name: 'Boris (102)', outcome: 'answered' },
      ],
      legs: [
        {
          number: '101',
          target: 'sip:101@a',
          startedAt: at(0),
          answeredAt: null,
          endedAt: at(20),
          sipStatus: 480,
        },
        {
          number: '102',
          target: 'sip:102@b',
          startedAt: at(20),
          answeredAt: at(30),
          endedAt: at(40),
          sipStatus: 200,
        },
      ],
    });
    expect(tree.steps.map((s) => s.legs.map((l) => `${l.number}:${l.outcome}`))).toEqual([
      ['101:noAnswer'],
      ['102:answered'],
    ]);
  });

  it('keeps the phones of a call straight to an extension at the top', () => {
    const tree = callTree({
      startedAt: at(0),
      trail: [],
      legs: [
        {
          number: '102',
          target: 'sip:102@b',
          startedAt: at(0),
          answeredAt: null,
          endedAt: at(5),
          sipStatus: 603,
        },
      ],
    });
    expect(tree.direct.map((l) => l.outcome)).toEqual(['declined']);
    expect(
      legOutcome({ target: 'x', startedAt: at(0), answeredAt: null, endedAt: null, sipStatus: 503 }),
    ).toBe('failed');
  });
});
