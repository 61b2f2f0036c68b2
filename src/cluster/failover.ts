/**
 * Survivors' side of a node's death (issue 11, "a node dies"). Every node looks, once per
 * heartbeat, for members of the cluster whose heartbeat has expired (SIGKILL, power, a
 * partition longer than the TTL). One survivor claims each dead node (SET NX, so N survivors
 * do the work once) and runs the takeover: today, closing the dead node's open CDRs as
 * `interrupted` (what the node itself would do at its next start). The dead id then leaves
 * the member set; if it starts again it joins anew, and its own start-up closes whatever is
 * still open. Its trunk registrations move by themselves: their leases expire with its
 * heartbeat and a survivor takes each one (src/cluster/trunk-leases.ts). Its live calls and
 * queue callers are taken from the registry (src/cluster/live-registry.ts) by the takeover in
 * src/cluster/attach.ts: callers re-queued as callbacks where possible, the rest reported lost.
 *
 * A node cut off from Redis for longer than the TTL but still running is indistinguishable
 * from a dead one here: its calls' rows are closed as interrupted although the calls go on
 * (their end is still written, over the interrupted state). That is the price of not asking
 * the node itself, which may be gone.
 */
import type { Redis } from 'ioredis';
import type { NodeRegistry } from './nodes.js';

export interface DeadNodeWatcherOptions {
  prefix: string;
  /** The takeover of one dead node; a throw leaves it for the next round (or another survivor). */
  onDead: (node: string) => Promise<void>;
  onError?: (err: unknown) => void;
  /** How long one survivor holds its claim on a dead node (default 60 s). */
  claimMs?: number;
}

export class DeadNodeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<string[]> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly registry: NodeRegistry,
    private readonly opts: DeadNodeWatcherOptions,
  ) {}

  start(intervalMs = this.registry.heartbeatMs): void {
    this.timer ??= setInterval(
      () => void this.scan().catch((e: unknown) => this.opts.onError?.(e)),
      intervalMs,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: the dead nodes this survivor took over. */
  scan(): Promise<string[]> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(): Promise<string[]> {
    const [members, live] = await Promise.all([this.registry.members(), this.registry.live()]);
    const alive = new Set(live.map((n) => n.id));
    const taken: string[] = [];
    for (const node of members) {
      if (alive.has(node) || node === this.registry.id) continue;
      const claim = `${this.opts.prefix}takeover:${node}`;
      const won = await this.redis.set(claim, this.registry.id, 'PX', this.opts.claimMs ?? 60_000, 'NX');
      if (won !== 'OK') continue;
      try {
        await this.opts.onDead(node);
      } catch (e) {
        await this.redis.del(claim);
        throw e;
      }
      // Gone from the members unless it came back meanwhile (then its heartbeat is there again).
      if (!(await this.redis.exists(`${this.opts.prefix}node:${node}`)))
        await this.redis.srem(`${this.opts.prefix}members`, node);
      taken.push(node);
    }
    return taken;
  }
}
