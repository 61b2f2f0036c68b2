/**
 * Slows password guessing at the portal: failures are counted per address and
 * per (address, account) in a sliding window; past a limit, sign-in from that
 * address answers 429 until the window has passed. There is deliberately no
 * per-account lock: it would let anyone lock the operator out by failing from a
 * few addresses. (SIP brute force has its own guard.)
 */
export interface ThrottleOptions {
  windowMs: number;
  maxPerAddress: number;
  maxPerAccount: number;
}

const DEFAULTS: ThrottleOptions = { windowMs: 10 * 60_000, maxPerAddress: 20, maxPerAccount: 10 };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly opts: ThrottleOptions;

  constructor(
    opts: Partial<ThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  private recent(key: string): number[] {
    const since = this.now() - this.opts.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until a new attempt is allowed, or 0 when it is allowed now. */
  retryAfter(ip: string, account: string): number {
    const checks: [string, number][] = [
      [`ip:${ip}`, this.opts.maxPerAddress],
      [`acct:${ip}|${account}`, this.opts.maxPerAccount],
    ];
    let wait = 0;
    for (const [key, max] of checks) {
      const list = this.recent(key);
      if (list.length >= max)
        wait = Math.max(wait, Math.ceil((list[0]! + this.opts.windowMs - this.now()) / 1000));
    }
    return wait;
  }

  fail(ip: string, account: string): void {
    const t = this.now();
    for (const key of [`ip:${ip}`, `acct:${ip}|${account}`]) this.failures.set(key, [...this.recent(key), t]);
    // Bound memory under a spray of distinct addresses: forget the oldest keys.
    if (this.failures.size > 100_000) {
      for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
    }
  }

  succeed(ip: string, account: string): void {
    this.failures.delete(`acct:${ip}|${account}`);
  }
}
