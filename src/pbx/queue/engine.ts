/**
 * The queue engine (ACD): callers wait in queues, agents are chosen by each
 * queue's strategy, and the engine matches them. A waiting caller is served by
 * its own loop (`serveCaller`); matching is done here, in one synchronous pass
 * over a tenant's queues (`dispatch`), run whenever something changes — a caller
 * arrives, an offer ends, an agent unpauses or finishes wrap-up — and once a
 * second while anyone waits (registrations change, skill needs relax).
 *
 * Agent state is never stored as "available": it is derived on each pass from
 * the agent's registrations, calls, pause and wrap-up (`agentState`), so an agent
 * whose phone went away is never offered a call.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, Timer } from '../../sip/transaction/clock.js';
import type { ExtensionEntry, RoutingEntry, TenantEntry } from '../directory.js';
import { type Binding, isBrowserBinding } from '../location.js';
import type { RemoteWaiter } from '../remote-activity.js';
import type { AgentSession, AgentSessions } from './agents.js';
import { type CallbackDialer, serveCallback } from './callback.js';
import { type LineEntry, MemoryWaitingLines, type WaitingLines } from './lines.js';
import { type AgentFigures, emptyAgentFigures, type QueueFigures, QueueStats } from './stats.js';
import { type AgentCandidate, chooseAgents, skillMatch, skillsNeeded } from './strategy.js';
import type { AgentState, QueueConfig, QueueMember } from './types.js';

export interface QueueEnv {
  clock: Clock;
  /** Wall-clock time: statistics intervals, times shown to people. */
  now(): Date;
  random(): number;
  tenant(id: string): TenantEntry | undefined;
  bindingsOf(tenantId: string, number: string): Binding[];
  /** Answered calls the extension is on now (any call, not only queue calls). */
  callsOf(tenantId: string, number: string): number;
  /** An agent logged in or out, paused or unpaused: written to the database (batched by the caller). */
  persistAgent(tenantId: string, number: string, session: AgentSession): void;
  emit(e: QueueEvent): void;
  /** The PBX can place calls to browsers (WebRTC gateway): browser-only agents and callers take callbacks. */
  callsBrowsers?(): boolean;
  /** In a cluster: another node's queue is ringing this agent for one of its callers. */
  remoteOffered?(tenantId: string, number: string): boolean;
  /** In a cluster: the queue's callers waiting on other nodes (each node serves its own). */
  remoteWaiting?(tenantId: string, queueId: string): RemoteWaiter[];
  /** In a cluster: a queue's line on this node changed (published for the other nodes' views). */
  lineChanged?(tenantId: string, queueId: string, line: PublishedWaiter[]): void;
}

/** A caller of this node's line as the other nodes are told of it. */
export interface PublishedWaiter {
  id: string;
  caller: string;
  callerName: string;
  priority: number;
  joinedAt: string;
  offeredTo: string[];
  callback: boolean;
}

/** What a waiting caller looks like in the live view. */
export interface WaitingCaller {
  id: string;
  caller: string;
  callerName: string;
  priority: number;
  joinedAt: string;
  waitSec: number;
  /** An agent is being rung for this caller now. */
  ringing: boolean;
  /** A callback request: the caller hung up and will be called. */
  callback: boolean;
}

export interface AgentView {
  number: string;
  name: string;
  state: AgentState;
  static: boolean;
  pauseReason: string | null;
  callsToday: number;
  talkSecToday: number;
}

export interface QueueLive {
  id: string;
  name: string;
  number: string | null;
  waiting: WaitingCaller[];
  longestWaitSec: number;
  agents: AgentView[];
  /** Today's figures (UTC day) so far. */
  today: QueueFigures & {
    /** Per threshold: answered within it, as a percentage of calls that ended waiting (answered + abandoned + timed out). */
    serviceLevel: { thresholdSec: number; percent: number | null }[];
    asaSec: number | null;
    ahtSec: number | null;
    agents: Record<string, AgentFigures>;
  };
}

/** An agent across their queues: what the agent panel and supervisors see and change. */
export interface AgentStatus {
  number: string;
  paused: boolean;
  pauseReason: string;
  queues: {
    id: string;
    name: string;
    number: string | null;
    static: boolean;
    loggedIn: boolean;
    state: AgentState;
  }[];
}

export type QueueEvent =
  | { type: 'queue.updated'; tenantId: string; queue: QueueLive }
  /** A caller took a place in a queue (or a callback request did). */
  | { type: 'queue.join'; tenantId: string; queueId: string; waiter: QueueWaiterRef }
  /** A caller left a queue other than by hanging up: answered, sent on (timeout, no agents, a key), a callback. */
  | {
      type: 'queue.leave';
      tenantId: string;
      queueId: string;
      waiter: QueueWaiterRef;
      reason: LeaveReason;
      waitedSec: number;
    }
  /** A caller hung up while waiting. */
  | { type: 'queue.abandon'; tenantId: string; queueId: string; waiter: QueueWaiterRef; waitedSec: number }
  /** An agent's state in a queue changed (as the wallboard shows it: derived, never stored). */
  | {
      type: 'agent.state';
      tenantId: string;
      queueId: string;
      agent: string;
      state: AgentState;
      previous: AgentState | null;
      pauseReason: string | null;
    }
  /** Prompts a waiting caller was played (position, expected wait, periodic): for logs and tests. */
  | { type: 'queue.announced'; tenantId: string; queueId: string; callerId: string; prompts: string[] };

