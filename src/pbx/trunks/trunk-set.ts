/**
 * The operator's trunks as the SIP side runs them: registrations kept up for
 * registration-based trunks, OPTIONS health checks, the carrier's addresses
 * (DNS, RFC 3263) for sending and for knowing its calls when they arrive, and
 * the channels each trunk has in use. Rebuilt from the snapshot whenever an
 * operator changes a trunk; a trunk whose settings did not change keeps its
 * registration.
 *
 * A single node registers every registration trunk. In a cluster the nodes share
 * them (shareRegistrations): exactly one node registers each trunk, the others keep
 * it ready and start registering only when they are given it (its node died).
 */
import { BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import { newBranch } from '../../sip/build.js';
import type { LocalAddress } from '../../sip/dialog.js';
import { viaFor } from '../../sip/dialog.js';
import { Headers, parseUri, type SipRequest } from '../../sip/message/index.js';
import { resolveSipTargets } from '../../sip/resolve.js';
import type { Clock, Timer } from '../../sip/transaction/clock.js';
import type { Destination } from '../../sip/transaction/types.js';
import type { Trunk } from '../../store/schema.js';
import { type RegistrationStatus, type RequestSender, TrunkRegistration } from './registration.js';

/** How long the carrier's DNS answer is used before it is asked again. */
const RESOLVE_TTL_MS = 60_000;

export interface TrunkSetDeps {
  layer: RequestSender;
  clock: Clock;
  localFor(dest: Destination): LocalAddress;
  log: Logger;
  /** RFC 3263 resolution (tests give a resolver of their own). */
  resolve?: typeof resolveSipTargets;
  /** User-Agent of trunk registrations (the node's configured product name, or none). */
  userAgent?: string | null;
}

/**
 * Who registers which trunk in a cluster (src/cluster/trunk-leases.ts fits): told the
 * trunks this node could register, it answers after each round with the ones it must.
 */
export interface RegistrationOwners {
  start(
    wanted: () => string[],
    apply: (
      owned: ReadonlySet<string>,
      holders: ReadonlyMap<string, string>,
      remote: ReadonlyMap<string, RegistrationStatus>,
    ) => void,
    /** This node's registration of a trunk it holds, for the other nodes to show. */
    statusOf: (trunkId: string) => RegistrationStatus | null,
  ): void;
  /** The wanted list changed: decide again soon. */
  changed(): void;
}

export interface TrunkHealth {
  /** unknown: no check configured (or none answered yet). */
  state: 'up' | 'down' | 'unknown';
  checkedAt: Date | null;
  rttMs: number | null;
}

export interface TrunkStatus {
  id: string;
  name: string;
  enabled: boolean;
  /**
   * Its registration: this node's, or in a cluster the registering node's as that node last
   * published it (at most one heartbeat interval old); null when nobody registers it.
   */
  registration: RegistrationStatus | null;
  /** In a cluster: the node registering it (null: none yet, or not a registration trunk); always null on a single node. */
  registeredBy: string | null;
  health: TrunkHealth;
  channels: number;
}

interface Running {
  trunk: Trunk;
  /** The settings it was started with: a change restarts it. */
  fingerprint: string;
  registration: TrunkRegistration | null;
  /** Whether `registration` is started (in a cluster, only on the node that owns the trunk). */
  registering: boolean;
  targets: Destination[];
  resolvedAt: number;
  resolving: Promise<Destination[]> | null;
  /** Where its calls come from: the configured ranges, and the addresses its host resolves to. */
  configured: BlockList;
  resolved: BlockList;
  health: TrunkHealth;
  pinger: Timer | null;
  channels: number;
}

/** `::ffff:10.0.0.1` is 10.0.0.1 (a dual-stack socket's view of an IPv4 peer). */
function plainAddress(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return h.startsWith('::ffff:') && isIP(h.slice(7)) === 4 ? h.slice(7) : h;
}

function addSource(list: BlockList, entry: string): void {
  const [addr, bits] = entry.split('/');
  const a = plainAddress(addr ?? '');
  const family = isIP(a);
  if (!family) return;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  try {
    if (bits !== undefined) list.addSubnet(a, Number.parseInt(bits, 10), type);
    else list.addAddress(a, type);
  } catch {
    // A range the list cannot hold (a bad prefix) is skipped: it recognises nobody.
  }
}

export class TrunkSet {
  private readonly running = new Map<string, Running>();
  private readonly resolve: typeof resolveSipTargets;
  private stopped = false;
  /** Shared registrations (a cluster); null: this node registers every trunk, as a single node does. */
  private owners: RegistrationOwners | null = null;
  /** The trunks this node registers, in a cluster. */
  private owned: ReadonlySet<string> = new Set();
  private holders: ReadonlyMap<string, string> = new Map();
  private remote: ReadonlyMap<string, RegistrationStatus> = new Map();

  constructor(private readonly deps: TrunkSetDeps) {
    this.resolve = deps.resolve ?? resolveSipTargets;
  }

  /**
   * Cluster mode: from now on a trunk is registered only while `owners` gives it to this
   * node. Called before the trunks start (app start-up), so nothing registers twice.
   */
  shareRegistrations(owners: RegistrationOwners): void {
    this.owners = owners;
    for (const r of this.running.values()) this.register(r, false);
    owners.start(
      () => [...this.running.values()].filter((r) => r.registration !== null).map((r) => r.trunk.id),
      (owned, holders, remote) => {
        if (this.stopped) return;
        this.owned = owned;
        this.holders = holders;
        this.remote = remote;
        for (const r of this.running.values()) this.register(r, owned.has(r.trunk.id));
      },
      (id) => {
        const r = this.running.get(id);
        return r?.registering && r.registration ? r.registration.status() : null;
      },
    );
  }

  /** Starts or stops one trunk's registration (stopping unregisters our Contact, and only ours). */
  private register(r: Running, on: boolean): void {
    if (!r.registration || r.registering === on) return;
    r.registering = on;
    if (on) r.registration.start();
    else void r.registration.stop().catch(() => {});
  }

  /** Brings the running trunks in line with the configuration. */
  sync(trunks: Iterable<Trunk>): void {
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const t of trunks) {
      seen.add(t.id);
      const fingerprint = JSON.stringify({ ...t, createdAt: null, updatedAt: null });
      const old = this.running.get(t.id);
      if (old && old.fingerprint === fingerprint) continue;
      if (old) this.stopOne(old);
      try {
        this.running.set(t.id, this.startOne(t, fingerprint, old?.channels ?? 0));
      } catch (e) {
        // One trunk's bad settings must not stop the others (or the node) from starting.
        this.deps.log.error({ err: e, trunk: t.name }, 'trunk could not be started');
        this.running.delete(t.id);
      }
    }
    for (const [id, r] of this.running)
      if (!seen.has(id)) {
        this.stopOne(r);
        this.running.delete(id);
      }
    this.owners?.changed();
  }

  private startOne(trunk: Trunk, fingerprint: string, channels: number): Running {
    const r: Running = {
      trunk,
      fingerprint,
      registration: null,
      registering: false,
      targets: [],
      resolvedAt: 0,
      resolving: null,
      configured: new BlockList(),
      resolved: new BlockList(),
      health: { state: 'unknown', checkedAt: null, rttMs: null },
      pinger: null,
      channels,
    };
    for (const a of trunk.addresses) addSource(r.configured, a);
    if (!trunk.enabled) return r;
    void this.targetsOf(r);
    if (trunk.kind === 'register' && trunk.username && trunk.password) {
      r.registration = new TrunkRegistration(
        {
          layer: this.deps.layer,
          clock: this.deps.clock,
          localFor: (d) => this.deps.localFor(d),
          resolve: () => this.targetsOf(r),
          log: this.deps.log,
          userAgent: this.deps.userAgent ?? null,
        },
        {
          trunkId: trunk.id,
          domain: trunk.host,
          username: trunk.username,
          authUsername: trunk.authUsername ?? trunk.username,
          realm: trunk.realm,
          password: trunk.password,
          expirySec: trunk.expirySec,
          contactUser: trunk.contactUser ?? trunk.username,
        },
      );
      // A single node registers at once; a cluster node only once the trunk is given to it.
      this.register(r, this.owners === null || this.owned.has(trunk.id));
    }
    if (trunk.optionsIntervalSec) this.schedulePing(r, 0);
    return r;
  }

  private stopOne(r: Running): void {
    r.pinger?.cancel();
    r.pinger = null;
    this.register(r, false);
    r.registration = null;
  }

  /** The carrier's addresses (cached for a minute); its calls are recognised by them too. */
  private targetsOf(r: Running): Promise<Destination[]> {
    if (r.targets.length && this.deps.clock.now() - r.resolvedAt < RESOLVE_TTL_MS)
      return Promise.resolve(r.targets);
    r.resolving ??= this.resolve(r.trunk.host, { port: r.trunk.port, transport: r.trunk.transport })
      .catch((e: unknown) => {
        this.deps.log.warn({ err: e, trunk: r.trunk.name }, 'trunk host did not resolve');
        return [] as Destination[];
      })
      .then((targets) => {
        r.resolving = null;
        if (targets.length) {
          r.targets = targets;
          r.resolvedAt = this.deps.clock.now();
          for (const t of targets) addSource(r.resolved, t.host);
        }
        return r.targets;
      });
    return r.resolving;
  }

  /** Where to send a call through `trunkId`, best first (empty: the host does not resolve). */
  targets(trunkId: string): Promise<Destination[]> {
    const r = this.running.get(trunkId);
    return r ? this.targetsOf(r) : Promise.resolve([]);
  }

  /**
   * The trunk a request came in on, by its source address. Several trunks may
   * share a carrier's address: a registration trunk whose contact the
   * Request-URI names wins, then a trunk configured with that address, then one
   * whose host merely resolves to it.
   */
  identify(source: Destination, req: SipRequest): Trunk | null {
    const addr = plainAddress(source.host);
    const family = isIP(addr);
    if (!family) return null;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    let configured: Trunk | null = null;
    let resolved: Trunk | null = null;
    for (const r of this.running.values()) {
      if (!r.trunk.enabled) continue;
      const byConfig = r.configured.check(addr, type);
      if (!byConfig && !r.resolved.check(addr, type)) continue;
      const contactUser = r.trunk.contactUser ?? r.trunk.username;
      if (r.trunk.kind === 'register' && contactUser && req.uri.user === contactUser) return r.trunk;
      if (byConfig) configured ??= r.trunk;
      else resolved ??= r.trunk;
    }
    return configured ?? resolved;
  }

  /** A channel of the trunk for one call; false when all its channels are in use. */
  acquire(trunkId: string): boolean {
    const r = this.running.get(trunkId);
    if (!r) return false;
    if (r.trunk.maxChannels !== null && r.channels >= r.trunk.maxChannels) return false;
    r.channels++;
    return true;
  }

  release(trunkId: string): void {
    const r = this.running.get(trunkId);
    if (r && r.channels > 0) r.channels--;
  }

  /** The trunk answered no health check lately: calls skip it for the next one. */
  isDown(trunkId: string): boolean {
    return this.running.get(trunkId)?.health.state === 'down';
  }

  status(): TrunkStatus[] {
    return [...this.running.values()].map((r) => ({
      id: r.trunk.id,
      name: r.trunk.name,
      enabled: r.trunk.enabled,
      registration: r.registering
        ? (r.registration?.status() ?? null)
        : r.registration
          ? (this.remote.get(r.trunk.id) ?? null)
          : null,
      registeredBy: this.owners && r.registration ? (this.holders.get(r.trunk.id) ?? null) : null,
      health: { ...r.health },
      channels: r.channels,
    }));
  }

  /** OPTIONS to the carrier (RFC 3261 §11): any answer means it is there, silence that it is not. */
  private schedulePing(r: Running, delayMs: number): void {
    r.pinger = this.deps.clock.after(delayMs, () => {
      r.pinger = null;
      void this.ping(r).finally(() => {
        if (this.running.get(r.trunk.id) === r && !this.stopped && r.trunk.optionsIntervalSec)
          this.schedulePing(r, r.trunk.optionsIntervalSec * 1000);
      });
    });
  }

  private async ping(r: Running): Promise<void> {
    const [dest] = await this.targetsOf(r);
    if (!dest) {
      r.health = { state: 'down', checkedAt: new Date(), rttMs: null };
      return;
    }
    const local = this.deps.localFor(dest);
    const uri = parseUri(`sip:${r.trunk.host}`);
    if (!uri) return;
    const headers = new Headers();
    headers.append('Via', viaFor(local, newBranch()));
    headers.append('Max-Forwards', '70');
    headers.append('From', `<sip:nimbus@${local.host}>;tag=${newBranch().slice(-10)}`);
    headers.append('To', `<sip:${r.trunk.host}>`);
    headers.append('Call-ID', `${newBranch()}@${local.host}`);
    headers.append('CSeq', '1 OPTIONS');
    headers.append('Content-Length', '0');
    const req: SipRequest = {
      kind: 'request',
      method: 'OPTIONS',
      uri,
      rawUri: `sip:${r.trunk.host}`,
      headers,
      body: Buffer.alloc(0),
    };
    const sent = this.deps.clock.now();
    await new Promise<void>((done) => {
      const down = () => {
        r.health = { state: 'down', checkedAt: new Date(), rttMs: null };
        done();
      };
      this.deps.layer.sendRequest(req, dest, {
        response: (res) => {
          if (res.status < 200) return;
          r.health = { state: 'up', checkedAt: new Date(), rttMs: this.deps.clock.now() - sent };
          done();
        },
        timeout: down,
        transportError: down,
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const regs: Promise<void>[] = [];
    for (const r of this.running.values()) {
      r.pinger?.cancel();
      if (r.registration && r.registering) regs.push(r.registration.stop().catch(() => {}));
    }
    await Promise.all(regs);
    this.running.clear();
  }
}
