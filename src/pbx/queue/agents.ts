/**
 * Agents' own choices — which queues a dynamic member is logged into, pause and
 * its reason — and what the engine remembers of their day (last call, missed
 * offers in a row, wrap-up). Everything else about an agent's state is derived
 * when asked, from registrations and calls, so it cannot go stale.
 *
 * `AgentSessions` is the interface the cluster issue moves to Redis; this is
 * the one-node, in-memory implementation (logins and pauses are also written to
 * the database, so a restart keeps them).
 */

export interface AgentSession {
  /** Queues a dynamic member is logged into (static members are always in). */
  queues: Set<string>;
  paused: boolean;
  pauseReason: string;
  /** The phone's do-not-disturb as last seen (it pauses the agent too). */
  dnd: boolean;
  /** When the agent became paused, by hand or by DND (engine clock ms), for pause time. */
  pausedAtMs: number;
  /** No queue call before this (engine clock ms). */
  wrapUpUntilMs: number;
  /** When the last queue call ended (engine clock ms); null: none yet. */
  lastEndedMs: number | null;
  /** Offers missed in a row (auto-pause counts these). */
  missedInRow: number;
  /** Queue calls answered and their talk time, today (strategies read these). */
  calls: number;
  talkSec: number;
  /** The day `calls` and `talkSec` count (YYYY-MM-DD, tenant's zone is not needed: a reset at UTC midnight). */
  day: string;
}

export interface AgentSessions {
  get(tenantId: string, number: string): AgentSession;
  /** Every agent with a session in the tenant. */
  all(tenantId: string): [string, AgentSession][];
}

export class MemoryAgentSessions implements AgentSessions {
  private readonly sessions = new Map<string, AgentSession>();

  constructor(private readonly today: () => string) {}

  get(tenantId: string, number: string): AgentSession {
    const key = `${tenantId}/${number}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = {
        queues: new Set(),
        paused: false,
        pauseReason: '',
        dnd: false,
        pausedAtMs: 0,
        wrapUpUntilMs: 0,
        lastEndedMs: null,
        missedInRow: 0,
        calls: 0,
        talkSec: 0,
        day: this.today(),
      };
      this.sessions.set(key, s);
    }
    const day = this.today();
    if (s.day !== day) {
      s.day = day;
      s.calls = 0;
      s.talkSec = 0;
    }
    return s;
  }

  all(tenantId: string): [string, AgentSession][] {
    const prefix = `${tenantId}/`;
    const out: [string, AgentSession][] = [];
    for (const [key, s] of this.sessions) if (key.startsWith(prefix)) out.push([key.slice(prefix.length), s]);
    return out;
  }
}