/** Why a caller left a queue. */
export type LeaveReason =
  | 'answered'
  | 'abandoned'
  | 'timeout'
  | 'noAgents'
  | 'exitKey'
  | 'callback'
  | 'callbackFailed'
  /** The node holding the caller's call died (src/cluster/attach.ts reports it from a survivor). */
  | 'nodeFailure'
  | 'removed';

/** Who a queue event is about: the place in line, and the caller's number and name. */
export interface QueueWaiterRef {
  id: string;
  caller: string;
  callerName: string;
}

/** One caller in a queue: its line entry (lines.ts) and what this node keeps to serve it. */
export interface Waiter extends LineEntry {
  /** Agents who missed this caller, not offered it again before the time (engine ms). */
  avoid: Map<string, number>;
  inbox: WaiterEvent[];
  wake: (() => void) | null;
  left: boolean;
  /**
   * The caller is to leave (waited too long, the queue emptied, a key): it takes
   * effect once no agent is ringing for it, and no new offer is made meanwhile.
   */
  exit: Extract<WaiterEvent, { type: 'timeout' | 'empty' | 'key' }> | null;
  /**
   * Sticky agent: the caller's responsible manager, offered this caller alone until
   * `untilMs` (engine clock) while logged in and available; null once that is over.
   */
  owner: { number: string; untilMs: number } | null;
  /** Settles when the caller leaves the queue. */
  gone: Promise<void>;
  markGone: () => void;
}

export type WaiterEvent =
  /** `ringSec`: how long this offer rings when not the queue's agentRingSec (a sticky agent's window). */
  | { type: 'offer'; agents: string[]; ringSec?: number }
  | { type: 'timeout' }
  | { type: 'empty' }
  | { type: 'key'; key: string }
  | { type: 'ended' };

/**
 * How long an agent who did not take a caller waits before being offered that
 * caller again: at least a second, so a phone that refuses at once (486) is not
 * rung in a tight loop.
 */
function retryMs(cfg: QueueConfig): number {
  return Math.max(cfg.retrySec, 1) * 1000;
}

/** Average handle time assumed before a queue has handled any call (seconds). */
const DEFAULT_AHT_SEC = 180;

function refOf(w: Pick<Waiter, 'id' | 'caller' | 'callerName'>): QueueWaiterRef {
  return { id: w.id, caller: w.caller, callerName: w.callerName };
}

export class QueueEngine {
  readonly stats: QueueStats;
  /** Waiting callers per queue, in the order they are served (in memory; Redis with clustering). */
  private readonly lines: WaitingLines<Waiter> = new MemoryWaitingLines<Waiter>();
  /** Agents being rung now (`tenant/number` → waiter id). */
  private readonly ringing = new Map<string, string>();
  /** Round-robin: the member index each queue rang last. */
  private readonly memory = new Map<string, number>();
  /** Average handle time per queue (moving average, seconds) for expected-wait figures. */
  private readonly aht = new Map<string, number>();
  /** Wrap-ups running per agent: which queue's call it follows, and since when (a new one ends it early). */
  private readonly wrapUpTimers = new Map<string, { timer: Timer; queueId: string; startedMs: number }>();
  private tickTimer: Timer | null = null;
  private readonly dispatchPending = new Set<string>();
  private readonly updatePending = new Set<string>();
  private closed = false;
  /** Places callbacks' calls (set by the SIP side; null: the callback key is refused). */
  dialer: CallbackDialer | null = null;

  constructor(
    private readonly env: QueueEnv,
    readonly sessions: AgentSessions,
  ) {
    this.stats = new QueueStats(() => env.now().getTime());
  }

  // ——— callers ———

  /** Puts a caller at its place (priority first, then arrival) and starts matching. */
  join(
    w: Pick<Waiter, 'tenantId' | 'queueId' | 'caller' | 'callerName' | 'priority'> & {
      /** The caller's responsible manager and how long they are offered it alone (sticky agent). */
      owner?: { number: string; sec: number } | null;
    },
  ): Waiter {
    const { owner, ...entry } = w;
    let markGone = () => {};
    const gone = new Promise<void>((resolve) => {
      markGone = resolve;
    });
    const waiter: Waiter = {
      gone,
      markGone,
      ...entry,
      owner:
        owner && owner.sec > 0
          ? { number: owner.number, untilMs: this.env.clock.now() + owner.sec * 1000 }
          : null,
      id: randomUUID(),
      joinedMs: this.env.clock.now(),
      joinedAt: this.env.now(),
      offered: false,
      exit: null,
      callback: null,
      notBefore: 0,
      avoid: new Map(),
      inbox: [],
      wake: null,
      left: false,
    };
    this.lines.insert(waiter);
    this.armTick();
    this.dispatchSoon(w.tenantId);
    this.changed(w.tenantId, w.queueId);
    this.env.emit({ type: 'queue.join', tenantId: w.tenantId, queueId: w.queueId, waiter: refOf(waiter) });
    return waiter;
  }

