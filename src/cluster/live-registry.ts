/**
 * The registry of live calls and queue callers across the cluster (issue 11: "location,
 * presence, queue state and the registry of live calls in Redis").
 *
 * Each node owns one hash, `<prefix>live:<node>`: a field per call it carries (`c:<key>`,
 * a RemoteCall as JSON: parties, rung extensions, state, the live view's record) and per
 * caller waiting in one of its queues (`w:<tenant>/<queue>/<id>`, a RemoteWaiter). Every
 * change is written (HSET/HDEL) and announced on `<prefix>live` with the new values in one
 * MULTI, so the other nodes apply it without reading back. The key's TTL is refreshed every
 * heartbeat round; it is longer than the heartbeat's so that the survivor that takes a dead
 * node over still finds its callers (src/cluster/attach.ts), then deletes the hash.
 *
 * Why a copy in memory on every node and not a Redis read per question: a queue's matching
 * pass asks for every member whether it is busy on another node, and a busy lamp's NOTIFY is
 * built synchronously (DESIGN.md §2: no network round trip on the SIP hot path). Every round
 * each node also re-reads the other members' hashes, which repairs anything a lost message or
 * a Redis outage left wrong; entries and deletions heard after a re-read began win over it.
 */
import type { Redis } from 'ioredis';
import type { RemoteActivity, RemoteCall, RemoteWaiter } from '../pbx/remote-activity.js';
import type { NodeRegistry } from './nodes.js';

export interface LiveRegistryOptions {
  prefix: string;
  node: string;
  /** Lifetime of a node's hash without refresh (default: three heartbeat TTLs). */
  ttlMs: number;
  /** Refresh and re-read period (the heartbeat interval). */
  intervalMs: number;
  onError?: (err: unknown, what: string) => void;
}

type Entry = RemoteCall | RemoteWaiter;

/** What changed on another node: the tenant and the extensions whose state may differ now. */
export interface RemoteChange {
  tenantId: string;
  numbers: string[];
  /** A queue whose line changed (its wall-board), if the entry was a caller. */
  queueId: string | null;
}

interface Message {
  n: string;
  /** Fields set, with their JSON. */
  s?: Record<string, string>;
  /** Fields deleted. */
  d?: string[];
  /** A node whose whole hash is gone (it closed, or a survivor took it over). */
  g?: string;
}

/** What a dead (or restarted) node left: its calls and its queue callers. */
export interface Leftovers {
  calls: RemoteCall[];
  waiters: RemoteWaiter[];
}

const isWaiter = (field: string) => field.startsWith('w:');

function parse(field: string, text: string): Entry | null {
  try {
    const v = JSON.parse(text) as Entry;
    if (typeof v !== 'object' || v === null || typeof v.tenantId !== 'string') return null;
    if (isWaiter(field)) return typeof (v as RemoteWaiter).queueId === 'string' ? v : null;
    return Array.isArray((v as RemoteCall).parties) ? v : null;
  } catch {
    // A field another version wrote in a shape this one cannot read is skipped.
    return null;
  }
}

function touched(e: Entry | undefined): string[] {
  if (!e) return [];
  if ('queueId' in e) return e.offeredTo;
  return [...e.parties.map((p) => p.number), ...e.ringing];
}

export class LiveRegistry implements RemoteActivity {
  private readonly key: string;
  private readonly channel: string;
  /** This node's fields as they should be in Redis (rewritten whole if the hash was lost). */
  private readonly mine = new Map<string, string>();
  private pending = new Map<string, string | null>();
  private flushScheduled = false;
  /** The other nodes' entries, by node, then field; `at`: when this node learnt it. */
  private readonly remote = new Map<string, Map<string, { e: Entry; at: number }>>();
  /** Deletions heard (node + field → when), so a re-read under way does not bring them back. */
  private readonly tombs = new Map<string, number>();
  private readonly goneAt = new Map<string, number>();
  // Indexes over `remote` for the hot-path questions.
  private readonly answered = new Map<string, number>();
  private readonly offered = new Map<string, number>();
  private readonly touching = new Map<string, Set<RemoteCall>>();
  private readonly lines = new Map<string, Set<RemoteWaiter>>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private closed = false;
  /** Another node's call or caller changed. */
  onChange: ((c: RemoteChange) => void) | null = null;

