/**
 * Limits on external calls (toll fraud is where a PBX costs its owner money):
 * calls at once per tenant and per extension, answered minutes and spend (by the
 * operator's rate deck, billed by the second) per day per tenant, with a warning
 * at a share of the spend cap, and the anomaly rule — a burst of short international calls from one
 * extension blocks its external calls until an administrator clears it.
 * Counted on this node (a cluster shares them through Redis: issue 11).
 */
import { DateTime } from 'luxon';

/** The anomaly rule: this many international calls shorter than `shortSec` within `windowSec`. */
export const FRAUD_RULE = { shortSec: 30, calls: 5, windowSec: 600 } as const;

export interface Refusal {
  status: number;
  cause: string;
  reason: string;
}

export interface ExternalCallOwner {
  tenantId: string;
  /** The tenant's zone: a "day" of minutes is its day. */
  timeZone: string;
  maxExternalCalls: number;
  dailyExternalMinutes: number | null;
  /** Minor units a day (null: no cap); warned once when `spendAlertPercent` of it is spent. */
  dailySpendCap: number | null;
  spendAlertPercent: number;
  /** At the minutes or spend cap, running calls are cut off too (`enforce`), not only new ones refused. */
  clearCallsAtCap?: boolean;
  /** The extension answerable for the call (its own, its forwarding, its follow-me); null: tenant configuration. */
  extension: { number: string; maxExternalCalls: number | null } | null;
}

/** One external call holding its place in the counters until `end`. */
export interface ExternalCallTicket {
  answered(atMs: number): void;
  /**
   * The call is over; `international` calls count for the anomaly rule unless
   * `attempt` is false (a target rung alongside others that someone else answered).
   * Returns what it cost (minor units, unrounded), or null when it was not priced.
   */
  end(atMs: number, attempt?: boolean): number | null;
}

/** A call through a trunk now: what `enforce` needs to price it so far and to cut it off. */
interface LiveCall {
  owner: ExternalCallOwner;
  answeredAt: number | null;
  pricePerMinute: number | null;
  cut: ((cause: string) => void) | null;
}

export class ExternalLimits {
  private readonly tenantCalls = new Map<string, number>();
  /** Calls running now, per tenant. */
  private readonly live = new Map<string, Set<LiveCall>>();
  private readonly extensionCalls = new Map<string, number>();
  private readonly minutes = new Map<string, { day: string; seconds: number }>();
  /** Each tenant's current day: its key and the instant it ends. */
  private readonly days = new Map<string, { key: string; endsAt: number }>();
  private readonly shortCalls = new Map<string, number[]>();
  /** Minor units spent today, per tenant. */
  private readonly spend = new Map<string, { day: string; minor: number }>();

  /** Tenants told today that their minutes ran out (one alert a day). */
  private readonly alerted = new Map<string, string>();
  /** What each tenant was told of its spend today (the warning, then the cap: once each). */
  private readonly spendTold = new Map<string, { day: string; warned: boolean; reached: boolean }>();

  constructor(
    /** Wall clock (days of minutes). */
    private readonly now: () => Date,
    /** An extension tripped the anomaly rule. */
    private readonly onFraud: (tenantId: string, extension: string, reason: string) => void,
    /** A tenant used up its daily minutes (once a day, at the first call refused). */
    private readonly onCapReached: (tenantId: string, minutes: number) => void = () => {},
    /** A tenant's spend today passed its warning share, or its cap (once a day each). */
    private readonly onSpend: (
      tenantId: string,
      what: 'warning' | 'reached',
      spent: number,
      cap: number,
    ) => void = () => {},
  ) {}

  /**
   * Answered seconds and spend (minor units) already used today (read from the call
   * records at start). With the tenant's cap, what it was told before the restart is
   * not told again: a spend past the warning share or the cap counts as said.
   */
  baseline(
    tenantId: string,
    timeZone: string,
    seconds: number,
    spent = 0,
    cap: { dailySpendCap: number | null; spendAlertPercent: number } | null = null,
  ): void {
    const day = this.day(tenantId, timeZone);
    this.minutes.set(tenantId, { day, seconds });
    this.spend.set(tenantId, { day, minor: spent });
    if (cap?.dailySpendCap != null)
      this.spendTold.set(tenantId, {
        day,
        warned: spent >= (cap.dailySpendCap * cap.spendAlertPercent) / 100,
        reached: spent >= cap.dailySpendCap,
      });
  }

