/**
 * Table types as Kysely sees them. Columns are snake_case in SQL and camelCase
 * here (CamelCasePlugin translates), so the rest of the code reads naturally.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { IntegrationDeliveriesTable, IntegrationsTable } from './integration-tables.js';
import type { ReportSchedulesTable } from './report-tables.js';

export const ROLES = ['operator', 'tenant_admin', 'supervisor', 'user'] as const;
export type Role = (typeof ROLES)[number];

export const LANGUAGES = ['ru', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Outbound call classes, from least to most expensive (DESIGN.md §5, toll fraud). */
export const CALL_CLASSES = ['internal', 'local', 'national', 'international'] as const;
export type CallClass = (typeof CALL_CLASSES)[number];

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** Set by the database on insert, never changed. */
type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** jsonb: read as the parsed value, written as JSON text. */
type Json<T> = ColumnType<T, string, string>;

export interface ForwardRule {
  enabled: boolean;
  /** Internal extension or external number the call is sent to. */
  target: string;
  /** The call goes to the extension's own mailbox instead of `target` (busy, no answer, unreachable). */
  voicemail?: boolean;
}

export interface Forwarding {
  always: ForwardRule;
  busy: ForwardRule;
  noAnswer: ForwardRule;
  unreachable: ForwardRule;
}