  /** The caller is out of line (`reason`: why, for events; a caller still on the line is told). */
  leave(w: Waiter, reason: LeaveReason = 'removed'): void {
    if (w.left) return;
    w.left = true;
    w.markGone();
    const waitedSec = Math.round(this.waitedSec(w));
    this.env.emit(
      reason === 'abandoned'
        ? { type: 'queue.abandon', tenantId: w.tenantId, queueId: w.queueId, waiter: refOf(w), waitedSec }
        : {
            type: 'queue.leave',
            tenantId: w.tenantId,
            queueId: w.queueId,
            waiter: refOf(w),
            reason,
            waitedSec,
          },
    );
    // Agents reserved for this caller (an offer it will never take up) are free again.
    for (const [agent, id] of this.ringing) if (id === w.id) this.ringing.delete(agent);
    this.lines.remove(w);
    this.post(w, { type: 'ended' });
    this.dispatchSoon(w.tenantId);
    this.changed(w.tenantId, w.queueId);
  }

  post(w: Waiter, e: WaiterEvent): void {
    // A timeout outranks a key: a refused callback key must not cancel the maximum wait.
    if (e.type === 'timeout') w.exit = e;
    else if (e.type === 'empty' || e.type === 'key') w.exit ??= e;
    w.inbox.push(e);
    const wake = w.wake;
    w.wake = null;
    wake?.();
  }

  /** The caller's next event (offers, timeouts, keys, its own hang-up). */
  async next(w: Waiter): Promise<WaiterEvent> {
    for (;;) {
      const e = w.inbox.shift();
      if (e) return e;
      await new Promise<void>((resolve) => {
        w.wake = resolve;
      });
    }
  }

  /**
   * The caller asked to be called back: a callback request takes their place in
   * line (same arrival time and priority) and the call itself may end.
   */
  convertToCallback(w: Waiter): Waiter {
    let markGone = () => {};
    const gone = new Promise<void>((resolve) => {
      markGone = resolve;
    });
    const cb: Waiter = {
      ...w,
      inbox: [],
      wake: null,
      exit: null,
      offered: false,
      avoid: new Map(),
      callback: { number: w.caller, name: w.callerName, attempts: 0 },
      gone,
      markGone,
    };
    this.lines.replace(w, cb);
    // The old waiter is over without leaving the line: its loop ends, its place is the callback's.
    w.left = true;
    w.markGone();
    this.changed(w.tenantId, w.queueId);
    return cb;
  }

  /** Turns a waiting caller into a callback request at the same place and starts serving it. */
  requestCallback(w: Waiter, callEnded: Promise<void>): Waiter {
    const cb = this.convertToCallback(w);
    // Not before the caller has hung up (they hear the confirmation first): dialling a phone still
    // on its queue call would find it busy and use up a try.
    cb.notBefore = Number.POSITIVE_INFINITY;
    void callEnded.then(() => {
      cb.notBefore = 0;
      this.dispatchSoon(cb.tenantId);
    });
    const dialer = this.dialer;
    if (dialer)
      void serveCallback(this, dialer, (id) => this.env.tenant(id), cb).catch(() => {
        // A failure of the dialer costs this request, never the engine.
        this.leave(cb);
      });
    this.dispatchSoon(w.tenantId);
    return cb;
  }

  /**
   * A caller whose call died with another node (src/cluster/attach.ts) is called back from
   * here: a callback request at the place their arrival time gives, served like one asked for
   * by key. False when this node cannot place callbacks.
   */
  adoptCallback(r: {
    tenantId: string;
    queueId: string;
    number: string;
    name: string;
    priority: number;
    joinedAt: Date;
  }): Waiter | null {
    const dialer = this.dialer;
    if (!dialer) return null;
    const w = this.join({
      tenantId: r.tenantId,
      queueId: r.queueId,
      caller: r.number,
      callerName: r.name,
      priority: r.priority,
    });
    // The wait counts from the caller's first arrival, not from the takeover.
    w.joinedAt = r.joinedAt;
    w.joinedMs = this.env.clock.now() - Math.max(0, this.env.now().getTime() - r.joinedAt.getTime());
    const cb = this.convertToCallback(w);
    void serveCallback(this, dialer, (id) => this.env.tenant(id), cb).catch(() => this.leave(cb));
    this.dispatchSoon(r.tenantId);
    return cb;
  }

  /**
   * An agent logged in or out, paused or unpaused through another node: the same state here
   * (already saved by that node), so this node's queues offer calls by it too.
   */
  agentChangedElsewhere(
    tenantId: string,
    number: string,
    c: { queues: string[]; paused: boolean; pauseReason: string },
  ): void {
    const s = this.sessions.get(tenantId, number);
    if (c.paused && !s.paused && !s.dnd) s.pausedAtMs = this.env.clock.now();
    s.queues = new Set(c.queues);
    s.paused = c.paused;
    s.pauseReason = c.pauseReason;
    if (!c.paused) s.missedInRow = 0;
    this.agentChanged(tenantId, number);
  }

  /** A callback to `number` is waiting in some queue of the tenant (one per number). */
  hasCallback(tenantId: string, number: string): boolean {
    return this.lines.lines(tenantId).some((l) => l.entries.some((w) => w.callback?.number === number));
  }

  callbacksWaiting(tenantId: string, queueId: string): number {
    return this.lines.line(tenantId, queueId).filter((w) => w.callback).length;
  }

  /** A callback's caller did not answer: it waits `delaySec` (keeping its place) before the next try. */
  callbackRetry(w: Waiter, agents: string[], delaySec: number): void {
    for (const a of agents) this.ringing.delete(`${w.tenantId}/${a}`);
    w.offered = false;
    w.notBefore = this.env.clock.now() + delaySec * 1000;
    this.dispatchSoon(w.tenantId);
    this.changed(w.tenantId, w.queueId);
  }

