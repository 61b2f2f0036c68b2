/**
 * Which node registers each registration trunk (issue 11, "its trunk registrations are taken
 * over"). Most carriers keep one binding per account and send inbound calls to whichever
 * Contact registered last, so N nodes each registering every trunk would fight over it. Here
 * exactly one live node holds `<prefix>trunk-reg:<trunkId>` (value: its node id, with a TTL),
 * renewed once per heartbeat interval; only the holder registers the trunk.
 *
 * A free lease goes first to the node rendezvous hashing prefers among the live nodes, so
 * trunks added while several nodes run, or taken over from a dead node by several survivors,
 * spread over them; any other node takes a lease it has seen free for a whole round (the
 * preferred node may be dead but not yet out of the live list). A holder never hands a lease
 * back while alive, so the first node started keeps the trunks it found and a node joining
 * later gets none of them: moving a registration costs the carrier a new binding and a window
 * in which calls go to the old Contact, not worth a tidier spread.
 *
 * When the holder dies (SIGKILL) its lease expires after the TTL and a survivor registers
 * the trunk with its own Contact, within TTL + two rounds. A holder that cannot reach Redis
 * stops registering once its lease may have expired, so two nodes never both believe they
 * hold it for longer than one round.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RegistrationStatus } from '../pbx/trunks/registration.js';
import type { NodeRegistry } from './nodes.js';

/**
 * The TrunkSet's side (src/pbx/trunks/trunk-set.ts, RegistrationOwners): the trunks this node
 * registers, every trunk's holder, and the holders' registration status (as of their last round).
 */
export type OwnershipListener = (
  owned: ReadonlySet<string>,
  holders: ReadonlyMap<string, string>,
  remote: ReadonlyMap<string, RegistrationStatus>,
) => void;

export interface TrunkLeaseOptions {
  prefix: string;
  /** Lease lifetime (the heartbeat TTL: a dead node's leases and heartbeat go together). */
  ttlMs: number;
  /** Renewal and look-around period (the heartbeat interval). */
  intervalMs: number;
  onError?: (err: unknown) => void;
}

/**
 * KEYS[1] the lease; ARGV: node, ttl, may take a free lease (1/0). Renews a lease we hold,
 * takes a free one when allowed; returns the holder afterwards (false: free).
 */