export interface TenantsTable {
  id: Generated<string>;
  name: string;
  sipDomain: string;
  timeZone: string;
  language: Language;
  country: string;
  maxExtensions: number;
  maxConcurrentCalls: number;
  /** Codec preference for this tenant's phones, most preferred first (G.711 laws the relay moves). */
  codecs: ColumnType<MediaCodec[], string | undefined, string>;
  /** The tenant's own feature codes by feature (`{ dndOn: '*78' }`); features not named use the defaults. */
  featureCodes: ColumnType<Record<string, string>, string | undefined, string>;
  /** External calls (through trunks) of the tenant at once. */
  maxExternalCalls: ColumnType<number, number | undefined, number>;
  /** The most expensive call class the operator allows this tenant's extensions (international off by default). */
  maxCallClass: ColumnType<CallClass, CallClass | undefined, CallClass>;
  /** E.164 prefixes that are "local" calls for this tenant ('+7495'). */
  localPrefixes: ColumnType<string[], string | undefined, string>;
  /** Minutes of answered external calls a day before further ones are refused (null: no cap). */
  dailyExternalMinutes: ColumnType<number | null, number | null | undefined, number | null>;
  /** Spend on external calls a day (minor units, by the rate deck) before further ones are refused (null: no cap). */
  dailySpendCap: ColumnType<number | null, number | null | undefined, number | null>;
  /** The share of the spend cap (percent) at which the tenant is warned. */
  spendAlertPercent: ColumnType<number, number | undefined, number>;
  /** At the daily minutes or spend cap, running external calls are cut off too (not only new ones refused). */
  clearCallsAtCap: ColumnType<boolean, boolean | undefined, boolean>;
  /** SIP requests a second naming the tenant's domain, per budget (null: the platform's limit). */
  sipRequestsPerSecond: ColumnType<number | null, number | null | undefined, number | null>;
  /** The number shown on external calls when an extension has none of its own (null: the first of its pool). */
  defaultCallerId: ColumnType<string | null, string | null | undefined, string | null>;
  /** Announcement, file layout and retention of its call recordings. */
  recording: ColumnType<TenantRecording, string | undefined, string>;
  enabled: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  tenantId: string | null;
  email: string;
  displayName: string;
  passwordHash: string;
  role: Role;
  language: Language | null;
  totpSecret: string | null;
  totpEnabled: Generated<boolean>;
  /** Last accepted TOTP step (bigint: read as a string). */
  totpLastStep: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  disabled: Generated<boolean>;
  lastLoginAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export const PRESENCE_STATUSES = ['available', 'away', 'lunch', 'trip'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

/** What a status does with a call: ring my phones, run follow-me, refuse as busy, or forward. */
export interface StatusAction {
  action: 'ring' | 'followMe' | 'busy' | 'forward';
  /** The number for 'forward'. */
  target?: string;
}

export interface CallRules {
  /** Ordered steps, each ringing its numbers together; the desk phone may ring throughout. */
  followMe?: {
    ringDesk: boolean;
    steps: { numbers: string[]; ringSec: number }[];
    /** Outside numbers must press 1 before the call is theirs (confirm-call); unset means yes. */
    confirmExternal?: boolean;
  };
  /** Per status, for callers from inside the company and from outside. Missing: ring. */
  profiles?: Partial<Record<PresenceStatus, { internal: StatusAction; external: StatusAction }>>;
  /** Callers (numbers or prefixes ending in *) who always ring, whatever the status. */
  exceptions?: string[];
  /** While this calendar is closed and no status was chosen by hand, the status is `whenClosed`. */
  statusByCalendar?: { calendarId: string; whenClosed: PresenceStatus } | null;
  /** Calls are screened by a secretary (the boss–secretary filter). */
  secretary?: {
    number: string;
    /** secretary: only the secretary rings; both: both at once; secretaryFirst: the boss joins after firstSec. */
    mode: 'secretary' | 'both' | 'secretaryFirst';
    firstSec: number;
    /** Callers who reach the boss directly (the secretary always does). */
    direct: string[];
  } | null;
}

export interface ExtensionsTable {
  id: Generated<string>;
  tenantId: string;
  number: string;
  displayName: string;
  userId: string | null;
  sipSecret: string;
  voicemailEnabled: boolean;
  voicemailPin: string | null;
  callClass: CallClass;
  dnd: boolean;
  ringTimeoutSec: number;
  forwarding: Json<Forwarding>;
  status: ColumnType<PresenceStatus, PresenceStatus | undefined, PresenceStatus>;
  callWaiting: ColumnType<boolean, boolean | undefined, boolean>;
  callRules: ColumnType<CallRules, string | undefined, string>;
  /** The number shown on this extension's external calls (one of the tenant's pool; null: the tenant's default). */
  outboundCallerId: ColumnType<string | null, string | null | undefined, string | null>;
  /** External calls of this extension at once (null: only the tenant's limit). */
  maxExternalCalls: ColumnType<number | null, number | null | undefined, number | null>;
  /** Set by the fraud rule (why): the extension may make no external calls until an admin clears it. */
  externalBlocked: ColumnType<string | null, string | null | undefined, string | null>;
  /** Whether its calls are recorded, per direction × internal/external (issue 10). */
  recording: ColumnType<ExtensionRecording, string | undefined, string>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export const TRUNK_KINDS = ['register', 'ip'] as const;
export const TRUNK_TRANSPORTS = ['UDP', 'TCP', 'TLS'] as const;
export const NUMBER_FORMATS = ['e164', 'e164NoPlus', 'national', 'local'] as const;
export const CALLER_ID_HEADERS = ['pai', 'rpid', 'from'] as const;
export const DID_SOURCES = ['requestUri', 'to', 'diversion'] as const;

/** A carrier connection of the platform (issue 9): registration-based or by IP. */
export interface TrunksTable {
  id: Generated<string>;
  name: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  kind: (typeof TRUNK_KINDS)[number];
  /** The carrier's host: a name resolved by RFC 3263 (NAPTR, SRV, A) or an address. */
  host: string;
  /** Null: from DNS SRV, else 5060/5061. */
  port: number | null;
  transport: (typeof TRUNK_TRANSPORTS)[number];
  /** The account at the carrier (From user of REGISTER; digest user when authUsername is null). */
  username: string | null;
  authUsername: string | null;
  /** The digest realm the carrier challenges with; when set, a challenge in any other realm is not answered. */
  realm: ColumnType<string | null, string | null | undefined, string | null>;
  /** Digest password (registration and calls challenged by the carrier); never read back through the API. */
  password: string | null;
  expirySec: ColumnType<number, number | undefined, number>;
  /** Our Contact user in REGISTER: the carrier sends calls to it. */
  contactUser: string | null;
  /** Addresses or CIDR ranges calls from this carrier come from (the host's own addresses count too). */
  addresses: ColumnType<string[], string | undefined, string>;
  codecs: ColumnType<MediaCodec[], string | undefined, string>;
  maxChannels: number | null;
  numberFormat: (typeof NUMBER_FORMATS)[number];
  /** The country whose national format the carrier uses. */
  country: string;
  areaCode: string | null;
  callerIdHeader: (typeof CALLER_ID_HEADERS)[number];
  /** Where the dialled DID of an inbound call is read. */
  didSource: (typeof DID_SOURCES)[number];
  /** OPTIONS health checks every so many seconds (null: none). */
  optionsIntervalSec: number | null;
  /** Tenants whose calls may go out through it (null: every tenant). */
  tenantIds: ColumnType<string[] | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** A public number (DID) in the operator's pool, and the tenant it is given to. */
/** A tenant's webhook endpoint: where its events are POSTed, signed with its secret. */
export interface WebhooksTable {
  id: Generated<string>;
  tenantId: string;
  url: string;
  secret: string;
  /** Event types it wants (see WEBHOOK_EVENTS). */
  events: ColumnType<string[], string, string>;
  description: ColumnType<string, string | undefined, string>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint: the outbox row, and afterwards its log entry. */
export interface WebhookDeliveriesTable {
  id: Generated<string>;
  tenantId: string;
  webhookId: string;
  eventType: string;
  payload: ColumnType<unknown, string, string>;
  status: ColumnType<WebhookDeliveryStatus, WebhookDeliveryStatus | undefined, WebhookDeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  nextAttemptAt: ColumnType<Date, Date | undefined, Date>;
  lastStatus: ColumnType<number | null, number | null | undefined, number | null>;
  lastError: ColumnType<string | null, string | null | undefined, string | null>;
  deliveredAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  createdAt: CreatedAt;
}

/** The operator's rate deck: what a minute to numbers under a prefix costs a tenant. */
export interface RatesTable {
  id: Generated<string>;
  /** E.164 prefix with the plus ("+7", "+7495"); the longest matching prefix prices a call. */
  prefix: string;
  /** Minor units (kopecks, cents) per minute, billed by the second. */
  pricePerMinute: number;
  description: ColumnType<string, string | undefined, string>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** The operator's SIP allow-list, beside the node's NIMBUS_SIP_ALLOW. */
export interface SipAllowListTable {
  id: Generated<string>;
  /** An address or CIDR range in canonical form. */
  cidr: string;
  note: ColumnType<string, string | undefined, string>;
  createdAt: CreatedAt;
}

export interface NumbersTable {
  id: Generated<string>;
  /** E.164 with the plus. */
  number: string;
  tenantId: string | null;
  trunkId: string | null;
  note: ColumnType<string, string | undefined, string>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenantId: string | null;
  name: string;
  prefix: string;
  secretHash: string;
  role: Role;
  createdBy: string | null;
  createdAt: CreatedAt;
  lastUsedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  expiresAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface SessionsTable {
  id: string;
  userId: string;
  createdAt: CreatedAt;
  expiresAt: Timestamp;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  tenantId: string | null;
  at: CreatedAt;
  actorType: 'user' | 'api_key' | 'system';
  actorId: string | null;
  actorLabel: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: Json<Record<string, unknown> | null>;
  after: Json<Record<string, unknown> | null>;
  ip: string | null;
}

export interface CallLeg {
  /** The extension the leg rang (absent on rows from before routing). */
  number?: string;
  /** The contact (device) the leg rang. */
  target: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  sipStatus: number | null;
}

/** One step of a call's way through the tenant's routing, in order (the CDR's trail). */
export interface RouteStep {
  at: string;
  /** Destination kind (extension, ringGroup, timeCondition, inboundRoute, forward, ...). */
  kind: string;
  id: string | null;
  /** What the step was, readable: "Sales (ring group 600)". */
  name: string;
  /** What came of it: "answered", "busy", "no-answer", "open", "closed", "forward always -> 102"... */
  outcome: string;
}

export const ROUTING_KINDS = [
  'calendar',
  'timeCondition',
  'ringGroup',
  'inboundRoute',
  'queue',
  'ivr',
  'outboundRoute',
] as const;
export type RoutingKind = (typeof ROUTING_KINDS)[number];

/**
 * A routing object of a tenant: its kind's settings live in `config`, checked by
 * the API when saved (the store does not know their shape).
 */
export interface RoutingObjectsTable {
  id: Generated<string>;
  tenantId: string;
  kind: RoutingKind;
  name: string;
  /** Dialable internal number (ring groups) or DID (inbound routes); null for the others. */
  number: string | null;
  config: Json<unknown>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export const MEDIA_CODECS = ['PCMA', 'PCMU'] as const;
export type MediaCodec = (typeof MEDIA_CODECS)[number];

/** One leg's media quality as measured by the relay (RTP receive side and RTCP). */
export interface LegQuality {
  packetsReceived: number;
  packetsSent: number;
  packetsLost: number;
  lossRatio: number;
  jitterMs: number;
  rttMs: number | null;
  remoteLossRatio: number | null;
  mos: number;
}

export interface CallQualityRecord {
  caller: LegQuality | null;
  callee: LegQuality | null;
}

export type CallStatus = 'ringing' | 'answered' | 'ended' | 'interrupted';

export interface CallsTable {
  id: Generated<string>;
  tenantId: string;
  sipCallId: string;
  caller: string;
  callerName: string;
  callee: string;
  direction: 'internal' | 'inbound' | 'outbound';
  status: CallStatus;
  startedAt: Timestamp;
  answeredAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  endedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** normal | busy | no-answer | cancelled | unavailable | rejected | failed | interrupted */
  cause: string | null;
  sipStatus: number | null;
  hangupBy: 'caller' | 'callee' | 'system' | null;
  legs: Json<CallLeg[]>;
  trail: ColumnType<RouteStep[], string | undefined, string>;
  /** Tags from IVR menus and choices ("sales", "vip"): for reports and integrations. */
  tags: ColumnType<string[], string | undefined, string>;
  quality: ColumnType<CallQualityRecord | null, string | null | undefined, string | null>;
  /** The worse leg's estimated MOS, null when media was not anchored or never flowed. */
  mos: number | null;
  node: string;
  /** The trunk an external call went through (its name when it was made). */
  trunk: ColumnType<string | null, string | null | undefined, string | null>;
  /** What the call cost by the rate deck (minor units); null: nothing priced went out. */
  cost: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface PlatformSecretsTable {
  name: string;
  value: string;
  createdAt: ColumnType<Date, never, never>;
}

export interface PushSubscriptionsTable {
  endpoint: string;
  userId: string;
  p256dh: string;
  auth: string;
  userAgent: string | null;
  createdAt: ColumnType<Date, never, never>;
}

/** A queue agent's own choices: dynamic queues logged into, pause (issue 7). */
export interface QueueAgentsTable {
  tenantId: string;
  number: string;
  queues: Json<string[]>;
  paused: boolean;
  pauseReason: string;
  updatedAt: Timestamp;
}

/** Figures of one queue (agent '') or one agent in it, for one 15-minute interval. */
export interface QueueStatsTable {
  tenantId: string;
  queueId: string;
  intervalStart: Timestamp;
  agent: string;
  /** The node and process run that counted these (rows are added up in reports). */
  source: string;
  figures: Json<Record<string, unknown>>;
}

export const VOICEMAIL_FOLDERS = ['inbox', 'saved'] as const;
export type VoicemailFolder = (typeof VOICEMAIL_FOLDERS)[number];
export const GREETING_KINDS = ['unavailable', 'busy', 'temporary', 'name'] as const;
export type GreetingKind = (typeof GREETING_KINDS)[number];

/** A mailbox: an extension's own (id = the extension's id) or a shared group mailbox with a number. */
export interface VoicemailBoxesTable {
  id: Generated<string>;
  tenantId: string;
  extensionId: string | null;
  /** Group mailboxes only: the number it is reached and listened to by (*98). */
  number: string | null;
  name: ColumnType<string, string | undefined, string>;
  /** Group mailboxes: extension numbers whose users may listen. */
  members: ColumnType<string[], string | undefined, string>;
  /** argon2id hash of the PIN; null: no PIN (only the owner's own phone gets in, with *97). */
  pinHash: string | null;
  email: string | null;
  attachAudio: ColumnType<boolean, boolean | undefined, boolean>;
  /** The attached audio's format: WAV as recorded, or MP3 (a tenth of the size). */
  attachFormat: ColumnType<'wav' | 'mp3', 'wav' | 'mp3' | undefined, 'wav' | 'mp3'>;
  deleteAfterEmail: ColumnType<boolean, boolean | undefined, boolean>;
  maxMessageSec: ColumnType<number, number | undefined, number>;
  /** Most messages the mailbox holds; callers hear "the mailbox is full" past it. */
  quota: ColumnType<number, number | undefined, number>;
  /** recorded: the recorded greeting when there is one; generated: always "the person at extension N...". */
  greeting: ColumnType<
    'recorded' | 'generated',
    'recorded' | 'generated' | undefined,
    'recorded' | 'generated'
  >;
  /** Which greetings are recorded (files under the mailbox's folder). */
  greetings: ColumnType<Partial<Record<GreetingKind, boolean>>, string | undefined, string>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** A voicemail message; its audio is <dataDir>/voicemail/<tenant>/<box>/<id>.wav. */
export interface VoicemailMessagesTable {
  id: string;
  tenantId: string;
  boxId: string;
  caller: string;
  callerName: string;
  durationMs: number;
  sizeBytes: number;
  receivedAt: Timestamp;
  folder: ColumnType<VoicemailFolder, VoicemailFolder | undefined, VoicemailFolder>;
  heard: ColumnType<boolean, boolean | undefined, boolean>;
  /** What a speech-to-text engine made of it (null: none yet, or nothing understood). */
  transcript: ColumnType<string | null, string | null | undefined, string | null>;
  transcriptStatus: ColumnType<TranscriptStatus, TranscriptStatus | undefined, TranscriptStatus>;
  /** The secret of the message's email links (mark heard, delete); null for messages stored before them. */
  actionKey: ColumnType<string | null, string | null | undefined, never>;
  createdAt: CreatedAt;
}

export type TranscriptStatus = 'none' | 'pending' | 'done' | 'failed';

/** Voicemail to email: one row per message to send, retried with backoff until sent. */
export interface VoicemailEmailsTable {
  id: Generated<string>;
  tenantId: string;
  messageId: string;
  toAddress: string;
  attempts: ColumnType<number, number | undefined, number>;
  nextAttemptAt: Timestamp;
  lastError: string | null;
  sentAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  createdAt: CreatedAt;
}

/** A tenant's own audio (IVR greetings, prompts); the WAV is `<dataDir>/audio/<tenant>/<id>.wav`. */
export interface AudioFilesTable {
  id: string;
  tenantId: string;
  name: string;
  durationMs: number;
  sizeBytes: number;
  createdAt: CreatedAt;
}

/** One of a contact's numbers as written, with what it says (mobile, work...). */
export interface ContactNumber {
  number: string;
  label: string;
}

/** A phonebook entry (tenant's contacts): caller names, the softphone's directory, dial-by-name. */
export interface ContactsTable {
  id: Generated<string>;
  tenantId: string;
  name: string;
  company: ColumnType<string, string | undefined, string>;
  numbers: ColumnType<ContactNumber[], string | undefined, string>;
  /** The numbers normalised (E.164 by the tenant's country, or digits): what lookups match. */
  numberKeys: ColumnType<string[], string[] | undefined, string[]>;
  email: ColumnType<string, string | undefined, string>;
  notes: ColumnType<string, string | undefined, string>;
  /** 'manual', 'import' or 'crm:<connector>'. */
  source: ColumnType<string, string | undefined, string>;
  /** The source's own id (a CRM's), unique per tenant and source. */
  externalId: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

/** An extension's recording choice for one kind of call. */
export const RECORDING_CHOICES = ['always', 'onDemand', 'never'] as const;
export type RecordingChoice = (typeof RECORDING_CHOICES)[number];

/** The four kinds of call an extension takes part in, seen from the extension. */
export interface ExtensionRecording {
  inboundExternal: RecordingChoice;
  inboundInternal: RecordingChoice;
  outboundExternal: RecordingChoice;
  outboundInternal: RecordingChoice;
}

export interface TenantRecording {
  /** Parties hear "this call is recorded" when a recording starts (a beep when it pauses or resumes). */
  announce: boolean;
  /** One mixed channel, or stereo with the caller left and the callee right. */
  mode: 'mixed' | 'stereo';
  /** Recordings older than this are deleted (null: kept until deleted by hand). */
  retentionDays: number | null;
}

export const RECORDING_STATUSES = ['recording', 'stored', 'failed', 'deleted'] as const;

/** One call recording (issue 10); the audio is on disk or in object storage under `key`. */
export interface RecordingsTable {
  id: string;
  tenantId: string;
  callId: string;
  node: string;
  status: (typeof RECORDING_STATUSES)[number];
  /** 'policy': recorded from the answer; 'onDemand': a party started it with the feature code. */
  trigger: 'policy' | 'onDemand';
  mode: 'mixed' | 'stereo';
  storage: 'disk' | 's3';
  key: string;
  caller: string;
  callee: string;
  /** The tenant's extensions on the call: who may listen to it besides managers. */
  parties: ColumnType<string[], string | undefined, string>;
  startedAt: Date;
  endedAt: Date | null;
  durationMs: number | null;
  pausedMs: ColumnType<number, number | undefined, number>;
  /** bigint: read as a string. */
  bytes: ColumnType<string | null, number | null | undefined, number | null>;
  error: string | null;
  deletedAt: Date | null;
  deletedBy: string | null;
}

export interface Database {
  platformSecrets: PlatformSecretsTable;
  pushSubscriptions: PushSubscriptionsTable;
  tenants: TenantsTable;
  users: UsersTable;
  extensions: ExtensionsTable;
  apiKeys: ApiKeysTable;
  sessions: SessionsTable;
  auditLog: AuditLogTable;
  calls: CallsTable;
  routingObjects: RoutingObjectsTable;
  queueAgents: QueueAgentsTable;
  queueStats: QueueStatsTable;
  audioFiles: AudioFilesTable;
  voicemailBoxes: VoicemailBoxesTable;
  voicemailMessages: VoicemailMessagesTable;
  voicemailEmails: VoicemailEmailsTable;
  trunks: TrunksTable;
  numbers: NumbersTable;
  rates: RatesTable;
  sipAllowList: SipAllowListTable;
  webhooks: WebhooksTable;
  webhookDeliveries: WebhookDeliveriesTable;
  integrations: IntegrationsTable;
  integrationDeliveries: IntegrationDeliveriesTable;
  recordings: RecordingsTable;
  contacts: ContactsTable;
  reportSchedules: ReportSchedulesTable;
}

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type TenantPatch = Updateable<TenantsTable>;
export type User = Selectable<UsersTable>;
export type Extension = Selectable<ExtensionsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type Session = Selectable<SessionsTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type CallRecord = Selectable<CallsTable>;
export type PushSubscription = Selectable<PushSubscriptionsTable>;
export type Trunk = Selectable<TrunksTable>;
export type PoolNumber = Selectable<NumbersTable>;
export type Rate = Selectable<RatesTable>;
export type SipAllowEntry = Selectable<SipAllowListTable>;
export type Webhook = Selectable<WebhooksTable>;
export type Recording = Selectable<RecordingsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type Contact = Selectable<ContactsTable>;
export type RoutingObject = Selectable<RoutingObjectsTable>;
export type VoicemailBox = Selectable<VoicemailBoxesTable>;
export type VoicemailMessage = Selectable<VoicemailMessagesTable>;
export type AudioFile = Selectable<AudioFilesTable>;
