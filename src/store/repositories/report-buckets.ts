/**
 * The UTC buckets the report roll-ups (migration 0023) are kept in, and which part
 * of a period they cover: reports read whole buckets from a roll-up and count the
 * period's ragged edges from the calls.
 */
import { IANAZone } from 'luxon';

export const QUARTER_MS = 15 * 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The whole `step`-long UTC buckets inside [from, to), or null when there are none. */
export function inner(from: Date, to: Date, step: number): { a: Date; b: Date } | null {
  const a = Math.ceil(from.getTime() / step) * step;
  const b = Math.floor(to.getTime() / step) * step;
  return a < b ? { a: new Date(a), b: new Date(b) } : null;
}

/**
 * Whether every UTC quarter of the period lies inside one local hour: the zone's
 * offset is a whole number of quarters at both ends and at each day between (true
 * of every zone in use today; a zone's offset changes at most a few times a year).
 */
export function quartersFit(timeZone: string, from: Date, to: Date): boolean {
  return offsetsDivide(timeZone, from, to, 15);
}

/** The same for UTC hours (within one local day): offsets of whole hours (not India's +5:30). */
export function hoursFit(timeZone: string, from: Date, to: Date): boolean {
  return offsetsDivide(timeZone, from, to, 60);
}

function offsetsDivide(timeZone: string, from: Date, to: Date, minutes: number): boolean {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) return false;
  for (let at = from.getTime(); ; at = Math.min(at + DAY_MS, to.getTime())) {
    if (zone.offset(at) % minutes !== 0) return false;
    if (at >= to.getTime()) return true;
  }
}
