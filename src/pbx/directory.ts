/**
 * The configuration snapshot the SIP hot path reads (DESIGN.md §2: no database
 * query per request): tenants by SIP domain and their extensions by number. It is
 * reloaded for one tenant when the API reports a change there.
 */
import type { ToneRegion } from '../media/tones.js';
import type {
  CallClass,
  CallRules,
  ExtensionRecording,
  Forwarding,
  PresenceStatus,
  RoutingKind,
  TenantRecording,
  Trunk,
} from '../store/schema.js';
import type { Store } from '../store/store.js';
import { newSoftphoneSecret, SOFTPHONE_SECRET } from '../util/softphone-credentials.js';

/** Countries using the 425 Hz tones of the former USSR plan, and the North American plan; else ETSI. */
const RU_TONES = new Set(['RU', 'BY', 'KZ', 'UZ', 'KG', 'TJ', 'AM', 'AZ', 'GE', 'MD', 'TM', 'UA']);
const US_TONES = new Set(['US', 'CA', 'PR']);

export function toneRegionOf(country: string): ToneRegion {
  const c = country.toUpperCase();
  return RU_TONES.has(c) ? 'ru' : US_TONES.has(c) ? 'us' : 'eu';
}

export interface ExtensionEntry {
  id: string;
  number: string;
  displayName: string;
  sipSecret: string;
  dnd: boolean;
  ringTimeoutSec: number;
  forwarding: Forwarding;
  status: PresenceStatus;
  callWaiting: boolean;
  callRules: CallRules;
  /** Busy, no-answer and unreachable forwards may go to the extension's own mailbox. */
  voicemailEnabled: boolean;
  /** The portal user who owns the extension (their softphone, their notifications). */
  userId: string | null;
  /** The most expensive calls it may make (toll fraud: enforced on every path out). */
  callClass: CallClass;
  /** Number shown on its external calls (null: the tenant's default). */
  outboundCallerId: string | null;
  /** Its external calls at once (null: only the tenant's limit). */
  maxExternalCalls: number | null;
  /** Why the fraud rule stopped its external calls (null: not blocked). */
  externalBlocked: string | null;
  /** Whether its calls are recorded, per kind of call. */
  recording: ExtensionRecording;
}

/** A routing object as the router reads it; `config` has the shape of its kind (routing/types.ts). */
export interface RoutingEntry {
  id: string;
  kind: RoutingKind;
  name: string;
  number: string | null;
  config: unknown;
}

export interface TenantEntry {
  id: string;
  domain: string;
  /** IANA zone schedules are read in. */
  timeZone: string;
  /** ISO country: how numbers dialled or received are normalised. */
  country: string;
  enabled: boolean;
  /** Language of the tenant's prompts. */
  language: string;
  /** Call-progress tones (ringback, busy) its callers are used to, from the tenant's country. */
  tones: ToneRegion;
  /** Codec preference for the tenant's phones, most preferred first. */
  codecs: readonly string[];
  extensions: Map<string, ExtensionEntry>;
  extensionsById: Map<string, ExtensionEntry>;
  /** Calendars, time conditions, ring groups, queues and inbound routes by id. */
  routing: Map<string, RoutingEntry>;
  /** Ring groups and queues by internal number, inbound routes by DID. */
  routingByNumber: Map<string, RoutingEntry>;
  /** The tenant's feature codes that differ from the defaults. */
  featureCodes: Record<string, string>;
  /** External calls at once, and the most expensive class any of its extensions may have. */
  maxExternalCalls: number;
  maxCallClass: CallClass;
  /** E.164 prefixes that count as local calls. */
  localPrefixes: string[];
  /** Answered external minutes a day (null: no cap). */
  dailyExternalMinutes: number | null;
  /** Spend on external calls a day, minor units (null: no cap); warned at `spendAlertPercent`. */
  dailySpendCap: number | null;
  spendAlertPercent: number;
  /** At a cap, running external calls are cut off as well. */
  clearCallsAtCap: boolean;
  /** SIP requests a second naming its domain, per budget (null: the platform's limit). */
  sipRequestsPerSecond: number | null;
  /** Shown on external calls of extensions without their own number (null: the first of `numbers`). */
  defaultCallerId: string | null;
  /** Announcement, file layout and retention of call recordings. */
  recording: TenantRecording;
  /** The public numbers (E.164) the operator gave the tenant, in order. */
  numbers: string[];
}

/** Who owns a public number, and the trunk it is expected on. */
export interface NumberOwner {
  tenantId: string;
  trunkId: string | null;
}

export class Directory {
  private byDomain = new Map<string, TenantEntry>();
  private byId = new Map<string, TenantEntry>();
  /** The operator's trunks by id, and the public numbers given to tenants (E.164 → owner). */
  trunks = new Map<string, Trunk>();
  private owners = new Map<string, NumberOwner>();
  /** The operator's rate deck, longest prefix first. */
  private rates: { prefix: string; pricePerMinute: number }[] = [];
  /** Signs the browser softphone's short-lived SIP credentials (shared with the API, in the database). */
  softphoneSecret: string | null = null;

  constructor(private readonly store: Store) {}

