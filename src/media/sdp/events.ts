/**
 * The event list of an RFC 4733 telephone-event format: `a=fmtp:101 0-15,66,70`.
 * Lists are kept sorted and merged so two descriptions of the same set compare equal.
 */
import { isTelephoneEvent } from './codecs.js';
import type { EventRange, RtpFormat, TelephoneEvent } from './types.js';

/**
 * RFC 4733 §2.4.1 / §7.1.1 (as RFC 2833 before it): a telephone-event format with no
 * events list is taken to cover the DTMF events 0-15 only.
 */
export const DEFAULT_EVENTS: readonly EventRange[] = [{ from: 0, to: 15 }];

/** DTMF 0-9 * # A-D (0-15) and flash (16): what our DTMF code understands. */
export const DTMF_AND_FLASH: readonly EventRange[] = [{ from: 0, to: 16 }];

const MAX_EVENT = 255;

/**
 * Reads an events list; unreadable items are skipped, and a list with nothing readable
 * counts as absent. Some phones write `events=0-15`; the prefix is tolerated.
 */
export function parseEvents(fmtp: string | null): EventRange[] {
  if (fmtp === null) return [...DEFAULT_EVENTS];
  const list = fmtp.trim().replace(/^events\s*=\s*/i, '');
  const ranges: EventRange[] = [];
  for (const item of list.split(',')) {
    const m = /^\s*(\d{1,3})\s*(?:-\s*(\d{1,3}))?\s*$/.exec(item);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from <= to && to <= MAX_EVENT) ranges.push({ from, to });
  }
  return ranges.length > 0 ? normalizeEvents(ranges) : [...DEFAULT_EVENTS];
}

/** Sorted, with overlapping and adjacent ranges merged. */
export function normalizeEvents(ranges: readonly EventRange[]): EventRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: EventRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) out[out.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

export function formatEvents(ranges: readonly EventRange[]): string {
  return normalizeEvents(ranges)
    .map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`))
    .join(',');
}

/** Events in both lists. */
export function intersectEvents(a: readonly EventRange[], b: readonly EventRange[]): EventRange[] {
  const out: EventRange[] = [];
  for (const x of normalizeEvents(a)) {
    for (const y of normalizeEvents(b)) {
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ from, to });
    }
  }
  return normalizeEvents(out);
}

/**
 * The telephone-event format of a format list at a clock rate (RFC 4733 §2.1: events
 * share the clock of the audio they go with); without a rate, the 8 kHz one or the first.
 */
export function telephoneEventOf(formats: readonly RtpFormat[], clockRate?: number): TelephoneEvent | null {
  const all = formats.filter(isTelephoneEvent);
  const f =
    clockRate === undefined
      ? (all.find((t) => t.clockRate === 8000) ?? all[0])
      : all.find((t) => t.clockRate === clockRate);
  return f ? { payloadType: f.payloadType, clockRate: f.clockRate, events: parseEvents(f.fmtp) } : null;
}
