/**
 * Integrations at work: ticket systems and CRMs fed from PBX events, through an
 * outbox table with the webhooks' rules (the same HTTP sender with its SSRF
 * checks, lease + `skip locked` claims, backoff, a log and replays).
 *
 * - A call's end: once its record is closed (the call log writes in batches), an
 *   outside call is logged to each CRM that logs calls, and a missed one opens a
 *   ticket. Missed = an inbound call from a trunk that no person answered (a menu
 *   or queue answering it does not count), except one that rang nobody and lasted
 *   under `minSeconds` (default 5: a caller who hung up in the greeting or menu).
 * - A new voicemail opens a ticket where asked.
 * - Caller lookups (`source`): a CallerLookupSource asking each CRM of the tenant,
 *   with a bounded cache per tenant + number (positive and shorter negative TTL).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { CallerIdentity, CallerLookupSource } from '../../pbx/caller-lookup.js';
import type { PbxEvent } from '../../pbx/events.js';
import type { Integration, IntegrationSecrets } from '../../store/integration-tables.js';
import type { UpsertResult } from '../../store/repositories/contacts.js';
import type { DueIntegrationDelivery } from '../../store/repositories/integrations.js';
import type { CallRecord } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { newSealKey, seal, unseal } from '../../util/sealed.js';
import { SerialRunner } from '../../util/serial-runner.js';
import type { RecordingLinks } from '../recording-links.js';
import { defaultBackoff, type OutboundRequest, type OutboundResponse, sendHttp } from '../webhook-outbox.js';
import {
  amoCallLog,
  amoContacts,
  amoLookup,
  bitrixCallLog,
  bitrixContacts,
  bitrixLookup,
  type CallFacts,
  crmWebhookCallLog,
  crmWebhookLookup,
  DeliveryError,
  type Http,
  type LookupAnswer,
  type Resolved,
  ticketRequest,
} from './connectors.js';
import { sampleContext, type TemplateContext } from './template.js';

export interface IntegrationHubOptions {
  allowPrivate: boolean;
  /** The portal's address, for links in tickets and call logs. */
  portalUrl: string;
  pollMs?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  backoffMs?: (attempts: number) => number;
  /** Most cached lookups kept (all tenants). */
  cacheSize?: number;
  /** How long a call's record is waited for after its end event. */
  recordWaitMs?: number;
  /** How often scheduled contact syncs are looked for (default 10 min). */
  syncCheckMs?: number;
  /** A sync changed the tenant's phonebook (the PBX reloads its copy). */
  contactsChanged?: (tenantId: string) => Promise<void>;
  /** Signed links to recordings, so call logs and tickets carry one a CRM can fetch. */
  recordingLinks?: RecordingLinks;
}

/** A voicemail as a ticket sees it (the delivery's payload). */
interface VoicemailFacts {
  id: string;
  mailbox: string;
  caller: string;
  callerName: string;
  durationSec: number;
  receivedAt: string;
}

interface CachedLookup {
  answer: CallerIdentity | null;
  expires: number;
}

const LEASE_MS = 2 * 60_000;
const RETENTION_MS = 30 * 24 * 3600_000;
const SEAL_KEY = 'integrations.seal';

/** The platform key that seals integrations' secrets (made on first use, shared by the cluster). */
export function sealKey(store: Store): Promise<string> {
  return store.platformSecret(SEAL_KEY, newSealKey);
}

export function openSecrets(key: string, sealed: string): IntegrationSecrets {
  if (!sealed) return {};
  return JSON.parse(unseal(key, sealed)) as IntegrationSecrets;
}

export function sealSecrets(key: string, secrets: IntegrationSecrets): string {
  const empty = !secrets.token && !secrets.webhookUrl && Object.keys(secrets.headers ?? {}).length === 0;
  return empty ? '' : seal(key, JSON.stringify(secrets));
}

const isCrm = (i: Integration) => i.kind !== 'ticket';