  /** 1-based place of a waiting caller (in a cluster, callers ahead on other nodes count). */
  position(w: Waiter): number {
    const local = this.lines.line(w.tenantId, w.queueId).indexOf(w) + 1;
    const remote = this.env.remoteWaiting?.(w.tenantId, w.queueId) ?? [];
    const joined = w.joinedAt.toISOString();
    return (
      local +
      remote.filter((r) => r.priority > w.priority || (r.priority === w.priority && r.joinedAt < joined))
        .length
    );
  }

  /** Prompts a caller is about to hear (announcements), for logs and tests. */
  announced(w: Waiter, prompts: string[]): void {
    this.env.emit({
      type: 'queue.announced',
      tenantId: w.tenantId,
      queueId: w.queueId,
      callerId: w.id,
      prompts,
    });
  }

  /** Callers in the queue's line, every node's (a full queue is full for all of them). */
  waitingCount(tenantId: string, queueId: string): number {
    return (
      this.lines.line(tenantId, queueId).length + (this.env.remoteWaiting?.(tenantId, queueId).length ?? 0)
    );
  }

  waitedSec(w: Waiter): number {
    return (this.env.clock.now() - w.joinedMs) / 1000;
  }

  /** An offer to `agents` ended without an answer: they count a miss, and wait `retrySec` for this caller. */
  offerMissed(w: Waiter, cfg: QueueConfig, agents: string[]): void {
    const now = this.env.clock.now();
    for (const a of agents) {
      this.ringing.delete(`${w.tenantId}/${a}`);
      w.avoid.set(a, now + retryMs(cfg));
      this.stats.agent(w.tenantId, w.queueId, a, (f) => f.missed++);
      const s = this.sessions.get(w.tenantId, a);
      s.missedInRow++;
      if (cfg.autoPauseAfter > 0 && s.missedInRow >= cfg.autoPauseAfter && !s.paused)
        this.pause(w.tenantId, a, `missed ${s.missedInRow} calls`);
    }
    w.offered = false;
    // The skipped agents become eligible again for this caller after the retry time.
    this.env.clock.after(retryMs(cfg), () => this.dispatchSoon(w.tenantId));
    this.dispatchSoon(w.tenantId);
    this.changed(w.tenantId, w.queueId);
  }

  /** Agents reserved for an offer who could not be rung (their phone went away meanwhile): free, no miss. */
  release(w: Waiter, agents: string[]): void {
    for (const a of agents) this.ringing.delete(`${w.tenantId}/${a}`);
    // Wall-boards (and, in a cluster, the other nodes) stop showing them rung for it.
    if (agents.length) this.changed(w.tenantId, w.queueId);
  }

  /** The caller hung up (or was taken elsewhere) while `agents` rang: they are free again. */
  offerWithdrawn(w: Waiter, agents: string[]): void {
    for (const a of agents) this.ringing.delete(`${w.tenantId}/${a}`);
    w.offered = false;
    this.dispatchSoon(w.tenantId);
    this.changed(w.tenantId, w.queueId);
  }

  /** `agent` answered `w`: counted, and the agent's talk time and wrap-up follow the call's end. */
  offerAnswered(w: Waiter, cfg: QueueConfig, agents: string[], agent: string): { talkEnded: () => void } {
    for (const a of agents) {
      this.ringing.delete(`${w.tenantId}/${a}`);
      if (a !== agent) this.stats.agent(w.tenantId, w.queueId, a, (f) => f.missed++);
    }
    const waitSec = this.waitedSec(w);
    this.stats.answered(w.tenantId, w.queueId, waitSec, cfg.serviceLevelSec);
    this.stats.agent(w.tenantId, w.queueId, agent, (f) => f.answered++);
    const s = this.sessions.get(w.tenantId, agent);
    s.missedInRow = 0;
    s.calls++;
    const answeredMs = this.env.clock.now();
    this.leave(w, 'answered');
    let ended = false;
    return {
      talkEnded: () => {
        if (ended) return;
        ended = true;
        this.talkEnded(w.tenantId, w.queueId, cfg, agent, (this.env.clock.now() - answeredMs) / 1000);
      },
    };
  }

  private talkEnded(
    tenantId: string,
    queueId: string,
    cfg: QueueConfig,
    agent: string,
    talkSec: number,
  ): void {
    const now = this.env.clock.now();
    this.stats.queue(tenantId, queueId, (f) => {
      f.talkSec += talkSec;
      f.handled++;
    });
    this.stats.agent(tenantId, queueId, agent, (f) => {
      f.talkSec += talkSec;
    });
    const key = `${tenantId}/${queueId}`;
    const prev = this.aht.get(key);
    this.aht.set(key, prev === undefined ? talkSec : 0.75 * prev + 0.25 * talkSec);
    const s = this.sessions.get(tenantId, agent);
    s.talkSec += talkSec;
    s.lastEndedMs = now;
    if (cfg.wrapUpSec > 0) {
      s.wrapUpUntilMs = now + cfg.wrapUpSec * 1000;
      const agentKey = `${tenantId}/${agent}`;
      const earlier = this.wrapUpTimers.get(agentKey);
      if (earlier) {
        // An agent on several lines ends another call during a wrap-up: the part done counts.
        earlier.timer.cancel();
        this.stats.agent(tenantId, earlier.queueId, agent, (f) => {
          f.wrapUpSec += Math.max(0, (now - earlier.startedMs) / 1000);
        });
      }
      this.wrapUpTimers.set(agentKey, {
        queueId,
        startedMs: now,
        timer: this.env.clock.after(cfg.wrapUpSec * 1000, () => {
          this.wrapUpTimers.delete(agentKey);
          this.stats.agent(tenantId, queueId, agent, (f) => {
            f.wrapUpSec += cfg.wrapUpSec;
          });
          this.agentChanged(tenantId, agent);
        }),
      });
    }
    this.agentChanged(tenantId, agent);
  }