  private constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly nodes: NodeRegistry,
    private readonly opts: LiveRegistryOptions,
  ) {
    this.key = `${opts.prefix}live:${opts.node}`;
    this.channel = `${opts.prefix}live`;
  }

  /**
   * Subscribes, reads the other nodes' entries, and takes back what an earlier run of this
   * node id left (a node restarted after a crash, before any survivor noticed).
   */
  static async open(
    redis: Redis,
    nodes: NodeRegistry,
    opts: LiveRegistryOptions,
  ): Promise<{ registry: LiveRegistry; leftovers: Leftovers }> {
    const sub = redis.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    const reg = new LiveRegistry(redis, sub, nodes, opts);
    sub.on('message', (_channel: string, text: string) => reg.receive(text));
    await sub.subscribe(reg.channel);
    const leftovers = await reg.takeOver(opts.node);
    await reg.reload();
    reg.timer = setInterval(() => reg.tick(), opts.intervalMs);
    reg.timer.unref();
    return { registry: reg, leftovers };
  }

  // ——— this node's side ———

  /** One of this node's calls changed (null: it ended). */
  setCall(key: string, call: RemoteCall | null): void {
    this.put(`c:${key}`, call ? JSON.stringify(call) : null);
  }

  /** A queue's line on this node is now `waiters` (the previous ones not in it are gone). */
  setLine(tenantId: string, queueId: string, waiters: RemoteWaiter[]): void {
    const prefix = `w:${tenantId}/${queueId}/`;
    const now = new Set<string>();
    for (const w of waiters) {
      const field = `${prefix}${w.id}`;
      now.add(field);
      const text = JSON.stringify(w);
      if (this.mine.get(field) !== text) this.put(field, text);
    }
    for (const field of this.mine.keys())
      if (field.startsWith(prefix) && !now.has(field)) this.put(field, null);
  }

  private put(field: string, text: string | null): void {
    if (this.closed) return;
    if (text === null) {
      if (!this.mine.has(field) && !this.pending.has(field)) return;
      this.mine.delete(field);
    } else this.mine.set(field, text);
    this.pending.set(field, text);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Changes of one turn of the event loop (a call answered and a queue offer ended) go out together.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const set: Record<string, string> = {};
    const del: string[] = [];
    for (const [f, v] of batch) {
      if (v === null) del.push(f);
      else set[f] = v;
    }
    const m = this.redis.multi();
    if (Object.keys(set).length) m.hset(this.key, set);
    if (del.length) m.hdel(this.key, ...del);
    m.pexpire(this.key, this.opts.ttlMs);
    const msg: Message = { n: this.opts.node };
    if (Object.keys(set).length) msg.s = set;
    if (del.length) msg.d = del;
    m.publish(this.channel, JSON.stringify(msg));
    m.exec().catch((e: unknown) => this.fail(e, 'live registry write'));
  }

  // ——— every round ———

  private tick(): void {
    if (this.closed || this.round) return;
    this.round = this.refresh()
      .then(() => this.reload())
      .catch((e: unknown) => this.fail(e, 'live registry round'))
      .finally(() => {
        this.round = null;
      });
  }

  /** Keeps this node's hash alive; rewrites it whole when Redis lost it (an outage, a flush). */
  private async refresh(): Promise<void> {
    if (this.mine.size === 0) return;
    const kept = await this.redis.pexpire(this.key, this.opts.ttlMs);
    if (kept === 1) return;
    const all = Object.fromEntries(this.mine);
    await this.redis
      .multi()
      .hset(this.key, all)
      .pexpire(this.key, this.opts.ttlMs)
      .publish(this.channel, JSON.stringify({ n: this.opts.node, s: all } satisfies Message))
      .exec();
  }

  /** Reads every other member's hash; what was heard while reading wins over what was read. */
  async reload(): Promise<void> {
    const started = Date.now();
    const members = (await this.nodes.members()).filter((n) => n !== this.opts.node);
    const pipeline = this.redis.pipeline();
    for (const n of members) pipeline.hgetall(`${this.opts.prefix}live:${n}`);
    const results = members.length ? ((await pipeline.exec()) ?? []) : [];
    const read = new Map<string, Record<string, string>>();
    members.forEach((n, i) => {
      const [err, hash] = results[i] ?? [null, null];
      if (!err && hash) read.set(n, hash as Record<string, string>);
    });
    if (this.closed) return;
    for (const node of new Set([...this.remote.keys(), ...read.keys()])) {
      if ((this.goneAt.get(node) ?? 0) > started) continue;
      const hash = read.get(node) ?? {};
      const have = this.remote.get(node);
      for (const [field, cur] of have ?? [])
        if (!(field in hash) && cur.at < started) this.apply(node, field, null);
      for (const [field, text] of Object.entries(hash)) {
        if ((this.tombs.get(`${node}|${field}`) ?? 0) > started) continue;
        const cur = have?.get(field);
        if (cur && cur.at >= started) continue;
        this.apply(node, field, text);
      }
    }
    // Deletions older than a few rounds cannot race a re-read any more.
    const horizon = Date.now() - 10 * this.opts.intervalMs;
    for (const [k, at] of this.tombs) if (at < horizon) this.tombs.delete(k);
    for (const [k, at] of this.goneAt) if (at < horizon) this.goneAt.delete(k);
  }

  // ——— the other nodes' side ———

  private receive(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (typeof m.n !== 'string') return;
    if (m.g !== undefined) {
      if (m.g === this.opts.node) return;
      this.dropNode(m.g);
      return;
    }
    if (m.n === this.opts.node) return;
    for (const [field, value] of Object.entries(m.s ?? {})) this.apply(m.n, field, value);
    for (const field of m.d ?? []) {
      this.tombs.set(`${m.n}|${field}`, Date.now());
      this.apply(m.n, field, null);
    }
  }

  private dropNode(node: string): void {
    this.goneAt.set(node, Date.now());
    for (const field of [...(this.remote.get(node)?.keys() ?? [])]) this.apply(node, field, null);
    this.remote.delete(node);
  }

  private apply(node: string, field: string, text: string | null): void {
    let entries = this.remote.get(node);
    const before = entries?.get(field)?.e;
    const after = text === null ? null : parse(field, text);
    if (before) this.index(before, -1);
    if (after) {
      if (!entries) {
        entries = new Map();
        this.remote.set(node, entries);
      }
      entries.set(field, { e: after, at: Date.now() });
      this.index(after, 1);
    } else entries?.delete(field);
    if (!before && !after) return;
    const e = (after ?? before)!;
    this.onChange?.({
      tenantId: e.tenantId,
      numbers: [...new Set([...touched(before), ...touched(after ?? undefined)])],
      queueId: 'queueId' in e ? e.queueId : null,
    });
  }

  private index(e: Entry, sign: 1 | -1): void {
    const bump = (m: Map<string, number>, k: string) => {
      const n = (m.get(k) ?? 0) + sign;
      if (n > 0) m.set(k, n);
      else m.delete(k);
    };
    const add = <T>(m: Map<string, Set<T>>, k: string, v: T) => {
      let s = m.get(k);
      if (sign > 0) {
        if (!s) {
          s = new Set();
          m.set(k, s);
        }
        s.add(v);
      } else if (s) {
        s.delete(v);
        if (s.size === 0) m.delete(k);
      }
    };
    if ('queueId' in e) {
      for (const a of new Set(e.offeredTo)) bump(this.offered, `${e.tenantId}/${a}`);
      add(this.lines, `${e.tenantId}/${e.queueId}`, e);
      return;
    }
    for (const n of new Set(e.parties.map((p) => p.number))) {
      if (e.state === 'answered') bump(this.answered, `${e.tenantId}/${n}`);
    }
    for (const n of new Set(touched(e))) add(this.touching, `${e.tenantId}/${n}`, e);
  }

  answeredOn(tenantId: string, number: string): number {
    return this.answered.get(`${tenantId}/${number}`) ?? 0;
  }

  offeredTo(tenantId: string, number: string): boolean {
    return this.offered.has(`${tenantId}/${number}`);
  }

  callsTouching(tenantId: string, number: string): RemoteCall[] {
    return [...(this.touching.get(`${tenantId}/${number}`) ?? [])];
  }

  waiting(tenantId: string, queueId: string): RemoteWaiter[] {
    return [...(this.lines.get(`${tenantId}/${queueId}`) ?? [])];
  }

  /** Every call of the tenant on other nodes (live views). */
  calls(tenantId: string): RemoteCall[] {
    const out: RemoteCall[] = [];
    for (const entries of this.remote.values())
      for (const { e } of entries.values()) if (e.tenantId === tenantId && !('queueId' in e)) out.push(e);
    return out;
  }

  /** The node carrying the tenant's call with record id `id`, if another node does. */
  ownerOf(tenantId: string, id: string): RemoteCall | null {
    for (const entries of this.remote.values())
      for (const { e } of entries.values())
        if (!('queueId' in e) && e.tenantId === tenantId && e.recordId === id) return e;
    return null;
  }

  // ——— takeover and shutdown ———

  /**
   * Takes a dead node's hash (or this node's own from an earlier run): its entries are
   * returned once and deleted, and every node drops them from its view.
   */
  async takeOver(node: string): Promise<Leftovers> {
    const key = `${this.opts.prefix}live:${node}`;
    const [[, hash] = [null, null]] =
      (await this.redis
        .multi()
        .hgetall(key)
        .del(key)
        .publish(this.channel, JSON.stringify({ n: this.opts.node, g: node } satisfies Message))
        .exec()) ?? [];
    this.dropNode(node);
    const out: Leftovers = { calls: [], waiters: [] };
    for (const [field, text] of Object.entries((hash as Record<string, string> | null) ?? {})) {
      const e = parse(field, text);
      if (!e) continue;
      if ('queueId' in e) out.waiters.push(e);
      else out.calls.push(e);
    }
    return out;
  }

  /** A clean shutdown: this node's entries go at once (its calls have ended). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.round?.catch(() => {});
    await this.redis
      .multi()
      .del(this.key)
      .publish(this.channel, JSON.stringify({ n: this.opts.node, g: this.opts.node } satisfies Message))
      .exec()
      .catch((e: unknown) => this.fail(e, 'live registry close'));
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  /** Stops refreshing and leaves the hash behind: what a SIGKILL leaves (tests). */
  abandon(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.sub.disconnect();
  }

  private fail(err: unknown, what: string): void {
    if (!this.closed) this.opts.onError?.(err, what);
  }
}
