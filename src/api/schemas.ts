/** TypeBox schemas shared by routes: they validate input and document the API (OpenAPI). */

import Type, { type TProperties, type TSchema } from 'typebox';
import { FEATURE_NAMES, FEATURES } from '../pbx/feature-codes.js';
import { CALL_CLASSES, LANGUAGES, PRESENCE_STATUSES, ROLES } from '../store/schema.js';

export const Uuid = Type.String({ format: 'uuid', description: 'Identifier (UUID)' });
export const Timestamp = Type.String({ format: 'date-time' });
/** A string enum that infers as the union of its values (TypeBox cannot infer a mapped array). */
const literals = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      description ? { description } : {},
    ),
  );

export const RoleSchema = literals(ROLES, 'operator | tenant_admin | supervisor | user');
export const TenantRoleSchema = literals(['tenant_admin', 'supervisor', 'user'] as const);
export const LanguageSchema = literals(LANGUAGES, 'Interface and voice-prompt language');
export const CallClassSchema = literals(
  CALL_CLASSES,
  'Most expensive outbound call class allowed: internal < local < national < international',
);

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Password = Type.String({ minLength: 8, maxLength: 200 });
export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const DisplayName = Type.String({ maxLength: 100 });
export const ExtensionNumber = Type.String({
  pattern: '^[0-9]{2,8}$',
  description: 'Internal number: 2 to 8 digits',
});
export const SipSecret = Type.String({
  pattern: '^[\\x21-\\x7e]{8,64}$',
  description: '8 to 64 printable ASCII characters without spaces',
});
export const VoicemailPin = Type.String({ pattern: '^[0-9]{4,10}$', description: '4 to 10 digits' });
export const DialTarget = Type.String({
  pattern: '^(\\+?[0-9*#]{1,32})?$',
  description: 'Extension or external number (digits, optional leading +); empty when the rule is off',
});

export const ForwardRuleSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    target: DialTarget,
    voicemail: Type.Optional(
      Type.Boolean({
        description:
          "Busy, no answer, unreachable: to the extension's own mailbox instead of a number (needs voicemailEnabled)",
      }),
    ),
  },
  { additionalProperties: false },
);
export const ForwardingSchema = Type.Object(
  {
    always: ForwardRuleSchema,
    busy: ForwardRuleSchema,
    noAnswer: ForwardRuleSchema,
    unreachable: ForwardRuleSchema,
  },
  { additionalProperties: false },
);
export const ForwardingPatchSchema = Type.Partial(ForwardingSchema, { additionalProperties: false });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    relatedField: Type.Optional(Type.String({ description: 'The other field of a clash between two' })),
    instance: Type.Optional(Type.String()),
  },
  { description: 'application/problem+json (RFC 9457) with a stable `code`' },
);

/** Query parameters every list accepts; `sort` names a field, `-field` sorts descending. */
/** Filters are passed already wrapped in Type.Optional, so their types infer. */
export function listQuery<F extends TProperties>(sortable: readonly string[], filters?: F) {
  return Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
      sort: Type.Optional(
        literals(
          sortable.flatMap((s) => [s, `-${s}`]),
          'Field to sort by; prefix - for descending',
        ),
      ),
      q: Type.Optional(Type.String({ maxLength: 100, description: 'Text search' })),
      ...(filters ?? ({} as F)),
    },
    { additionalProperties: false },
  );
}

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

/** Turns the validated list query into the store's ListQuery. */
export function toListQuery(q: { limit?: number; offset?: number; sort?: string; q?: string }) {
  const sort = q.sort?.replace(/^-/, '');
  return {
    limit: q.limit ?? 50,
    offset: q.offset ?? 0,
    sort,
    desc: q.sort?.startsWith('-') ?? false,
    q: q.q,
  };
}

export const IdParams = Type.Object({ id: Uuid });
export const TenantParams = Type.Object({ tenantId: Uuid });
export const TenantIdParams = Type.Object({ tenantId: Uuid, id: Uuid });