  // ——— agents ———

  /** What an agent is now, for one queue: derived, never stored. */
  agentState(tenant: TenantEntry, queueId: string, m: QueueMember): AgentState {
    const s = this.sessions.get(tenant.id, m.number);
    const ext = tenant.extensions.get(m.number);
    if (!ext) return 'unregistered';
    if (!m.static && !s.queues.has(queueId)) return 'loggedOut';
    if (this.env.bindingsOf(tenant.id, m.number).length === 0) return 'unregistered';
    // Do-not-disturb on the phone counts as a pause: the agent asked for no calls.
    if (s.paused || ext.dnd) return 'paused';
    if (this.ringing.has(`${tenant.id}/${m.number}`) || this.env.remoteOffered?.(tenant.id, m.number))
      return 'ringing';
    if (this.env.callsOf(tenant.id, m.number) >= Math.max(1, m.maxCalls)) return 'busy';
    if (s.wrapUpUntilMs > this.env.clock.now()) return 'wrapUp';
    return 'available';
  }

  /** The PBX can call `number` itself (a callback): a desk phone, or a browser when WebRTC legs can be placed. */
  canCallBack(tenantId: string, number: string): boolean {
    const browsers = this.env.callsBrowsers?.() === true;
    return this.env.bindingsOf(tenantId, number).some((b) => browsers || !isBrowserBinding(b));
  }

  /** Every member's state is one of `states` (or there are no members): the queue counts as empty. */
  isEmpty(tenant: TenantEntry, queueId: string, cfg: QueueConfig, states: readonly AgentState[]): boolean {
    if (states.length === 0) return false;
    return cfg.members.every((m) => states.includes(this.agentState(tenant, queueId, m)));
  }

  /**
   * Expected wait in seconds for a caller at `position`: the callers ahead who
   * cannot be served at once, shared among the staffed agents, times the queue's
   * average handle time. Infinity when nobody is staffed.
   */
  expectedWaitSec(tenant: TenantEntry, queueId: string, cfg: QueueConfig, position: number): number {
    const { staffed, available } = this.staffing(tenant, queueId, cfg);
    if (staffed === 0) return Number.POSITIVE_INFINITY;
    const ahead = Math.max(0, position - available);
    return Math.ceil(ahead / staffed) * (this.aht.get(`${tenant.id}/${queueId}`) ?? DEFAULT_AHT_SEC);
  }

  /** Agents at work now (available, ringing, on a call or in wrap-up) and those of them free this moment. */
  staffing(tenant: TenantEntry, queueId: string, cfg: QueueConfig): { staffed: number; available: number } {
    let staffed = 0;
    let available = 0;
    for (const m of cfg.members) {
      const st = this.agentState(tenant, queueId, m);
      if (st === 'available') available++;
      if (st === 'available' || st === 'ringing' || st === 'busy' || st === 'wrapUp') staffed++;
    }
    return { staffed, available };
  }

  /** Logged-in agents (staffed or not: paused ones count), for the callers-per-agent ratio. */
  loggedIn(tenant: TenantEntry, queueId: string, cfg: QueueConfig): number {
    return cfg.members.filter((m) => {
      const st = this.agentState(tenant, queueId, m);
      return st !== 'loggedOut' && st !== 'unregistered';
    }).length;
  }

  /**
   * Logs a dynamic member into `queueIds` (null: every queue where it is a dynamic
   * member). Returns the queues it is now logged into.
   */
  login(tenantId: string, number: string, queueIds: string[] | null): string[] {
    const tenant = this.env.tenant(tenantId);
    if (!tenant) return [];
    const s = this.sessions.get(tenantId, number);
    for (const q of this.queuesOf(tenant, number))
      if (!q.member.static && (queueIds === null || queueIds.includes(q.entry.id))) s.queues.add(q.entry.id);
    this.env.persistAgent(tenantId, number, s);
    this.agentChanged(tenantId, number);
    return [...s.queues];
  }

  logout(tenantId: string, number: string, queueIds: string[] | null): string[] {
    const s = this.sessions.get(tenantId, number);
    for (const q of [...s.queues]) if (queueIds === null || queueIds.includes(q)) s.queues.delete(q);
    this.env.persistAgent(tenantId, number, s);
    this.agentChanged(tenantId, number);
    return [...s.queues];
  }

  pause(tenantId: string, number: string, reason: string): void {
    const s = this.sessions.get(tenantId, number);
    if (!s.paused && !s.dnd) s.pausedAtMs = this.env.clock.now();
    s.paused = true;
    s.pauseReason = reason;
    this.env.persistAgent(tenantId, number, s);
    this.agentChanged(tenantId, number);
  }