  async loadAll(): Promise<void> {
    this.softphoneSecret ??= await this.store.platformSecret(SOFTPHONE_SECRET, newSoftphoneSecret);
    await this.loadPlatform();
    const byDomain = new Map<string, TenantEntry>();
    const byId = new Map<string, TenantEntry>();
    for (let offset = 0; ; offset += 200) {
      const page = await this.store.tenants.list({ limit: 200, offset });
      for (const t of page.items) {
        const entry = await this.loadTenant(t.id);
        if (entry) {
          byDomain.set(entry.domain, entry);
          byId.set(entry.id, entry);
        }
      }
      if (offset + 200 >= page.total) break;
    }
    this.byDomain = byDomain;
    this.byId = byId;
  }

  /** Trunks and the number pool (operator objects). */
  async loadPlatform(): Promise<void> {
    const trunks = await this.store.trunks.all();
    const owners = new Map<string, NumberOwner>();
    for (const n of await this.store.numbers.assigned())
      if (n.tenantId) owners.set(n.number, { tenantId: n.tenantId, trunkId: n.trunkId });
    this.trunks = new Map(trunks.map((t) => [t.id, t]));
    this.owners = owners;
    this.rates = (await this.store.rates.all())
      .map((r) => ({ prefix: r.prefix, pricePerMinute: r.pricePerMinute }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** What a minute to this E.164 number costs by the rate deck (longest prefix); null: not priced. */
  priceOf(e164: string): number | null {
    return this.rates.find((r) => e164.startsWith(r.prefix))?.pricePerMinute ?? null;
  }

  /** The tenant a public number (E.164) belongs to. */
  ownerOf(e164: string): NumberOwner | undefined {
    return this.owners.get(e164);
  }

  private async loadTenant(id: string): Promise<TenantEntry | null> {
    const t = await this.store.tenants.get(id);
    if (!t) return null;
    const extensions = new Map<string, ExtensionEntry>();
    const repo = this.store.tenant(id).extensions;
    for (let offset = 0; ; offset += 200) {
      const page = await repo.list({ limit: 200, offset });
      for (const e of page.items) {
        extensions.set(e.number, {
          id: e.id,
          number: e.number,
          displayName: e.displayName,
          sipSecret: e.sipSecret,
          dnd: e.dnd,
          ringTimeoutSec: e.ringTimeoutSec,
          forwarding: e.forwarding,
          status: e.status,
          callWaiting: e.callWaiting,
          callRules: e.callRules,
          voicemailEnabled: e.voicemailEnabled,
          userId: e.userId,
          callClass: e.callClass,
          outboundCallerId: e.outboundCallerId,
          maxExternalCalls: e.maxExternalCalls,
          externalBlocked: e.externalBlocked,
          recording: e.recording,
        });
      }
      if (offset + 200 >= page.total) break;
    }
    const routing = new Map<string, RoutingEntry>();
    const routingByNumber = new Map<string, RoutingEntry>();
    for (const o of await this.store.tenant(id).routing.all()) {
      const entry = { id: o.id, kind: o.kind, name: o.name, number: o.number, config: o.config };
      routing.set(o.id, entry);
      if (o.number !== null) routingByNumber.set(o.number, entry);
    }
    const numbers = await this.store.numbers.list({ tenantId: id, limit: 1000, offset: 0 });
    return {
      id: t.id,
      domain: t.sipDomain.toLowerCase(),
      maxExternalCalls: t.maxExternalCalls,
      maxCallClass: t.maxCallClass,
      localPrefixes: t.localPrefixes,
      dailyExternalMinutes: t.dailyExternalMinutes,
      dailySpendCap: t.dailySpendCap,
      spendAlertPercent: t.spendAlertPercent,
      clearCallsAtCap: t.clearCallsAtCap,
      sipRequestsPerSecond: t.sipRequestsPerSecond,
      defaultCallerId: t.defaultCallerId,
      recording: t.recording,
      numbers: numbers.items.map((n) => n.number),
      timeZone: t.timeZone,
      country: t.country,
      routing,
      routingByNumber,
      featureCodes: t.featureCodes,
      extensionsById: new Map([...extensions.values()].map((e) => [e.id, e])),
      enabled: t.enabled,
      language: t.language,
      tones: toneRegionOf(t.country),
      codecs: t.codecs,
      extensions,
    };
  }

  /** Reloads one tenant (or drops it if deleted); `null` reloads everything. */
  async refresh(tenantId: string | null): Promise<void> {
    if (tenantId === null) return this.loadAll();
    const old = this.byId.get(tenantId);
    const entry = await this.loadTenant(tenantId);
    if (old) this.byDomain.delete(old.domain);
    if (entry) {
      this.byId.set(entry.id, entry);
      this.byDomain.set(entry.domain, entry);
    } else this.byId.delete(tenantId);
  }

  /** Every tenant in the snapshot. */
  all(): TenantEntry[] {
    return [...this.byId.values()];
  }

  tenantById(id: string): TenantEntry | undefined {
    return this.byId.get(id);
  }

  tenantByDomain(domain: string): TenantEntry | undefined {
    const t = this.byDomain.get(domain.toLowerCase().replace(/^\[|\]$/g, ''));
    return t?.enabled ? t : undefined;
  }
}