  /** Minor units a tenant spent today on external calls (live views, tests). */
  spentToday(tenantId: string, timeZone: string): number {
    const s = this.spend.get(tenantId);
    return s && s.day === this.day(tenantId, timeZone) ? s.minor : 0;
  }

  /** Tells the tenant once a day: the warning when its spend passes the share, "reached" at the cap. */
  private tellSpend(o: ExternalCallOwner, spent: number): void {
    const cap = o.dailySpendCap;
    if (cap === null) return;
    const day = this.day(o.tenantId, o.timeZone);
    let told = this.spendTold.get(o.tenantId);
    if (told?.day !== day) {
      told = { day, warned: false, reached: false };
      this.spendTold.set(o.tenantId, told);
    }
    if (!told.warned && spent >= (cap * o.spendAlertPercent) / 100) {
      told.warned = true;
      if (spent < cap) this.onSpend(o.tenantId, 'warning', spent, cap);
    }
    if (!told.reached && spent >= cap) {
      told.reached = true;
      this.onSpend(o.tenantId, 'reached', spent, cap);
    }
  }

  /**
   * The tenant's current day, as a key. A day, once begun, lasts until the midnight it
   * began toward, whatever the tenant's zone becomes meanwhile: moving the zone across
   * the date line cannot start a fresh day of minutes and spend early.
   */
  private day(tenantId: string, timeZone: string): string {
    const now = this.now();
    const current = this.days.get(tenantId);
    if (current && now.getTime() < current.endsAt) return current.key;
    const local = DateTime.fromJSDate(now).setZone(timeZone);
    const day = { key: local.toISODate() ?? '', endsAt: local.plus({ days: 1 }).startOf('day').toMillis() };
    this.days.set(tenantId, day);
    return day.key;
  }

  /** Answered external seconds of a tenant today (live views). */
  usedToday(tenantId: string, timeZone: string): number {
    return this.usedSeconds(tenantId, timeZone);
  }

  private usedSeconds(tenantId: string, timeZone: string): number {
    const m = this.minutes.get(tenantId);
    return m && m.day === this.day(tenantId, timeZone) ? m.seconds : 0;
  }

  /** Why this call may not go out now, or null. */
  check(o: ExternalCallOwner): Refusal | null {
    if ((this.tenantCalls.get(o.tenantId) ?? 0) >= o.maxExternalCalls)
      return { status: 503, cause: 'external-limit', reason: 'Too Many External Calls' };
    const ext = o.extension;
    if (
      ext?.maxExternalCalls != null &&
      (this.extensionCalls.get(`${o.tenantId}:${ext.number}`) ?? 0) >= ext.maxExternalCalls
    )
      return { status: 503, cause: 'external-limit', reason: 'Too Many External Calls' };
    if (
      o.dailyExternalMinutes !== null &&
      this.usedSeconds(o.tenantId, o.timeZone) >= o.dailyExternalMinutes * 60
    ) {
      const day = this.day(o.tenantId, o.timeZone);
      if (this.alerted.get(o.tenantId) !== day) {
        this.alerted.set(o.tenantId, day);
        this.onCapReached(o.tenantId, o.dailyExternalMinutes);
      }
      return { status: 403, cause: 'minutes-cap', reason: 'Daily Minutes Used Up' };
    }
    if (o.dailySpendCap !== null) {
      const spent = this.spentToday(o.tenantId, o.timeZone);
      if (spent >= o.dailySpendCap) {
        this.tellSpend(o, spent);
        return { status: 403, cause: 'spend-cap', reason: 'Daily Spend Cap Reached' };
      }
    }
    return null;
  }