  unpause(tenantId: string, number: string): void {
    const s = this.sessions.get(tenantId, number);
    if (!s.paused) return;
    s.paused = false;
    s.pauseReason = '';
    s.missedInRow = 0;
    // Still on DND, the agent is still paused: the time goes on counting.
    if (!s.dnd) this.countPause(tenantId, number, s);
    this.env.persistAgent(tenantId, number, s);
    this.agentChanged(tenantId, number);
  }

  /** A pause (by hand or by DND) is over: its time goes on the agent's figures in each of its queues. */
  private countPause(tenantId: string, number: string, s: { pausedAtMs: number }): void {
    const sec = (this.env.clock.now() - s.pausedAtMs) / 1000;
    const tenant = this.env.tenant(tenantId);
    if (tenant)
      for (const q of this.queuesOf(tenant, number))
        this.stats.agent(tenantId, q.entry.id, number, (f) => {
          f.pauseSec += sec;
        });
  }

  /**
   * The tenant's configuration was reloaded: agents whose phone's DND changed
   * start or stop being paused by it, and that time counts as pause time.
   */
  dndChanged(tenant: TenantEntry): void {
    const members = new Set<string>();
    for (const e of tenant.routing.values())
      if (e.kind === 'queue') for (const m of (e.config as QueueConfig).members) members.add(m.number);
    for (const number of members) {
      const dnd = tenant.extensions.get(number)?.dnd ?? false;
      const s = this.sessions.get(tenant.id, number);
      if (dnd === s.dnd) continue;
      s.dnd = dnd;
      if (dnd && !s.paused) s.pausedAtMs = this.env.clock.now();
      if (!dnd && !s.paused) this.countPause(tenant.id, number, s);
    }
  }

  /** Logins and pauses from the database, at start. */
  restore(tenantId: string, number: string, queues: string[], paused: boolean, reason: string): void {
    const s = this.sessions.get(tenantId, number);
    s.queues = new Set(queues);
    s.paused = paused;
    s.pauseReason = reason;
    s.pausedAtMs = this.env.clock.now();
  }

