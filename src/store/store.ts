/**
 * The store: the only door to the database. Platform-level repositories hang off
 * the store; tenant-owned data is reached through `tenant(id)`, whose
 * repositories put `tenant_id = id` into every query they make (DESIGN.md §2).
 */
import { type Kysely, sql } from 'kysely';
import { ApiKeyDirectory, ApiKeyRepository } from './repositories/api-keys.js';
import { AudioFileRepository } from './repositories/audio-files.js';
import { AuditRepository } from './repositories/audit.js';
import { CallReportRepository } from './repositories/call-reports.js';
import { CallLog, CallRepository } from './repositories/calls.js';
import { ContactRepository } from './repositories/contacts.js';
import { ExtensionRepository } from './repositories/extensions.js';
import { IntegrationOutboxStore, IntegrationRepository } from './repositories/integrations.js';
import { PushSubscriptionRepository } from './repositories/push-subscriptions.js';
import { QueueAgentRepository } from './repositories/queues.js';
import { RateRepository } from './repositories/rates.js';
import { RecordingLog, RecordingRepository } from './repositories/recordings.js';
import { ReportScheduleRepository } from './repositories/report-schedules.js';
import { RoutingRepository } from './repositories/routing.js';
import { SessionRepository } from './repositories/sessions.js';
import { SipAllowRepository } from './repositories/sip-allow.js';
import { TenantRepository } from './repositories/tenants.js';
import { NumberRepository, TrunkRepository } from './repositories/trunks.js';
import { AccountDirectory, UserRepository } from './repositories/users.js';
import { VoicemailOutbox, VoicemailRepository } from './repositories/voicemail.js';
import { WebhookOutboxStore, WebhookRepository } from './repositories/webhooks.js';
import type { Database } from './schema.js';

export interface TenantScope {
  readonly tenantId: string;
  users: UserRepository;
  extensions: ExtensionRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
  calls: CallRepository;
  callReports: CallReportRepository;
  routing: RoutingRepository;
  queueAgents: QueueAgentRepository;
  voicemail: VoicemailRepository;
  audioFiles: AudioFileRepository;
  webhooks: WebhookRepository;
  integrations: IntegrationRepository;
  contacts: ContactRepository;
  recordings: RecordingRepository;
  reportSchedules: ReportScheduleRepository;
}

export interface PlatformScope {
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
}

export class Store {
  readonly tenants: TenantRepository;
  readonly accounts: AccountDirectory;
  readonly apiKeyDirectory: ApiKeyDirectory;
  readonly sessions: SessionRepository;
  readonly platform: PlatformScope;
  readonly callLog: CallLog;
  readonly pushSubscriptions: PushSubscriptionRepository;
  readonly voicemailOutbox: VoicemailOutbox;
  /** The operator's carrier connections and number pool (platform objects). */
  readonly trunks: TrunkRepository;
  readonly numbers: NumberRepository;
  readonly rates: RateRepository;
  /** The operator's SIP allow-list (beside NIMBUS_SIP_ALLOW). */
  readonly sipAllow: SipAllowRepository;
  readonly webhookOutbox: WebhookOutboxStore;
  readonly integrationOutbox: IntegrationOutboxStore;
  readonly recordingLog: RecordingLog;

  constructor(readonly db: Kysely<Database>) {
    this.tenants = new TenantRepository(db);
    this.accounts = new AccountDirectory(db);
    this.apiKeyDirectory = new ApiKeyDirectory(db);
    this.sessions = new SessionRepository(db);
    this.callLog = new CallLog(db);
    this.pushSubscriptions = new PushSubscriptionRepository(db);
    this.voicemailOutbox = new VoicemailOutbox(db);
    this.trunks = new TrunkRepository(db);
    this.numbers = new NumberRepository(db);
    this.rates = new RateRepository(db);
    this.sipAllow = new SipAllowRepository(db);
    this.webhookOutbox = new WebhookOutboxStore(db);
    this.integrationOutbox = new IntegrationOutboxStore(db);
    this.recordingLog = new RecordingLog(db);
    this.platform = {
      users: new UserRepository(db, null),
      apiKeys: new ApiKeyRepository(db, null),
      audit: new AuditRepository(db, null),
    };
  }

  tenant(tenantId: string): TenantScope {
    return {
      tenantId,
      users: new UserRepository(this.db, tenantId),
      extensions: new ExtensionRepository(this.db, tenantId),
      apiKeys: new ApiKeyRepository(this.db, tenantId),
      audit: new AuditRepository(this.db, tenantId),
      calls: new CallRepository(this.db, tenantId),
      callReports: new CallReportRepository(this.db, tenantId),
      routing: new RoutingRepository(this.db, tenantId),
      queueAgents: new QueueAgentRepository(this.db, tenantId),
      audioFiles: new AudioFileRepository(this.db, tenantId),
      voicemail: new VoicemailRepository(this.db, tenantId),
      webhooks: new WebhookRepository(this.db, tenantId),
      integrations: new IntegrationRepository(this.db, tenantId),
      contacts: new ContactRepository(this.db, tenantId),
      recordings: new RecordingRepository(this.db, tenantId),
      reportSchedules: new ReportScheduleRepository(this.db, tenantId),
    };
  }

  /** Runs `fn` in one transaction: a change and its audit entry commit together or not at all. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Store(trx)));
  }

  /**
   * A platform-wide secret by name, made from `make` the first time any node asks;
   * concurrent first calls (two nodes starting) agree on one value.
   */
  async platformSecret(name: string, make: () => string): Promise<string> {
    await this.db
      .insertInto('platformSecrets')
      .values({ name, value: make() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('platformSecrets')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return row.value;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}
