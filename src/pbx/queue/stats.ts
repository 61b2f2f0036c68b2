/**
 * Queue and agent statistics kept live, as the calls happen (issue 7: not
 * recomputed hours later), in 15-minute intervals. Each interval's figures are
 * plain counters and sums, so intervals add up to a day or a month exactly; the
 * engine flushes changed intervals to the database in batches.
 */

/** Length of a statistics interval. */
export const INTERVAL_MS = 15 * 60_000;

export interface QueueFigures {
  /** Callers who arrived at the queue (joined, or diverted before joining). */
  offered: number;
  answered: number;
  /** Hung up while waiting. */
  abandoned: number;
  /** Sum of the waits of abandoned callers (average abandon time = this / abandoned). */
  abandonWaitSec: number;
  /** Sum of the waits of answered callers (ASA = this / answered). */
  answerWaitSec: number;
  /** Sum of answered calls' talk time, counted when they end (AHT = this / handled). */
  talkSec: number;
  /** Answered calls that have ended (AHT's denominator). */
  handled: number;
  longestWaitSec: number;
  /** Answered within each service-level threshold, by threshold in seconds. */
  answeredWithin: Record<string, number>;
  /** Left for the timeout, full, no-agents and predictive destinations, or by a key. */
  timedOut: number;
  full: number;
  noAgents: number;
  diverted: number;
  exitedByKey: number;
  /** Callers who asked to be called back; of them, connected to an agent, and given up after the last try. */
  callbacks: number;
  callbacksConnected: number;
  callbacksFailed: number;
  /**
   * Callers whose node died while they waited (src/pbx/queue/orphans.ts): called back from a
   * surviving node, or lost — the lost ones also count as abandoned (or failed callbacks).
   */
  requeuedNodeFailure: number;
  lostNodeFailure: number;
}

export interface AgentFigures {
  /** Queue calls that rang the agent. */
  offered: number;
  answered: number;
  /** Rang and not answered. */
  missed: number;
  talkSec: number;
  wrapUpSec: number;
  pauseSec: number;
}

export interface IntervalFigures {
  tenantId: string;
  queueId: string;
  /** Start of the 15-minute interval. */
  intervalStart: Date;
  /** '' for the queue's own figures, else the agent's extension number. */
  agent: string;
  figures: QueueFigures | AgentFigures;
}

export function emptyQueueFigures(): QueueFigures {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    abandonWaitSec: 0,
    answerWaitSec: 0,
    talkSec: 0,
    handled: 0,
    longestWaitSec: 0,
    answeredWithin: {},
    timedOut: 0,
    full: 0,
    noAgents: 0,
    diverted: 0,
    exitedByKey: 0,
    callbacks: 0,
    callbacksConnected: 0,
    callbacksFailed: 0,
    requeuedNodeFailure: 0,
    lostNodeFailure: 0,
  };
}

export function emptyAgentFigures(): AgentFigures {
  return { offered: 0, answered: 0, missed: 0, talkSec: 0, wrapUpSec: 0, pauseSec: 0 };
}

/** Adds `b` into `a` (summing intervals into a report). */
export function addFigures<T extends QueueFigures | AgentFigures>(a: T, b: T): T {
  const out = { ...a } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) {
    if (k === 'longestWaitSec') out[k] = Math.max(out[k] as number, v as number);
    else if (k === 'answeredWithin') {
      const merged = { ...(out[k] as Record<string, number>) };
      for (const [t, n] of Object.entries(v as Record<string, number>)) merged[t] = (merged[t] ?? 0) + n;
      out[k] = merged;
    } else out[k] = ((out[k] as number | undefined) ?? 0) + (v as number);
  }
  return out as T;
}

/** Live accumulators; `drain()` hands the intervals changed since the last drain to the writer. */
export class QueueStats {
  private readonly buckets = new Map<string, IntervalFigures>();
  private readonly dirty = new Set<string>();
  /** Figures earlier runs stored (read at start): counted in "today", never written again. */
  private baseline: IntervalFigures[] = [];

  constructor(private readonly now: () => number) {}

  private bucket(tenantId: string, queueId: string, agent: string): IntervalFigures {
    const start = Math.floor(this.now() / INTERVAL_MS) * INTERVAL_MS;
    const key = `${tenantId}/${queueId}/${agent}/${start}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        tenantId,
        queueId,
        intervalStart: new Date(start),
        agent,
        figures: agent === '' ? emptyQueueFigures() : emptyAgentFigures(),
      };
      this.buckets.set(key, b);
    }
    this.dirty.add(key);
    return b;
  }

  queue(tenantId: string, queueId: string, change: (f: QueueFigures) => void): void {
    change(this.bucket(tenantId, queueId, '').figures as QueueFigures);
  }

  agent(tenantId: string, queueId: string, number: string, change: (f: AgentFigures) => void): void {
    change(this.bucket(tenantId, queueId, number).figures as AgentFigures);
  }

  /** An answered caller's wait, counted against every service-level threshold. */
  answered(tenantId: string, queueId: string, waitSec: number, thresholds: readonly number[]): void {
    this.queue(tenantId, queueId, (f) => {
      f.answered++;
      f.answerWaitSec += waitSec;
      f.longestWaitSec = Math.max(f.longestWaitSec, waitSec);
      for (const t of thresholds) if (waitSec <= t) f.answeredWithin[t] = (f.answeredWithin[t] ?? 0) + 1;
    });
  }

  /** Figures stored by earlier runs of this node (a restart mid-day keeps the wallboard's day whole). */
  addBaseline(rows: IntervalFigures[]): void {
    this.baseline.push(...rows);
  }

  /** The figures of the current day so far for a queue (live buckets and what earlier runs stored). */
  since(
    tenantId: string,
    queueId: string,
    fromMs: number,
  ): { queue: QueueFigures; agents: Map<string, AgentFigures> } {
    let queue = emptyQueueFigures();
    const agents = new Map<string, AgentFigures>();
    for (const b of [...this.baseline, ...this.buckets.values()]) {
      if (
        b.tenantId !== tenantId ||
        b.queueId !== queueId ||
        b.intervalStart.getTime() + INTERVAL_MS <= fromMs
      )
        continue;
      if (b.agent === '') queue = addFigures(queue, b.figures as QueueFigures);
      else
        agents.set(
          b.agent,
          addFigures(agents.get(b.agent) ?? emptyAgentFigures(), b.figures as AgentFigures),
        );
    }
    return { queue, agents };
  }

  /** A flush of `rows` failed: they are written again with the next one. */
  unsaved(rows: readonly IntervalFigures[]): void {
    for (const r of rows)
      this.dirty.add(`${r.tenantId}/${r.queueId}/${r.agent}/${r.intervalStart.getTime()}`);
  }

  /** Intervals changed since the last call (copies), and old ones forgotten from memory. */
  drain(): IntervalFigures[] {
    const out: IntervalFigures[] = [];
    for (const key of this.dirty) {
      const b = this.buckets.get(key);
      if (b) out.push({ ...b, figures: structuredClone(b.figures) });
    }
    this.dirty.clear();
    // Keep two days in memory (live "today" figures); older intervals live in the database only.
    const horizon = this.now() - 2 * 86_400_000;
    for (const [key, b] of this.buckets) if (b.intervalStart.getTime() < horizon) this.buckets.delete(key);
    this.baseline = this.baseline.filter((b) => b.intervalStart.getTime() >= horizon);
    return out;
  }
}
