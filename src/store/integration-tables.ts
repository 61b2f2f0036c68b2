/**
 * Table types of a tenant's integrations (migration 0021): ticket systems and
 * CRMs, and their outbox of deliveries. Kept beside schema.ts so the shapes of
 * an integration's settings live in one place.
 */
import type { ColumnType, Generated, Selectable } from 'kysely';

export const INTEGRATION_KINDS = ['ticket', 'crmWebhook', 'bitrix24', 'amocrm'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * What an administrator set and may read back. Which fields matter depends on
 * the kind (the API checks the ones each kind needs).
 */
export interface IntegrationConfig {
  /** ticket: which events open a ticket. */
  onMissedCall?: boolean;
  onVoicemail?: boolean;
  /** ticket: the request; crmWebhook: the lookup's method (GET or POST). */
  method?: HttpMethod;
  /** ticket: where the request goes; crmWebhook: the lookup URL; amocrm: the account's address. */
  url?: string;
  contentType?: string;
  bodyTemplate?: string;
  /** Headers sent as they are (secret ones are in the sealed part). */
  headers?: Record<string, string>;
  /** ticket: a call shorter than this that rang nobody is not "missed" (hung up in a menu). */
  minSeconds?: number;
  /** CRMs: look callers' names up. */
  lookup?: boolean;
  timeoutMs?: number;
  cacheTtlSec?: number;
  negativeTtlSec?: number;
  /** CRMs: log every outside call when it ends. */
  logCalls?: boolean;
  /** crmWebhook: where call logs are POSTed (empty: no logging). */
  callLogUrl?: string;
  /** CRM user (id, or email for crmWebhook) -> extension number. */
  userMap?: Record<string, string>;
  /** bitrix24: the CRM user calls are logged under when no mapped extension took part. */
  defaultUserId?: string;
  /** bitrix24: let Bitrix24 create a lead for an unknown number when a call is logged. */
  createLeads?: boolean;
  /** bitrix24, amocrm: copy the CRM's contacts into the phonebook every this many hours (0 or absent: only when asked). */
  syncContactsHours?: number;
}

/** Sealed at rest: tokens, secret headers, webhook URLs with a key in them. */
export interface IntegrationSecrets {
  headers?: Record<string, string>;
  /** amocrm: the long-lived access token. */
  token?: string;
  /** bitrix24: the incoming webhook URL (https://x.bitrix24.ru/rest/<user>/<code>/). */
  webhookUrl?: string;
}

export interface IntegrationsTable {
  id: Generated<string>;
  tenantId: string;
  kind: IntegrationKind;
  name: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  config: ColumnType<IntegrationConfig, string, string>;
  /** AES-256-GCM sealed JSON of IntegrationSecrets ('' none). */
  secrets: ColumnType<string, string | undefined, string>;
  createdAt: ColumnType<Date, Date | undefined, never>;
  updatedAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type IntegrationDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface IntegrationDeliveriesTable {
  id: Generated<string>;
  tenantId: string;
  integrationId: string;
  /** missedCall | voicemail | callLog | test */
  eventType: string;
  payload: ColumnType<unknown, string, string>;
  state: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: ColumnType<
    IntegrationDeliveryStatus,
    IntegrationDeliveryStatus | undefined,
    IntegrationDeliveryStatus
  >;
  attempts: ColumnType<number, number | undefined, number>;
  nextAttemptAt: ColumnType<Date, Date | undefined, Date>;
  lastStatus: ColumnType<number | null, number | null | undefined, number | null>;
  lastError: ColumnType<string | null, string | null | undefined, string | null>;
  /** The last request sent (method, URL, body; never a secret header). */
  lastRequest: ColumnType<unknown, string | null | undefined, string | null>;
  lastResponse: ColumnType<string | null, string | null | undefined, string | null>;
  deliveredAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
  createdAt: ColumnType<Date, Date | undefined, never>;
}

export type Integration = Selectable<IntegrationsTable>;
export type IntegrationDelivery = Selectable<IntegrationDeliveriesTable>;