const CLAIM_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return cur
end
if cur then return cur end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return false
`;

/** Deletes the lease only while it is ours (KEYS[1]; ARGV[1] node). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type ClaimCommand = (key: string, node: string, ttl: number, mayTake: string) => Promise<string | null>;
type ReleaseCommand = (key: string, node: string) => Promise<number>;

/** A holder's status as read back from Redis (dates travel as ISO strings). */
function reviveStatus(text: string | null): RegistrationStatus | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const date = (x: unknown) => (typeof x === 'string' ? new Date(x) : null);
    return {
      ...(v as unknown as RegistrationStatus),
      registeredAt: date(v.registeredAt),
      expiresAt: date(v.expiresAt),
      nextAttemptAt: date(v.nextAttemptAt),
    };
  } catch {
    return null;
  }
}

/** The live node rendezvous hashing (highest random weight) gives a trunk to. */
export function preferredNode(trunkId: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = '';
  for (const n of nodes) {
    const w = createHash('sha256').update(`${trunkId}\u0000${n}`).digest('hex');
    if (best === null || w > bestWeight) {
      best = n;
      bestWeight = w;
    }
  }
  return best;
}

export class TrunkLeases {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private wanted: () => string[] = () => [];
  private statusOf: (trunkId: string) => RegistrationStatus | null = () => null;
  private listener: OwnershipListener | null = null;
  /** Leases we hold, with when each was last renewed (by our clock). */
  private readonly held = new Map<string, number>();
  /** Trunks whose lease we saw free last round: taken this round even if not preferred. */
  private seenFree = new Set<string>();
  private holders = new Map<string, string>();
  private remote = new Map<string, RegistrationStatus>();
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly nodes: NodeRegistry,
    private readonly opts: TrunkLeaseOptions,
  ) {
    redis.defineCommand('nimbusTrunkClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.defineCommand('nimbusTrunkRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }

  /**
   * Starts holding leases for the trunks `wanted` lists; `listener` hears the outcome of every
   * round. `statusOf` is this node's registration of a trunk it holds, shown to the other nodes.
   */
  start(
    wanted: () => string[],
    listener: OwnershipListener,
    statusOf: (trunkId: string) => RegistrationStatus | null,
  ): void {
    if (this.closed) return;
    this.wanted = wanted;
    this.listener = listener;
    this.statusOf = statusOf;
    this.timer ??= setInterval(() => this.changed(), this.opts.intervalMs);
    this.timer.unref();
    this.changed();
  }

  /** The trunks wanted changed (or a round is due): one round now, or right after the current one. */
  changed(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((e: unknown) => {
        this.opts.onError?.(e);
        this.expireUnrenewed();
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.changed();
        }
      });
  }

  /** Waits for the round under way (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The node holding each trunk's lease, as last seen. */
  holderOf(trunkId: string): string | null {
    return this.holders.get(trunkId) ?? null;
  }

  private key(trunkId: string): string {
    return `${this.opts.prefix}trunk-reg:${trunkId}`;
  }

  private statusKey(trunkId: string): string {
    return `${this.opts.prefix}trunk-reg-status:${trunkId}`;
  }

  private async round(): Promise<void> {
    const wanted = [...new Set(this.wanted())];
    const live = (await this.nodes.live()).map((n) => n.id);
    if (!live.includes(this.nodes.id)) live.push(this.nodes.id);
    const claim = (this.redis as unknown as { nimbusTrunkClaim: ClaimCommand }).nimbusTrunkClaim;
    const release = (this.redis as unknown as { nimbusTrunkRelease: ReleaseCommand }).nimbusTrunkRelease;
    const me = this.nodes.id;
    const holders = new Map<string, string>();
    const seenFree = new Set<string>();
    const now = Date.now();
    await Promise.all(
      wanted.map(async (id) => {
        const mayTake = preferredNode(id, live) === me || this.seenFree.has(id);
        const holder = await claim.call(this.redis, this.key(id), me, this.opts.ttlMs, mayTake ? '1' : '0');
        if (holder === me) this.held.set(id, now);
        else this.held.delete(id);
        if (holder) holders.set(id, holder);
        else seenFree.add(id);
      }),
    );
    // Trunks removed or changed to another kind: their leases go back at once.
    const gone = [...this.held.keys()].filter((id) => !wanted.includes(id));
    for (const id of gone) this.held.delete(id);
    await Promise.all(gone.map((id) => release.call(this.redis, this.key(id), me)));
    // Our registrations' state for the other nodes' status pages, and theirs for ours.
    const mine = wanted.filter((id) => this.held.has(id));
    if (mine.length) {
      const publish = this.redis.multi();
      for (const id of mine) {
        const st = this.statusOf(id);
        if (st) publish.set(this.statusKey(id), JSON.stringify(st), 'PX', this.opts.ttlMs);
      }
      await publish.exec();
    }
    const others = wanted.filter((id) => !this.held.has(id) && holders.has(id));
    const texts = others.length ? await this.redis.mget(...others.map((id) => this.statusKey(id))) : [];
    const remote = new Map<string, RegistrationStatus>();
    others.forEach((id, i) => {
      const st = reviveStatus(texts[i] ?? null);
      if (st) remote.set(id, st);
    });
    this.remote = remote;
    this.seenFree = seenFree;
    this.holders = holders;
    this.tell();
  }

  /** Redis did not answer: a lease not renewed within its TTL may be another node's by now. */
  private expireUnrenewed(): void {
    const now = Date.now();
    let dropped = false;
    for (const [id, at] of this.held)
      if (now - at >= this.opts.ttlMs) {
        this.held.delete(id);
        this.holders.delete(id);
        this.remote.delete(id);
        dropped = true;
      }
    if (dropped) this.tell();
  }

  private tell(): void {
    if (this.closed) return;
    this.listener?.(new Set(this.held.keys()), new Map(this.holders), new Map(this.remote));
  }

  /** Stops renewing and gives our leases back at once (a clean shutdown: no wait for the TTL). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
    const release = (this.redis as unknown as { nimbusTrunkRelease: ReleaseCommand }).nimbusTrunkRelease;
    const mine = [...this.held.keys()];
    this.held.clear();
    await Promise.all(
      mine.flatMap((id) => [
        release.call(this.redis, this.key(id), this.nodes.id),
        this.redis.del(this.statusKey(id)),
      ]),
    ).catch((e: unknown) => this.opts.onError?.(e));
  }

  /** Stops renewing without giving anything back: what a SIGKILL leaves behind (tests). */
  abandon(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