/** What became of a call, for CRMs and tickets. */
export function factsOf(row: CallRecord, portalUrl: string): CallFacts | null {
  if ((row.direction !== 'inbound' && row.direction !== 'outbound') || !row.endedAt) return null;
  const answeredLeg = row.legs.find((l) => l.answeredAt !== null);
  // Inbound: a person answered (a leg to a phone). Outbound: the far end answered.
  const answeredAt =
    row.direction === 'inbound' ? (answeredLeg?.answeredAt ?? null) : (row.answeredAt?.toISOString() ?? null);
  const end = row.endedAt.getTime();
  const disposition: CallFacts['disposition'] = answeredAt
    ? 'answered'
    : row.cause === 'busy'
      ? 'busy'
      : row.cause === 'failed' || row.cause === 'unavailable' || row.cause === 'rejected'
        ? 'failed'
        : 'missed';
  const rang = [...new Set(row.legs.map((l) => l.number).filter((n): n is string => !!n))];
  return {
    id: row.id,
    direction: row.direction,
    caller: row.caller,
    callerName: row.callerName,
    callee: row.callee,
    externalNumber: row.direction === 'inbound' ? row.caller : row.callee,
    startedAt: row.startedAt.toISOString(),
    answeredAt,
    endedAt: row.endedAt.toISOString(),
    durationSec: Math.max(0, Math.round((end - row.startedAt.getTime()) / 1000)),
    talkSec: answeredAt ? Math.max(0, Math.round((end - Date.parse(answeredAt)) / 1000)) : 0,
    disposition,
    extension: row.direction === 'outbound' ? row.caller : (answeredLeg?.number ?? null),
    rang,
    // Filled in when the delivery is sent (withRecording): the file is stored after the end event.
    recordingUrl: null,
    portalUrl: `${portalUrl}/calls?call=${row.id}`,
  };
}

/** A missed call by the definition above. */
export function isMissed(f: CallFacts, minSeconds: number): boolean {
  if (f.direction !== 'inbound' || f.disposition === 'answered') return false;
  return f.rang.length > 0 || f.durationSec >= minSeconds;
}

