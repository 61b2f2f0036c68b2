/** Shorthands for the request and response types of schema.d.ts. */
import type { paths } from './schema';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** The JSON body a route answers with on success. */
export type ResponseOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer J } } }
    ? J
    : R extends { 201: { content: { 'application/json': infer J } } }
      ? J
      : never
  : never;

/** The JSON body a route takes. */
export type BodyOf<P extends keyof paths, M extends Method & keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type Me = ResponseOf<'/api/v1/auth/me', 'get'>;
export type Role = Me['role'];
export type Extension = ResponseOf<'/api/v1/tenants/{tenantId}/extensions', 'get'>['items'][number];
export type CallRecord = ResponseOf<'/api/v1/tenants/{tenantId}/calls', 'get'>['items'][number];

// Call routing (calendars, time conditions, ring groups, queues, inbound routes).
export type Calendar = ResponseOf<'/api/v1/tenants/{tenantId}/calendars/{id}', 'get'>;
export type CalendarBody = BodyOf<'/api/v1/tenants/{tenantId}/calendars', 'post'>;
export type CalendarState = ResponseOf<'/api/v1/tenants/{tenantId}/calendars/{id}/state', 'get'>;
export type WeeklyRange = CalendarBody['weekly'][number];
export type Holiday = CalendarBody['holidays'][number];
export type TimeCondition = ResponseOf<'/api/v1/tenants/{tenantId}/time-conditions/{id}', 'get'>;
export type TimeConditionBody = BodyOf<'/api/v1/tenants/{tenantId}/time-conditions', 'post'>;
export type RingGroup = ResponseOf<'/api/v1/tenants/{tenantId}/ring-groups/{id}', 'get'>;
export type RingGroupBody = BodyOf<'/api/v1/tenants/{tenantId}/ring-groups', 'post'>;
export type RingStrategy = RingGroupBody['strategy'];
export type RingMember = RingGroupBody['members'][number];
export type InboundRoute = ResponseOf<'/api/v1/tenants/{tenantId}/inbound-routes/{id}', 'get'>;
export type InboundRouteBody = BodyOf<'/api/v1/tenants/{tenantId}/inbound-routes', 'post'>;
export type CallerRule = InboundRouteBody['callerRules'][number];
export type Queue = ResponseOf<'/api/v1/tenants/{tenantId}/queues/{id}', 'get'>;
export type QueueBody = BodyOf<'/api/v1/tenants/{tenantId}/queues', 'post'>;
export type QueueStrategy = QueueBody['strategy'];
export type QueueMember = QueueBody['members'][number];
export type AgentState = QueueBody['joinEmpty'][number];
// Call queues at work: live state (wallboard) and an agent's logins and pause.
export type QueueLive = ResponseOf<'/api/v1/tenants/{tenantId}/queues-live', 'get'>[number];
export type QueueAgent = ResponseOf<'/api/v1/tenants/{tenantId}/queue-agents/{number}', 'get'>;
/** Where a call goes next: an object by id, a dialled number, or a hang-up. */
export type Destination = TimeConditionBody['whenOpen'];
export type DestinationKind = Destination['kind'];
export type HangupCause = NonNullable<Destination['cause']>;

// Call handling of an extension (its parts are spelled out in web/src/call-rules.ts) and feature codes.
export type ExtensionPatch = BodyOf<'/api/v1/tenants/{tenantId}/extensions/{id}', 'patch'>;
export type Tenant = ResponseOf<'/api/v1/tenants/{tenantId}', 'get'>;
export type FeatureCodesPatch = NonNullable<BodyOf<'/api/v1/tenants/{tenantId}', 'patch'>['featureCodes']>;

// The public network: the operator's trunks and number pool, the tenant's outbound routes and numbers.
export type Trunk = ResponseOf<'/api/v1/platform/trunks/{id}', 'get'>;
export type TrunkBody = BodyOf<'/api/v1/platform/trunks', 'post'>;
export type TrunkStatus = NonNullable<Trunk['status']>;
export type PoolNumber = ResponseOf<'/api/v1/platform/numbers', 'get'>['items'][number];
export type OutboundRoute = ResponseOf<'/api/v1/tenants/{tenantId}/outbound-routes/{id}', 'get'>;
export type OutboundRouteBody = BodyOf<'/api/v1/tenants/{tenantId}/outbound-routes', 'post'>;
export type DialPattern = OutboundRouteBody['patterns'][number];
export type TenantTrunk = ResponseOf<'/api/v1/tenants/{tenantId}/trunks', 'get'>[number];
export type TenantNumber = ResponseOf<'/api/v1/tenants/{tenantId}/numbers', 'get'>[number];
export type OutboundPlan = ResponseOf<'/api/v1/tenants/{tenantId}/outbound-plan', 'get'>;
export type CallClass = Tenant['limits']['maxCallClass'];
// Prices of calls out: the operator's rate deck, and a tenant's external calls today against its caps.
export type Rate = ResponseOf<'/api/v1/platform/rates', 'get'>['items'][number];
export type RateBody = BodyOf<'/api/v1/platform/rates', 'post'>;
export type ExternalUsage = ResponseOf<'/api/v1/tenants/{tenantId}/external-usage', 'get'>;
// Integrations: the tenant's webhooks and their delivery log.
export type Webhook = ResponseOf<'/api/v1/tenants/{tenantId}/webhooks', 'get'>['items'][number];
export type WebhookBody = BodyOf<'/api/v1/tenants/{tenantId}/webhooks', 'post'>;
export type WebhookEvent = WebhookBody['events'][number];
export type WebhookDelivery = ResponseOf<
  '/api/v1/tenants/{tenantId}/webhooks/{id}/deliveries',
  'get'
>['items'][number];
export type DeliveryStatus = WebhookDelivery['status'];
