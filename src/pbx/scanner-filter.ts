/**
 * Requests from known SIP scanners (by User-Agent) are dropped without an answer:
 * an attack tool learns nothing, not even that something listens, and costs us no
 * parsing past the headers, no transaction and no hashing. Each drop is counted;
 * one security event per address per window says a scanner came (logging every
 * packet of a scan would flood the log the ban tools read).
 */
import { plainIp, type SecurityLog } from './security-events.js';

/** User-Agent fragments of well-known scanners and attack tools (matched case-insensitively). */
export const DEFAULT_SCANNER_AGENTS: readonly string[] = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipscan',
  'sundayddr',
  'iwar',
  'vaxsipuseragent',
  'sivus',
  'pplsip',
];

export interface ScannerFilterOptions {
  agents: readonly string[];
  /** How often one address's scanning is logged as an event. */
  logEveryMs: number;
  /** Addresses remembered for that (oldest forgotten first). */
  maxTracked: number;
  clock: () => number;
  /** Sources never filtered (the operator's own pen tests, on the brute-force allow-list). */
  allowed: (ip: string) => boolean;
}

export class ScannerFilter {
  private readonly needles: string[];
  private readonly opts: ScannerFilterOptions;
  private readonly lastLogged = new Map<string, number>();
  /** Requests dropped since start. */
  dropped = 0;

  constructor(
    private readonly events: SecurityLog,
    opts: Partial<ScannerFilterOptions> = {},
  ) {
    this.opts = {
      agents: DEFAULT_SCANNER_AGENTS,
      logEveryMs: 10 * 60_000,
      maxTracked: 10_000,
      clock: Date.now,
      allowed: () => false,
      ...opts,
    };
    this.needles = this.opts.agents.map((a) => a.trim().toLowerCase()).filter((a) => a !== '');
  }

  get enabled(): boolean {
    return this.needles.length > 0;
  }

  /** The blocked fragment `userAgent` contains, or null. */
  match(userAgent: string | undefined): string | null {
    if (!userAgent || !this.needles.length) return null;
    const ua = userAgent.toLowerCase();
    return this.needles.find((n) => ua.includes(n)) ?? null;
  }

  /** True when the request must be dropped (counted, and logged once per address per window). */
  drop(userAgent: string | undefined, source: { host: string; transport: string }, method: string): boolean {
    if (!this.match(userAgent)) return false;
    const ip = plainIp(source.host);
    if (this.opts.allowed(ip)) return false;
    this.dropped++;
    const now = this.opts.clock();
    const last = this.lastLogged.get(ip);
    if (last === undefined || now - last >= this.opts.logEveryMs) {
      this.lastLogged.delete(ip);
      this.lastLogged.set(ip, now);
      if (this.lastLogged.size > this.opts.maxTracked) {
        const oldest = this.lastLogged.keys().next().value;
        if (oldest !== undefined) this.lastLogged.delete(oldest);
      }
      this.events.record({
        kind: 'scanner',
        ip,
        user: null,
        realm: null,
        method,
        transport: source.transport,
        reason: userAgent ?? '',
        until: null,
      });
    }
    return true;
  }
}
