/**
 * Security events for things that happen by the thousand under attack (connections
 * refused, a tenant over its request rate, work refused at a memory cap): one event
 * per key per period instead of one per occurrence, so a flood cannot flood the log,
 * fail2ban or the portal's list in turn. The first occurrence is recorded at once;
 * later ones within the period are counted, and the next event (the first occurrence
 * after the period) carries how many there were since the previous event.
 *
 * Memory is bounded: at most `maxKeys` keys are remembered, the least recently
 * reported dropped first (a forgotten key just reports again sooner).
 */
import type { SecurityEventInput, SecurityLog } from './security-events.js';

export interface AggregatedEventsOptions {
  periodMs: number;
  maxKeys: number;
  clock: () => number;
}

interface Entry {
  lastAt: number;
  /** Occurrences since the last event, not yet reported. */
  pending: number;
}

export class AggregatedEvents {
  private readonly opts: AggregatedEventsOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly log: SecurityLog,
    opts: Partial<AggregatedEventsOptions> = {},
  ) {
    this.opts = { periodMs: 60_000, maxKeys: 10_000, clock: Date.now, ...opts };
  }

  /**
   * One occurrence under `key`. `event(count)` makes the event when one is due;
   * `count` is the occurrences it stands for (this one included). True when recorded.
   */
  note(key: string, event: (count: number) => SecurityEventInput): boolean {
    const now = this.opts.clock();
    const e = this.entries.get(key);
    if (e && now - e.lastAt < this.opts.periodMs) {
      e.pending++;
      return false;
    }
    const count = (e?.pending ?? 0) + 1;
    this.entries.delete(key);
    this.entries.set(key, { lastAt: now, pending: 0 });
    if (this.entries.size > this.opts.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.log.record(event(count));
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}