export class IntegrationHub {
  private byTenant = new Map<string, Resolved[]>();
  private key = '';
  private poll: NodeJS.Timeout | null = null;
  private prune: NodeJS.Timeout | null = null;
  private syncCheck: NodeJS.Timeout | null = null;
  private readonly intakes = new Set<Promise<void>>();
  private readonly cache = new Map<string, CachedLookup>();
  private readonly sender = new SerialRunner(
    () => this.run(),
    (err) => this.log.error({ err }, 'integration sender failed'),
  );
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly opts: IntegrationHubOptions,
  ) {}

  get allowPrivate(): boolean {
    return this.opts.allowPrivate;
  }

  async start(): Promise<void> {
    await this.reload();
    this.poll = setInterval(() => this.kick(), this.opts.pollMs ?? 5000);
    this.poll.unref();
    this.prune = setInterval(() => {
      this.store.integrationOutbox
        .prune(new Date(Date.now() - RETENTION_MS))
        .catch((err: unknown) => this.log.warn({ err }, 'integration log pruning failed'));
    }, 3600_000);
    this.prune.unref();
    // Contact syncs a CRM integration asks for every N hours go through the outbox like any
    // delivery: leased (one node runs each), retried, and shown in the integration's log.
    const scheduled = () =>
      void this.queueDueSyncs().catch((err: unknown) =>
        this.log.warn({ err }, 'contact sync scheduling failed'),
      );
    this.syncCheck = setInterval(scheduled, this.opts.syncCheckMs ?? 600_000);
    this.syncCheck.unref();
    scheduled();
    this.kick();
  }

  /** Queues a contact sync for each CRM integration whose interval has passed since its last one. */
  async queueDueSyncs(): Promise<void> {
    let queued = false;
    for (const [tenantId, list] of this.byTenant)
      for (const r of list) {
        const hours = r.integration.config.syncContactsHours ?? 0;
        if (hours <= 0 || (r.integration.kind !== 'bitrix24' && r.integration.kind !== 'amocrm')) continue;
        const since = new Date(Date.now() - hours * 3600_000);
        if (await this.store.integrationOutbox.queueSyncUnlessSince(tenantId, r.integration.id, since))
          queued = true;
      }
    if (queued) this.kick();
  }

  /** The integrations changed: read them again and forget cached lookups. */
  async reload(): Promise<void> {
    this.key ||= await sealKey(this.store);
    const map = new Map<string, Resolved[]>();
    for (const integration of await this.store.integrationOutbox.enabled()) {
      let secrets: IntegrationSecrets = {};
      try {
        secrets = openSecrets(this.key, integration.secrets);
      } catch (err) {
        this.log.error({ err, integration: integration.id }, 'integration secrets cannot be opened');
      }
      const list = map.get(integration.tenantId) ?? [];
      list.push({ integration, secrets });
      map.set(integration.tenantId, list);
    }
    this.byTenant = map;
    this.cache.clear();
  }

  /** Opens an integration that may be disabled (tests from the portal, sync). */
  async resolve(integration: Integration): Promise<Resolved> {
    this.key ||= await sealKey(this.store);
    return { integration, secrets: openSecrets(this.key, integration.secrets) };
  }

  private http(timeoutMs = this.opts.timeoutMs ?? 10_000, signal?: AbortSignal): Http {
    return (r: OutboundRequest): Promise<OutboundResponse> =>
      sendHttp(r, timeoutMs, this.opts.allowPrivate, signal);
  }

  // ------------------------------------------------------------ events in

  /** An event from the PBX; never blocks the caller. */
  onEvent(e: PbxEvent): void {
    if (this.stopping) return;
    const list = this.byTenant.get(e.tenantId);
    if (!list) return;
    if (e.type === 'call.ended') {
      const wanted = list.some((r) =>
        r.integration.kind === 'ticket' ? r.integration.config.onMissedCall : r.integration.config.logCalls,
      );
      if (wanted) this.track(this.intakeCall(e.tenantId, e.call.id));
    } else if (e.type === 'voicemail.new') {
      const targets = list.filter((r) => r.integration.kind === 'ticket' && r.integration.config.onVoicemail);
      if (!targets.length) return;
      const m = e.message;
      const payload: VoicemailFacts = {
        id: m.id,
        mailbox: m.mailbox,
        caller: m.caller,
        callerName: m.callerName,
        durationSec: Math.round(m.durationMs / 1000),
        receivedAt: m.receivedAt,
      };
      this.track(
        this.queue(
          targets.map((r) => ({
            tenantId: e.tenantId,
            integrationId: r.integration.id,
            eventType: 'voicemail',
            payload,
          })),
        ),
      );
    }
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) => this.log.error({ err }, 'integration intake failed'));
    this.intakes.add(q);
    void q.finally(() => this.intakes.delete(q));
  }

  private async queue(
    rows: { tenantId: string; integrationId: string; eventType: string; payload: unknown }[],
  ): Promise<void> {
    if (!rows.length) return;
    await this.store.integrationOutbox.add(rows);
    this.kick();
  }

  /** Waits for the call's record to be closed, then queues what it means for each integration. */
  private async intakeCall(tenantId: string, callId: string): Promise<void> {
    const calls = this.store.tenant(tenantId).calls;
    const until = Date.now() + (this.opts.recordWaitMs ?? 10_000);
    let row = await calls.get(callId);
    for (let wait = 20; row && !row.endedAt && Date.now() < until; wait = Math.min(wait * 2, 500)) {
      await new Promise((r) => setTimeout(r, wait));
      row = await calls.get(callId);
    }
    if (!row?.endedAt) return;
    const facts = factsOf(row, this.opts.portalUrl);
    if (!facts) return; // internal calls concern no CRM or ticket system
    const rows = (this.byTenant.get(tenantId) ?? []).flatMap((r) => {
      const c = r.integration.config;
      const base = { tenantId, integrationId: r.integration.id, payload: facts };
      if (r.integration.kind === 'ticket')
        return c.onMissedCall && isMissed(facts, c.minSeconds ?? 5)
          ? [{ ...base, eventType: 'missedCall' }]
          : [];
      if (!c.logCalls) return [];
      if (r.integration.kind === 'crmWebhook' && !c.callLogUrl) return [];
      return [{ ...base, eventType: 'callLog' }];
    });
    await this.queue(rows);
  }

  /** A sample delivery now (the portal's "send a test"). */
  async test(tenantId: string, integrationId: string): Promise<void> {
    await this.queue([{ tenantId, integrationId, eventType: 'test', payload: {} }]);
  }

  // ------------------------------------------------------------ sending

  kick(): void {
    if (!this.stopping) this.sender.kick();
  }

  /** Waits until what is queued now has been tried (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.intakes.size) await Promise.all([...this.intakes]);
    await this.sender.idle();
  }

  async close(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    if (this.prune) clearInterval(this.prune);
    if (this.syncCheck) clearInterval(this.syncCheck);
    while (this.intakes.size) await Promise.all([...this.intakes]);
    this.stopping = true;
    await this.sender.idle();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const due = await this.store.integrationOutbox.claim(new Date(), 20, LEASE_MS);
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.send(d)));
    }
  }

  private async resolvedById(tenantId: string, id: string): Promise<Resolved | null> {
    const cached = this.byTenant.get(tenantId)?.find((r) => r.integration.id === id);
    if (cached) return cached;
    const row = await this.store.tenant(tenantId).integrations.get(id);
    return row ? this.resolve(row) : null;
  }

  /**
   * The call's facts with a signed link to its recording, looked up when the
   * delivery is sent: the recording is finished a moment after the call's end
   * event, and a link to one still being made starts working once it is stored.
   */
  private async withRecording(tenantId: string, f: CallFacts): Promise<CallFacts> {
    const links = this.opts.recordingLinks;
    if (!links || f.recordingUrl || !f.id) return f;
    const page = await this.store.tenant(tenantId).recordings.list({ limit: 1, offset: 0, callId: f.id });
    const rec = page.items[0];
    return rec ? { ...f, recordingUrl: await links.url(rec.id) } : f;
  }

  private async tenantInfo(tenantId: string): Promise<{ name: string; domain: string }> {
    const t = await this.store.tenants.get(tenantId);
    return { name: t?.name ?? '', domain: t?.sipDomain ?? '' };
  }

  /** The values a ticket template sees for a delivery. */
  private async contextOf(d: DueIntegrationDelivery): Promise<TemplateContext> {
    const portal = this.opts.portalUrl;
    const tenant = await this.tenantInfo(d.tenantId);
    if (d.eventType === 'test') return sampleContext(portal, tenant);
    const base = { portal: { callUrl: '', voicemailUrl: `${portal}/voicemail` }, tenant };
    if (d.eventType === 'voicemail') {
      const v = d.payload as VoicemailFacts;
      // The transcript is read now: it may have been made after the message was left.
      const msg = await this.store.tenant(d.tenantId).voicemail.getMessage(v.id);
      return {
        ...base,
        event: 'voicemail',
        // The call that left it, as far as the message knows it.
        call: {
          id: '',
          caller: v.caller,
          callerName: v.callerName,
          callee: v.mailbox,
          direction: 'inbound',
          startedAt: v.receivedAt,
          endedAt: v.receivedAt,
          durationSec: v.durationSec,
          disposition: 'missed',
          recordingUrl: null,
        },
        voicemail: {
          id: v.id,
          mailbox: v.mailbox,
          duration: v.durationSec,
          transcript: msg?.transcript ?? '',
          receivedAt: v.receivedAt,
        },
      };
    }
    const f = await this.withRecording(d.tenantId, d.payload as CallFacts);
    return {
      ...base,
      event: d.eventType,
      call: {
        id: f.id,
        caller: f.caller,
        callerName: f.callerName,
        callee: f.callee,
        direction: f.direction,
        startedAt: f.startedAt,
        endedAt: f.endedAt,
        durationSec: f.durationSec,
        disposition: f.disposition,
        recordingUrl: f.recordingUrl,
      },
      voicemail: null,
      portal: { ...base.portal, callUrl: f.portalUrl },
    };
  }

  private async send(d: DueIntegrationDelivery): Promise<void> {
    let request: OutboundRequest | null = null;
    let status: number | null = null;
    let response: string | null = null;
    let error: string;
    try {
      const r = await this.resolvedById(d.tenantId, d.integrationId);
      if (!r) throw new DeliveryError('The integration is gone', null, null);
      const http = this.http();
      // Every request is remembered for the log (the last one is what the log shows).
      const logged: Http = async (req) => {
        request = req;
        const res = await http(req);
        status = res.status;
        response = res.body;
        return res;
      };
      const kind = r.integration.kind;
      if (d.eventType === 'contactSync') {
        const result = await this.syncContacts(r, logged);
        // The log shows the CRM's last answer's status and what the phonebook got.
        response = JSON.stringify(result);
      } else if (kind === 'ticket') {
        const res = await logged(ticketRequest(r, await this.contextOf(d)));
        if (res.status < 200 || res.status >= 300)
          throw new DeliveryError(`HTTP ${res.status}`, res.status, res.body);
      } else {
        const facts =
          d.eventType === 'test'
            ? sampleFacts(this.opts.portalUrl)
            : await this.withRecording(d.tenantId, d.payload as CallFacts);
        if (kind === 'bitrix24')
          await bitrixCallLog(r, facts, logged, d.state, (s) =>
            this.store.integrationOutbox.saveState(d.id, s),
          );
        else {
          const req = kind === 'amocrm' ? amoCallLog(r, facts) : crmWebhookCallLog(r, facts);
          const res = await logged(req);
          if (res.status < 200 || res.status >= 300)
            throw new DeliveryError(`HTTP ${res.status}`, res.status, res.body);
        }
      }
      await this.store.integrationOutbox.delivered(
        d.id,
        status ?? 0,
        new Date(),
        redacted(request),
        response ?? '',
      );
      return;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (e instanceof DeliveryError) {
        status = e.status ?? status;
        response = e.response ?? response;
      }
    }
    const max = this.opts.maxAttempts ?? 10;
    const backoff = this.opts.backoffMs ?? defaultBackoff;
    const retryAt = d.attempts >= max ? null : new Date(Date.now() + backoff(d.attempts));
    this.log.warn(
      { integration: d.integrationId, attempts: d.attempts, error },
      'integration delivery failed',
    );
    await this.store.integrationOutbox.failed(d.id, {
      status,
      error,
      retryAt,
      request: redacted(request),
      response,
    });
  }

  // ------------------------------------------------------------ lookups

  /** Asks one CRM about a number, now (no cache): the portal's "test lookup" and the source below. */
  async ask(r: Resolved, number: string, signal?: AbortSignal): Promise<LookupAnswer | null> {
    const http = this.http(r.integration.config.timeoutMs ?? 1000, signal);
    switch (r.integration.kind) {
      case 'crmWebhook':
        return crmWebhookLookup(r, number, http);
      case 'bitrix24':
        return bitrixLookup(r, number, http);
      case 'amocrm':
        return amoLookup(r, number, http);
      default:
        return null;
    }
  }

  /** The CRM's owner as an extension of the tenant: through the map, an extension number, or a user's email. */
  async ownerExtension(r: Resolved, owner: string | null): Promise<string | null> {
    if (!owner) return null;
    const mapped = r.integration.config.userMap?.[owner] ?? owner;
    const t = this.store.tenant(r.integration.tenantId);
    if (await t.extensions.getByNumber(mapped)) return mapped;
    if (!mapped.includes('@')) return null;
    const user = await this.store.accounts.findByEmail(mapped);
    if (!user || user.tenantId !== r.integration.tenantId) return null;
    const own = await t.extensions.list({ userId: user.id, limit: 1, offset: 0 });
    return own.items[0]?.number ?? null;
  }

  /** A source for the shared CallerLookup: every CRM of the tenant that looks up, first answer with a name first. */
  source(): CallerLookupSource {
    return {
      name: 'crm',
      lookup: async (tenantId, number, signal) => {
        const crms = (this.byTenant.get(tenantId) ?? []).filter(
          (r) => isCrm(r.integration) && r.integration.config.lookup,
        );
        if (!crms.length) return null;
        const answers = await Promise.all(
          crms.map((r) =>
            this.cachedLookup(r, number, signal).catch((err: unknown) => {
              if (!signal.aborted) this.log.warn({ err, integration: r.integration.id }, 'CRM lookup failed');
              return null;
            }),
          ),
        );
        return answers.find((a) => a?.name) ?? answers.find((a) => a?.owner) ?? null;
      },
    };
  }

  private async cachedLookup(
    r: Resolved,
    number: string,
    signal: AbortSignal,
  ): Promise<CallerIdentity | null> {
    const key = `${r.integration.id}|${number}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) {
      // Refreshed as the most recently used (the map's order is the eviction order).
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.answer;
    }
    const answer = await this.ask(r, number, signal);
    const identity: CallerIdentity | null = answer
      ? {
          name: answer.name,
          owner: await this.ownerExtension(r, answer.owner),
          source: `crm:${r.integration.kind}`,
        }
      : null;
    const c = r.integration.config;
    const ttl = identity ? (c.cacheTtlSec ?? 300) : (c.negativeTtlSec ?? 60);
    if (ttl > 0) {
      this.cache.delete(key);
      this.cache.set(key, { answer: identity, expires: now + ttl * 1000 });
      const max = this.opts.cacheSize ?? 10_000;
      while (this.cache.size > max) {
        const oldest = this.cache.keys().next().value;
        if (oldest === undefined) break;
        this.cache.delete(oldest);
      }
    }
    return identity;
  }

  // ------------------------------------------------------------ contacts

  /** Copies the CRM's contacts into the phonebook (source 'crm:<kind>'), removing those gone from the CRM. */
  async syncContacts(r: Resolved, http: Http = this.http(30_000)): Promise<UpsertResult> {
    const items =
      r.integration.kind === 'bitrix24'
        ? await bitrixContacts(r, http)
        : r.integration.kind === 'amocrm'
          ? await amoContacts(r, http)
          : [];
    const result = await this.store
      .tenant(r.integration.tenantId)
      .contacts.upsertFromSource(`crm:${r.integration.kind}`, items, { removeMissing: true });
    await this.opts.contactsChanged?.(r.integration.tenantId);
    return result;
  }
}

/** The request for the log: its method, URL and body; headers (tokens) are never stored. */
function redacted(r: OutboundRequest | null): unknown {
  if (!r) return null;
  // A Bitrix24 webhook URL carries its key in the path: only the method name is kept.
  const url = /\/rest\/[^/]+\/[^/]+\/([^/]+)$/.test(r.url)
    ? r.url.replace(/\/rest\/[^/]+\/[^/]+\//, '/rest/…/…/')
    : r.url;
  return { method: r.method, url, body: r.body ?? null };
}

function sampleFacts(portalUrl: string): CallFacts {
  const now = Date.now();
  const id = '00000000-0000-4000-8000-000000000000';
  return {
    id,
    direction: 'inbound',
    caller: '+74951234567',
    callerName: 'Test Caller',
    callee: '+74957654321',
    externalNumber: '+74951234567',
    startedAt: new Date(now - 60_000).toISOString(),
    answeredAt: new Date(now - 50_000).toISOString(),
    endedAt: new Date(now).toISOString(),
    durationSec: 60,
    talkSec: 50,
    disposition: 'answered',
    extension: null,
    rang: [],
    recordingUrl: null,
    portalUrl: `${portalUrl}/calls?call=${id}`,
  };
}
