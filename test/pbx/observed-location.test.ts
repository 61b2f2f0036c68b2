/**
 * ObservedLocation's sweep: a registration that ran out between two sweeps is reported
 * when the sweep removes it (seconds after it expired, as sweeps run), once, with the
 * devices the extension still has; a sweep that removes nothing reports nothing.
 */
import { describe, expect, it } from 'vitest';
import { ObservedLocation, type PbxEvent, PbxEvents } from '../../src/pbx/events.js';
import { type Binding, MemoryLocation } from '../../src/pbx/location.js';

function binding(contact: string, expiresAt: number): Binding {
  return {
    contact,
    expiresAt,
    callId: `cid-${contact}`,
    cseq: 1,
    source: { transport: 'UDP', host: '127.0.0.1', port: 5070 },
    path: [],
    userAgent: 'test',
    q: 1,
  };
}

describe('ObservedLocation.sweep', () => {
  it('reports bindings that expired since the last sweep, not only in the last millisecond', () => {
    let now = 1_000_000;
    const events = new PbxEvents();
    const seen: PbxEvent[] = [];
    events.on((e) => seen.push(e));
    const loc = new ObservedLocation(new MemoryLocation(), events, () => now);
    loc.store('t1:101', [
      binding('sip:101@10.0.0.1', now + 60_000),
      binding('sip:101@10.0.0.2', now + 300_000),
    ]);
    loc.store('t1:102', [binding('sip:102@10.0.0.3', now + 300_000)]);
    seen.length = 0;

    // The sweep runs 30 s after the first phone's binding ran out.
    now += 90_000;
    expect(loc.sweep(now)).toBe(1);
    expect(seen).toHaveLength(1);
    const e = seen[0]!;
    expect(e.type).toBe('registration');
    if (e.type !== 'registration') return;
    expect(e.tenantId).toBe('t1');
    expect(e.registration.extension).toBe('101');
    expect(e.registration.devices.map((d) => d.contact)).toEqual(['sip:101@10.0.0.2']);

    // Nothing more expired: the next sweep says nothing.
    now += 10_000;
    expect(loc.sweep(now)).toBe(0);
    expect(seen).toHaveLength(1);

    // Both remaining bindings expire long before the next sweep: each extension is told it has none.
    now += 600_000;
    expect(loc.sweep(now)).toBe(2);
    expect(
      seen
        .slice(1)
        .map((x) =>
          x.type === 'registration' ? [x.registration.extension, x.registration.devices.length] : [],
        )
        .sort(),
    ).toEqual([
      ['101', 0],
      ['102', 0],
    ]);
  });
});