  /** Every queue of the tenant, live (wallboards). */
  all(tenantId: string): QueueLive[] {
    const tenant = this.env.tenant(tenantId);
    if (!tenant) return [];
    const out: QueueLive[] = [];
    for (const e of tenant.routing.values()) {
      const live = e.kind === 'queue' ? this.live(tenant, e.id) : null;
      if (live) out.push(live);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  liveOf(tenantId: string, queueId: string): QueueLive | null {
    const tenant = this.env.tenant(tenantId);
    return tenant ? this.live(tenant, queueId) : null;
  }

  agent(tenantId: string, number: string): AgentStatus | null {
    const tenant = this.env.tenant(tenantId);
    return tenant ? this.agentStatus(tenant, number) : null;
  }

  /** An agent (or a supervisor for them) logs in or out, pauses or unpauses. */
  change(
    tenantId: string,
    number: string,
    c: { loggedIn?: boolean; queues: string[] | null; paused?: boolean; pauseReason: string },
  ): AgentStatus | null {
    if (c.loggedIn === true) this.login(tenantId, number, c.queues);
    if (c.loggedIn === false) this.logout(tenantId, number, c.queues);
    if (c.paused === true) this.pause(tenantId, number, c.pauseReason);
    if (c.paused === false) this.unpause(tenantId, number);
    return this.agent(tenantId, number);
  }

  agentStatus(tenant: TenantEntry, number: string): AgentStatus | null {
    const memberships = this.queuesOf(tenant, number);
    if (!tenant.extensions.has(number)) return null;
    const s = this.sessions.get(tenant.id, number);
    return {
      number,
      paused: s.paused,
      pauseReason: s.pauseReason,
      queues: memberships.map(({ entry, member }) => ({
        id: entry.id,
        name: entry.name,
        number: entry.number,
        static: member.static,
        loggedIn: member.static || s.queues.has(entry.id),
        state: this.agentState(tenant, entry.id, member),
      })),
    };
  }

  /** The queues `number` is a member of. */
  queuesOf(tenant: TenantEntry, number: string): { entry: RoutingEntry; member: QueueMember }[] {
    const out: { entry: RoutingEntry; member: QueueMember }[] = [];
    for (const entry of tenant.routing.values()) {
      if (entry.kind !== 'queue') continue;
      const member = (entry.config as QueueConfig).members.find((m) => m.number === number);
      if (member) out.push({ entry, member });
    }
    return out;
  }

  /** Something about an agent changed (pause, login, wrap-up over, a call ended): rematch and tell the wallboards. */
  agentChanged(tenantId: string, number: string): void {
    this.dispatchSoon(tenantId);
    const tenant = this.env.tenant(tenantId);
    if (!tenant) return;
    for (const q of this.queuesOf(tenant, number)) this.changed(tenantId, q.entry.id);
  }

  /** A registration or a call changed somewhere in the tenant: agents may have become (un)available. */
  tenantActivity(tenantId: string): void {
    const tenant = this.env.tenant(tenantId);
    if (!tenant) return;
    let any = false;
    for (const entry of tenant.routing.values())
      if (entry.kind === 'queue') {
        any = true;
        this.changed(tenantId, entry.id);
      }
    if (any) this.dispatchSoon(tenantId);
  }

  // ——— matching ———

  dispatchSoon(tenantId: string): void {
    if (this.dispatchPending.has(tenantId) || this.closed) return;
    this.dispatchPending.add(tenantId);
    queueMicrotask(() => {
      this.dispatchPending.delete(tenantId);
      this.dispatch(tenantId);
    });
  }

  /**
   * One matching pass over a tenant's queues, heaviest queue first (an agent in
   * several queues serves the heavier one first), callers in order within each.
   * A caller who cannot be served (no agent with its skills) does not hold up the
   * callers behind it.
   */
  dispatch(tenantId: string): void {
    const tenant = this.env.tenant(tenantId);
    if (!tenant) return;
    const queues: { entry: RoutingEntry; cfg: QueueConfig; list: readonly Waiter[] }[] = [];
    for (const line of this.lines.lines(tenantId)) {
      const entry = tenant.routing.get(line.queueId);
      if (entry?.kind === 'queue')
        queues.push({ entry, cfg: entry.config as QueueConfig, list: line.entries });
    }
    queues.sort((a, b) => b.cfg.weight - a.cfg.weight);
    const now = this.env.clock.now();
    for (const { entry, cfg, list } of queues) {
      for (const w of list) {
        if (w.offered || w.left || w.exit || w.notBefore > now) continue;
        const need = skillsNeeded(cfg.skills, this.waitedSec(w));
        const candidates: AgentCandidate[] = [];
        cfg.members.forEach((m, index) => {
          if ((w.avoid.get(m.number) ?? 0) > now) return;
          if (this.agentState(tenant, entry.id, m) !== 'available') return;
          // A callback is two calls the PBX places: an agent it cannot call cannot take one.
          if (w.callback && !this.canCallBack(tenantId, m.number)) return;
          const match = skillMatch(m.skills, need);
          if (!match.ok) return;
          const s = this.sessions.get(tenantId, m.number);
          candidates.push({
            number: m.number,
            index,
            penalty: m.penalty,
            weight: m.weight,
            lastEndedMs: s.lastEndedMs,
            calls: s.calls,
            talkSec: s.talkSec,
            skillScore: match.score,
          });
        });
        // Sticky agent: the responsible manager alone while the window lasts and they are free;
        // once they are not (busy, paused, logged out, or they let it ring), the strategy decides.
        let ringSec: number | undefined;
        let chosen: AgentCandidate[] = [];
        const owner = w.owner && w.owner.untilMs > now ? w.owner : null;
        const mine = owner ? candidates.filter((c) => c.number === owner.number) : [];
        if (owner && mine.length) {
          chosen = mine;
          ringSec = Math.max(1, Math.min(cfg.agentRingSec, Math.ceil((owner.untilMs - now) / 1000)));
        } else {
          w.owner = null;
          chosen = chooseAgents({
            strategy: cfg.strategy,
            candidates,
            lastIndex: this.memory.get(`${tenantId}/${entry.id}`) ?? null,
            random: this.env.random,
          });
        }
        if (chosen.length === 0) continue;
        if (cfg.strategy === 'roundRobin' && ringSec === undefined)
          this.memory.set(`${tenantId}/${entry.id}`, chosen[0]!.index);
        for (const c of chosen) {
          this.ringing.set(`${tenantId}/${c.number}`, w.id);
          this.stats.agent(tenantId, entry.id, c.number, (f) => f.offered++);
        }
        w.offered = true;
        this.post(w, {
          type: 'offer',
          agents: chosen.map((c) => c.number),
          ...(ringSec !== undefined ? { ringSec } : {}),
        });
        this.changed(tenantId, entry.id);
      }
    }
  }

  /** Once a second while anyone waits: rematch (skills relax, phones register) and apply leave-when-empty. */
  private armTick(): void {
    if (this.tickTimer || this.closed) return;
    this.tickTimer = this.env.clock.after(1000, () => {
      this.tickTimer = null;
      const tenants = new Set<string>();
      for (const line of this.lines.lines())
        for (const w of [...line.entries]) {
          tenants.add(w.tenantId);
          const tenant = this.env.tenant(w.tenantId);
          const entry = tenant?.routing.get(w.queueId);
          if (!tenant || entry?.kind !== 'queue') {
            // The queue was deleted under its callers: a callback request goes with it, a caller on
            // the line is sent on as if nobody were there (its loop still has the old settings).
            if (w.callback) {
              this.stats.queue(w.tenantId, w.queueId, (f) => {
                f.callbacksFailed++;
              });
              this.leave(w);
            } else if (!w.exit) this.post(w, { type: 'empty' });
            continue;
          }
          const cfg = entry.config as QueueConfig;
          // Leave-when-empty is for callers on the line: a callback request waits for agents to come back.
          if (
            !w.callback &&
            !w.offered &&
            !w.exit &&
            this.isEmpty(tenant, w.queueId, cfg, cfg.leaveWhenEmpty)
          )
            this.post(w, { type: 'empty' });
        }
      for (const t of tenants) this.dispatch(t);
      if (!this.lines.empty) this.armTick();
    });
  }

  // ——— live view ———

  /** Each queue's agents' states at its last update (agent.state events are the differences). */
  private readonly agentStates = new Map<string, Map<string, AgentState>>();

  /** Tell wallboards (once per turn of the event loop per queue). */
  changed(tenantId: string, queueId: string): void {
    const key = `${tenantId}/${queueId}`;
    if (this.updatePending.has(key) || this.closed) return;
    this.updatePending.add(key);
    queueMicrotask(() => {
      this.updatePending.delete(key);
      const tenant = this.env.tenant(tenantId);
      if (this.env.lineChanged) this.env.lineChanged(tenantId, queueId, this.published(tenantId, queueId));
      const live = tenant ? this.live(tenant, queueId) : null;
      if (!live) {
        this.agentStates.delete(key);
        return;
      }
      this.env.emit({ type: 'queue.updated', tenantId, queue: live });
      // Agents' states are derived on each look: a change is what differs from the last look.
      const before = this.agentStates.get(key) ?? new Map<string, AgentState>();
      const now = new Map(live.agents.map((a) => [a.number, a.state]));
      this.agentStates.set(key, now);
      for (const a of live.agents) {
        const previous = before.get(a.number) ?? null;
        if (previous !== a.state)
          this.env.emit({
            type: 'agent.state',
            tenantId,
            queueId,
            agent: a.number,
            state: a.state,
            previous,
            pauseReason: a.pauseReason,
          });
      }
    });
  }

  /** This node's line of a queue as the other nodes are told of it. */
  private published(tenantId: string, queueId: string): PublishedWaiter[] {
    const offers = new Map<string, string[]>();
    for (const [agent, id] of this.ringing) {
      if (!agent.startsWith(`${tenantId}/`)) continue;
      offers.set(id, [...(offers.get(id) ?? []), agent.slice(tenantId.length + 1)]);
    }
    return this.lines.line(tenantId, queueId).map((w) => ({
      id: w.id,
      caller: w.caller,
      callerName: w.callerName,
      priority: w.priority,
      joinedAt: w.joinedAt.toISOString(),
      offeredTo: offers.get(w.id) ?? [],
      callback: w.callback !== null,
    }));
  }

  live(tenant: TenantEntry, queueId: string): QueueLive | null {
    const entry = tenant.routing.get(queueId);
    if (entry?.kind !== 'queue') return null;
    const cfg = entry.config as QueueConfig;
    const list = this.lines.line(tenant.id, queueId);
    const now = this.env.now();
    const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const { queue: f, agents } = this.stats.since(tenant.id, queueId, dayStart);
    const waiting: WaitingCaller[] = list.map((w) => ({
      id: w.id,
      caller: w.caller,
      callerName: w.callerName,
      priority: w.priority,
      joinedAt: w.joinedAt.toISOString(),
      waitSec: Math.floor(this.waitedSec(w)),
      ringing: w.offered,
      callback: w.callback !== null,
    }));
    // In a cluster the wall-board shows every node's callers, in the order they are served.
    const remote = this.env.remoteWaiting?.(tenant.id, queueId) ?? [];
    if (remote.length) {
      for (const r of remote)
        waiting.push({
          id: r.id,
          caller: r.caller,
          callerName: r.callerName,
          priority: r.priority,
          joinedAt: r.joinedAt,
          waitSec: Math.max(0, Math.floor((now.getTime() - Date.parse(r.joinedAt)) / 1000)),
          ringing: r.offeredTo.length > 0,
          callback: r.callback,
        });
      waiting.sort((a, b) => b.priority - a.priority || a.joinedAt.localeCompare(b.joinedAt));
    }
    const ended = f.answered + f.abandoned + f.timedOut;
    return {
      id: entry.id,
      name: entry.name,
      number: entry.number,
      waiting,
      longestWaitSec: waiting.reduce((m, w) => Math.max(m, w.waitSec), 0),
      agents: cfg.members.map((m) => this.agentView(tenant, queueId, m)),
      today: {
        ...f,
        serviceLevel: cfg.serviceLevelSec.map((t) => ({
          thresholdSec: t,
          percent: ended ? Math.round(((f.answeredWithin[t] ?? 0) / ended) * 1000) / 10 : null,
        })),
        asaSec: f.answered ? Math.round(f.answerWaitSec / f.answered) : null,
        ahtSec: f.handled ? Math.round(f.talkSec / f.handled) : null,
        agents: Object.fromEntries(this.withPauseSoFar(tenant.id, cfg, agents)),
      },
    };
  }

  /**
   * Pause time is stored when a pause ends; an agent paused now has the time so far
   * added to today's figures shown, so a long pause does not read 0 until it ends.
   */
  private withPauseSoFar(
    tenantId: string,
    cfg: QueueConfig,
    agents: Map<string, AgentFigures>,
  ): Map<string, AgentFigures> {
    const now = this.env.clock.now();
    for (const m of cfg.members) {
      const s = this.sessions.get(tenantId, m.number);
      if (!s.paused && !s.dnd) continue;
      const f = agents.get(m.number) ?? emptyAgentFigures();
      agents.set(m.number, { ...f, pauseSec: f.pauseSec + Math.max(0, (now - s.pausedAtMs) / 1000) });
    }
    return agents;
  }

  agentView(tenant: TenantEntry, queueId: string, m: QueueMember): AgentView {
    const s = this.sessions.get(tenant.id, m.number);
    const ext: ExtensionEntry | undefined = tenant.extensions.get(m.number);
    const state = this.agentState(tenant, queueId, m);
    return {
      number: m.number,
      name: ext?.displayName ?? m.number,
      state,
      static: m.static,
      pauseReason: state === 'paused' ? s.pauseReason || (ext?.dnd ? 'dnd' : '') : null,
      callsToday: s.calls,
      talkSecToday: Math.round(s.talkSec),
    };
  }

  close(): void {
    this.closed = true;
    this.tickTimer?.cancel();
    for (const t of this.wrapUpTimers.values()) t.timer.cancel();
  }
}