  /**
   * Counts the call in (after `check` said yes); `pricePerMinute` (minor units, by the
   * rate deck; null: not priced) makes its answered seconds count against the spend cap.
   */
  take(
    o: ExternalCallOwner,
    international: boolean,
    startMs: number,
    pricePerMinute: number | null = null,
    /** Ends the answered call from the PBX's side (`enforce`, at a cap with clearCallsAtCap). */
    cut: ((cause: string) => void) | null = null,
  ): ExternalCallTicket {
    const extKey = o.extension ? `${o.tenantId}:${o.extension.number}` : null;
    bump(this.tenantCalls, o.tenantId, 1);
    if (extKey) bump(this.extensionCalls, extKey, 1);
    let answeredAt: number | null = null;
    let ended = false;
    const live: LiveCall = { owner: o, answeredAt: null, pricePerMinute, cut };
    let running = this.live.get(o.tenantId);
    if (!running) {
      running = new Set();
      this.live.set(o.tenantId, running);
    }
    running.add(live);
    return {
      answered: (at) => {
        answeredAt ??= at;
        live.answeredAt = answeredAt;
      },
      end: (at, attempt = true) => {
        if (ended) return null;
        ended = true;
        const set = this.live.get(o.tenantId);
        set?.delete(live);
        if (set?.size === 0) this.live.delete(o.tenantId);
        bump(this.tenantCalls, o.tenantId, -1);
        if (extKey) bump(this.extensionCalls, extKey, -1);
        const talked = answeredAt === null ? 0 : Math.max(0, (at - answeredAt) / 1000);
        if (talked > 0) {
          const day = this.day(o.tenantId, o.timeZone);
          const m = this.minutes.get(o.tenantId);
          this.minutes.set(o.tenantId, { day, seconds: (m && m.day === day ? m.seconds : 0) + talked });
        }
        if (attempt && international && extKey && o.extension && (at - startMs) / 1000 < FRAUD_RULE.shortSec)
          this.shortInternational(o.tenantId, o.extension.number, extKey, at);
        if (pricePerMinute === null) return null;
        const cost = (talked / 60) * pricePerMinute;
        if (cost > 0) {
          const day = this.day(o.tenantId, o.timeZone);
          const s = this.spend.get(o.tenantId);
          const spent = (s && s.day === day ? s.minor : 0) + cost;
          this.spend.set(o.tenantId, { day, minor: spent });
          this.tellSpend(o, spent);
        }
        return cost;
      },
    };
  }

  private shortInternational(tenantId: string, number: string, key: string, at: number): void {
    const recent = (this.shortCalls.get(key) ?? []).filter((t) => at - t < FRAUD_RULE.windowSec * 1000);
    recent.push(at);
    this.shortCalls.set(key, recent);
    if (recent.length < FRAUD_RULE.calls) return;
    this.shortCalls.delete(key);
    this.onFraud(
      tenantId,
      number,
      `${recent.length} international calls shorter than ${FRAUD_RULE.shortSec} s within ${FRAUD_RULE.windowSec / 60} min`,
    );
  }

  /**
   * For each tenant that clears calls at its cap: when the minutes answered today plus
   * those of its answered calls so far reach the daily minutes, or what was spent today
   * plus what its answered calls cost so far reaches the spend cap, its answered external
   * calls are cut off (their minutes and cost are then counted like those of every call that ends). Run
   * every few seconds; returns how many calls it cut.
   */
  enforce(nowMs: number): number {
    let cutCount = 0;
    for (const [tenantId, running] of this.live) {
      // Every answered call counts toward the cap; only those with a cutter are cut (not emergency calls).
      const answered = [...running].filter((c) => c.answeredAt !== null);
      if (!answered.some((c) => c.cut !== null)) continue;
      // The newest call's owner carries the tenant's settings as they are now.
      const o = answered[answered.length - 1]!.owner;
      if (!o.clearCallsAtCap) continue;
      let seconds = this.usedSeconds(tenantId, o.timeZone);
      let spent = this.spentToday(tenantId, o.timeZone);
      for (const c of answered) {
        const talked = Math.max(0, (nowMs - c.answeredAt!) / 1000);
        seconds += talked;
        if (c.pricePerMinute !== null) spent += (talked / 60) * c.pricePerMinute;
      }
      let cause: string | null = null;
      if (o.dailyExternalMinutes !== null && seconds >= o.dailyExternalMinutes * 60) cause = 'minutes-cap';
      else if (o.dailySpendCap !== null && spent >= o.dailySpendCap) {
        cause = 'spend-cap';
        this.tellSpend(o, spent);
      }
      if (!cause) continue;
      for (const c of answered) {
        const cut = c.cut;
        if (!cut) continue;
        c.cut = null; // once
        cutCount++;
        cut(cause);
      }
    }
    return cutCount;
  }

  /** External calls of a tenant now (live views, tests). */
  active(tenantId: string): number {
    return this.tenantCalls.get(tenantId) ?? 0;
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