export const TenantSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  sipDomain: Type.String(),
  timeZone: Type.String(),
  language: LanguageSchema,
  country: Type.String(),
  limits: Type.Object({
    maxExtensions: Type.Integer(),
    maxConcurrentCalls: Type.Integer(),
    maxExternalCalls: Type.Integer({ description: 'External calls (through trunks) at once' }),
    maxCallClass: CallClassSchema,
    dailyExternalMinutes: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Answered external minutes a day (null: no cap)',
    }),
    dailySpendCap: Type.Union([Type.Integer(), Type.Null()], {
      description: 'Spend on external calls a day by the rate deck, minor units (null: no cap)',
    }),
    spendAlertPercent: Type.Integer({ description: 'Share of the spend cap at which the tenant is warned' }),
    clearCallsAtCap: Type.Boolean({
      description: 'At the minutes or spend cap, external calls already running are cut off too',
    }),
    sipRequestsPerSecond: Type.Union([Type.Integer(), Type.Null()], {
      description:
        "SIP requests a second naming the tenant's domain, per budget (its phones, strangers); null: the platform's limit",
    }),
  }),
  localPrefixes: Type.Array(Type.String(), { description: 'E.164 prefixes that count as local calls' }),
  defaultCallerId: Type.Union([Type.String(), Type.Null()], {
    description: 'Shown on external calls of extensions without their own (null: the first of its numbers)',
  }),
  codecs: Type.Array(Type.String(), { description: 'Codec preference, most preferred first' }),
  featureCodes: Type.Object(
    Object.fromEntries(FEATURE_NAMES.map((f) => [f, Type.String({ description: FEATURES[f].label })])),
    { description: "The tenant's feature codes (its own where set, the defaults elsewhere)" },
  ),
  enabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const UserSchema = Type.Object({
  id: Uuid,
  tenantId: Type.Union([Uuid, Type.Null()]),
  email: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  language: Type.Union([LanguageSchema, Type.Null()]),
  totpEnabled: Type.Boolean(),
  disabled: Type.Boolean(),
  lastLoginAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const PresenceStatusSchema = literals(PRESENCE_STATUSES, 'Presence status (DND is its own switch)');

const Number_ = Type.String({ pattern: '^\\+?[0-9]{2,20}$', description: 'Extension or phone number' });
const StatusActionSchema = Type.Object(
  {
    action: literals(['ring', 'followMe', 'busy', 'forward'] as const, 'What the status does with a call'),
    target: Type.Optional(Number_),
  },
  { additionalProperties: false },
);

export const CallRulesSchema = Type.Object(
  {
    followMe: Type.Optional(
      Type.Object(
        {
          ringDesk: Type.Boolean({ description: 'The desk phone rings through every step' }),
          confirmExternal: Type.Optional(
            Type.Boolean({
              description:
                'Outside numbers hear who calls and must press 1 to take the call (a mobile voicemail cannot take it); default true',
            }),
          ),
          steps: Type.Array(
            Type.Object(
              {
                numbers: Type.Array(Number_, { minItems: 1, maxItems: 10, description: 'Rung together' }),
                ringSec: Type.Integer({ minimum: 5, maximum: 120 }),
              },
              { additionalProperties: false },
            ),
            { maxItems: 10, description: 'Rung one after another' },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    profiles: Type.Optional(
      Type.Object(
        Object.fromEntries(
          PRESENCE_STATUSES.map((st) => [
            st,
            Type.Optional(
              Type.Object(
                { internal: StatusActionSchema, external: StatusActionSchema },
                { additionalProperties: false },
              ),
            ),
          ]),
        ),
        {
          additionalProperties: false,
          description: 'What each status does, for internal and external callers',
        },
      ),
    ),
    exceptions: Type.Optional(
      Type.Array(Type.String({ pattern: '^\\+?[0-9]{2,20}\\*?$' }), {
        maxItems: 200,
        description: 'Callers who always ring (a trailing * matches a prefix)',
      }),
    ),
    statusByCalendar: Type.Optional(
      Type.Union([
        Type.Object({ calendarId: Uuid, whenClosed: PresenceStatusSchema }, { additionalProperties: false }),
        Type.Null(),
      ]),
    ),
    secretary: Type.Optional(
      Type.Union([
        Type.Object(
          {
            number: Type.String({ pattern: '^[0-9]{2,8}$', description: "The secretary's extension" }),
            mode: literals(['secretary', 'both', 'secretaryFirst'] as const),
            firstSec: Type.Integer({
              minimum: 0,
              maximum: 120,
              description: 'secretaryFirst: seconds before the boss rings too',
            }),
            direct: Type.Array(Type.String({ pattern: '^\\+?[0-9]{2,20}\\*?$' }), {
              maxItems: 200,
              description: 'Callers put straight through to the boss',
            }),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
);

const RecordingChoiceSchema = Type.Union(
  [Type.Literal('always'), Type.Literal('onDemand'), Type.Literal('never')],
  {
    description:
      'always: from the answer; onDemand: when a party keys *1 (again: pause/resume); never: not even on demand',
  },
);

export const ExtensionRecordingSchema = Type.Object(
  {
    inboundExternal: RecordingChoiceSchema,
    inboundInternal: RecordingChoiceSchema,
    outboundExternal: RecordingChoiceSchema,
    outboundInternal: RecordingChoiceSchema,
  },
  {
    additionalProperties: false,
    description: "Whether the extension's calls are recorded, by direction and internal/external",
  },
);

export const ExtensionSchema = Type.Object({
  id: Uuid,
  tenantId: Uuid,
  number: Type.String(),
  displayName: Type.String(),
  userId: Type.Union([Uuid, Type.Null()]),
  voicemailEnabled: Type.Boolean(),
  hasVoicemailPin: Type.Boolean(),
  callClass: CallClassSchema,
  dnd: Type.Boolean(),
  ringTimeoutSec: Type.Integer(),
  forwarding: ForwardingSchema,
  status: PresenceStatusSchema,
  callWaiting: Type.Boolean(),
  callRules: CallRulesSchema,
  outboundCallerId: Type.Union([Type.String(), Type.Null()], {
    description: "Number shown on its external calls ('anonymous' withholds it; null: the tenant's default)",
  }),
  maxExternalCalls: Type.Union([Type.Integer(), Type.Null()]),
  externalBlocked: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the fraud rule stopped its external calls (null: not blocked)',
  }),
  recording: ExtensionRecordingSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ApiKeySchema = Type.Object({
  id: Uuid,
  tenantId: Type.Union([Uuid, Type.Null()]),
  name: Type.String(),
  prefix: Type.String(),
  role: RoleSchema,
  createdBy: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.Union([Uuid, Type.Null()]),
  at: Timestamp,
  actor: Type.Object({
    type: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    label: Type.String(),
  }),
  action: Type.String(),
  resourceType: Type.String(),
  resourceId: Type.Union([Type.String(), Type.Null()]),
  before: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  after: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
});
