/**
 * Request and response shapes of the routing objects (issue 6): destinations,
 * calendars, time conditions, ring groups and inbound routes. JSON Schema checks
 * the shape; routing-checks.ts checks what a schema cannot (references, loops,
 * number clashes, impossible schedules) and names the field.
 */
import Type, { type TProperties } from 'typebox';
import { AGENT_STATES, QUEUE_STRATEGIES } from '../pbx/queue/types.js';
import { RING_STRATEGIES } from '../pbx/routing/ring-strategy.js';
import { HANGUP_CAUSES } from '../pbx/routing/types.js';
import { type DialTarget, ExtensionNumber, Name, Timestamp, Uuid } from './schemas.js';

const literals = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      description ? { description } : {},
    ),
  );

export const DESTINATION_KINDS = [
  'extension',
  'ringGroup',
  'queue',
  'ivr',
  'timeCondition',
  'voicemail',
  'number',
  'hangup',
  'directory',
] as const;

/**
 * One object for every kind (not a oneOf), so a wrong combination gets a message
 * naming the field instead of a wall of union errors: `id` for the objects, `number`
 * for a dialled number, `cause` for a hang-up.
 */
export const DestinationSchema = Type.Object(
  {
    kind: literals(DESTINATION_KINDS, 'What the call goes to'),
    id: Type.Optional(Uuid),
    number: Type.Optional(
      Type.String({ pattern: '^\\+?[0-9*#]{1,32}$', description: 'kind "number": digits as dialled' }),
    ),
    cause: Type.Optional(literals(HANGUP_CAUSES, 'kind "hangup": what the caller hears')),
  },
  { additionalProperties: false, description: 'Where a call goes next' },
);

const LocalTime = Type.String({
  pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$',
  description: 'HH:MM local time',
});
const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' });

export const CalendarFields = {
  timeZone: Type.Optional(Type.String({ description: "IANA zone; the tenant's when omitted" })),
  weekly: Type.Array(
    Type.Object(
      {
        days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
          minItems: 1,
          maxItems: 7,
          description: '1 = Monday … 7 = Sunday',
        }),
        from: LocalTime,
        to: LocalTime,
      },
      { additionalProperties: false },
    ),
    { maxItems: 50, description: 'Open hours per weekday' },
  ),
  holidays: Type.Array(
    Type.Object(
      {
        name: Type.String({ maxLength: 100 }),
        date: Type.Optional(Day),
        from: Type.Optional(Day),
        to: Type.Optional(Day),
        yearly: Type.Optional(
          Type.String({ pattern: '^[0-9]{2}-[0-9]{2}$', description: 'MM-DD, every year' }),
        ),
        hours: Type.Optional(
          Type.Array(Type.Object({ from: LocalTime, to: LocalTime }, { additionalProperties: false }), {
            maxItems: 10,
            description: 'Open hours that day (absent: closed all day)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    { maxItems: 5000 },
  ),
  productionCalendar: Type.Union([Type.Literal('ru'), Type.Null()], {
    description:
      'National production calendar applied on top (ru: Russian non-working, moved and short days)',
  }),
  override: Type.Union(
    [
      Type.Object(
        {
          state: literals(['open', 'closed'] as const),
          until: Type.Union([Timestamp, Type.Null()]),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ],
    { description: 'Forced open or closed by hand, until a time or until cleared' },
  ),
};

export const RingGroupFields = {
  strategy: literals(RING_STRATEGIES, 'How members are rung'),
  members: Type.Array(
    Type.Object(
      {
        number: ExtensionNumber,
        delaySec: Type.Integer({ minimum: 0, maximum: 120, description: 'Seconds before this member rings' }),
        timeoutSec: Type.Integer({ minimum: 5, maximum: 300, description: 'Seconds this member rings' }),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 100 },
  ),
  ringTimeoutSec: Type.Integer({ minimum: 5, maximum: 900, description: 'Seconds the whole group rings' }),
  skipBusy: Type.Boolean({ description: 'Members on the phone are not rung' }),
  callerIdPrefix: Type.String({ maxLength: 30, description: "Shown before the caller's name" }),
  timeoutDestination: Type.Union([DestinationSchema, Type.Null()]),
  confirmExternal: Type.Optional(
    Type.Boolean({
      description:
        'Outside members hear who calls and must press 1 to take the call (a mobile voicemail cannot take it); default true',
    }),
  ),
};

const SkillLevels = Type.Record(
  Type.String({ pattern: '^[a-z0-9_-]{1,30}$' }),
  Type.Integer({ minimum: 1, maximum: 10 }),
  {
    description: 'Skill name → level 1–10',
  },
);
const AgentStates = Type.Array(literals(AGENT_STATES), { maxItems: AGENT_STATES.length, uniqueItems: true });
const PromptList = Type.Array(
  Type.String({ pattern: '^[a-z0-9-]{1,60}$', description: 'A system prompt name' }),
  {
    maxItems: 10,
  },
);
const Seconds = (max: number, description: string) => Type.Integer({ minimum: 0, maximum: max, description });

/** A queue's or inbound route's say in call recording (absent: the extensions decide). */
const RoutingRecording = Type.Optional(
  Type.Union([Type.Literal('always'), Type.Literal('never')], {
    description:
      "always: every answered call that came this way is recorded; never: none is, not even on demand (absent: the extensions' settings decide)",
  }),
);

export const QueueFields = {
  recording: RoutingRecording,
  strategy: literals(QUEUE_STRATEGIES, 'How the next agent is chosen'),
  members: Type.Array(
    Type.Object(
      {
        number: ExtensionNumber,
        static: Type.Boolean({ description: 'Always logged in (true) or logs in and out (false)' }),
        penalty: Type.Integer({
          minimum: 0,
          maximum: 9,
          description: 'Tier: higher tiers ring only when lower ones are busy',
        }),
        weight: Type.Integer({ minimum: 1, maximum: 100, description: 'Weighted random: relative share' }),
        skills: SkillLevels,
        maxCalls: Type.Integer({ minimum: 1, maximum: 10, description: 'Calls the agent may carry at once' }),
      },
      { additionalProperties: false },
    ),
    { maxItems: 500 },
  ),
  skills: Type.Array(
    Type.Object(
      {
        afterSec: Seconds(3600, 'Applies once the caller has waited this long'),
        require: SkillLevels,
      },
      { additionalProperties: false },
    ),
    { maxItems: 10, description: 'Skills a call needs, relaxing with the wait (empty: any agent)' },
  ),
  agentRingSec: Type.Integer({ minimum: 5, maximum: 300, description: 'Seconds an agent rings per offer' }),
  ownerFirstSec: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 120,
      description:
        "Sticky agent: seconds a caller is offered alone to the responsible manager a CRM names, when they are this queue's agent and available (0: off)",
    }),
  ),
  retrySec: Type.Integer({
    minimum: 1,
    maximum: 300,
    description: 'Seconds before an agent who did not answer is offered the same caller again',
  }),
  wrapUpSec: Seconds(3600, 'Seconds after a call before the agent gets the next'),
  autoPauseAfter: Seconds(100, 'Missed offers in a row that pause an agent (0: never)'),
  maxWaitSec: Seconds(86_400, 'Longest wait before the timeout destination (0: no limit)'),
  maxCallers: Seconds(10_000, 'Callers waiting at most (0: no limit)'),
  joinEmpty: AgentStates,
  leaveWhenEmpty: AgentStates,
  entryPrompts: PromptList,
  announcePosition: Type.Boolean(),
  announceWait: Type.Boolean(),
  announceEverySec: Seconds(3600, 'Seconds between position/wait announcements (0: once)'),
  periodicPrompts: PromptList,
  periodicEverySec: Seconds(3600, 'Seconds between periodic prompts (0: never)'),
  keys: Type.Array(
    Type.Object(
      {
        key: Type.String({ pattern: '^[0-9*#]$' }),
        action: literals(
          ['leave', 'callback'] as const,
          'Leave for the destination, or ask to be called back',
        ),
        destination: Type.Union([DestinationSchema, Type.Null()]),
      },
      { additionalProperties: false },
    ),
    { maxItems: 12, description: 'Keys a waiting caller may press' },
  ),
  callback: Type.Object(
    {
      maxPerAgent: Seconds(100, 'Callbacks waiting at most per staffed agent (0: no cap)'),
      attempts: Type.Integer({ minimum: 1, maximum: 10, description: 'Times the caller is dialled' }),
      retryDelaySec: Seconds(3600, 'Seconds between attempts'),
      ringSec: Type.Integer({ minimum: 5, maximum: 120, description: "Seconds the caller's phone rings" }),
    },
    { additionalProperties: false },
  ),
  vipNumbers: Type.Array(Type.String({ pattern: '^\\+?[0-9]{1,20}\\*?$' }), { maxItems: 10_000 }),
  weight: Type.Integer({
    minimum: 0,
    maximum: 100,
    description: 'Agents in several queues serve heavier queues first',
  }),
  serviceLevelSec: Type.Array(Type.Integer({ minimum: 1, maximum: 3600 }), {
    minItems: 1,
    maxItems: 5,
    uniqueItems: true,
    description: 'Service-level thresholds; the first is the target',
  }),
  timeoutDestination: Type.Union([DestinationSchema, Type.Null()]),
  fullDestination: Type.Union([DestinationSchema, Type.Null()]),
  noAgentsDestination: Type.Union([DestinationSchema, Type.Null()]),
  predictive: Type.Object(
    {
      maxExpectedWaitSec: Seconds(86_400, 'Expected wait above this diverts before joining (0: off)'),
      maxCallersPerAgent: Type.Number({
        minimum: 0,
        maximum: 1000,
        description: 'Callers per logged-in agent above this diverts (0: off)',
      }),
      destination: Type.Union([DestinationSchema, Type.Null()]),
    },
    { additionalProperties: false },
  ),
};

const Tag = Type.String({
  pattern: '^[\\p{L}\\p{N}_.-]{1,40}$',
  description: 'A tag for reports: letters, digits, _ . -',
});
const IvrAudioSchema = Type.Object(
  {
    fileId: Type.Optional(
      Type.Union([Uuid, Type.Null()], { description: "One of the tenant's audio files (wins when set)" }),
    ),
    prompts: PromptList,
    text: Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()], {
      description: 'Spoken by the TTS (wins over prompts when set)',
    }),
    lang: Type.Union([Type.Literal('en'), Type.Literal('ru'), Type.Null()], {
      description: "Language of the text (null: the tenant's)",
    }),
  },
  { additionalProperties: false },
);

export const IvrFields = {
  greeting: IvrAudioSchema,
  options: Type.Array(
    Type.Object(
      {
        key: Type.String({ pattern: '^[0-9*#]$' }),
        destination: DestinationSchema,
        tag: Type.Union([Tag, Type.Null()]),
      },
      { additionalProperties: false },
    ),
    { maxItems: 12 },
  ),
  directDial: Type.Object(
    {
      enabled: Type.Boolean({ description: 'Callers may dial an extension from the menu' }),
      allow: Type.Array(Type.String({ pattern: '^[0-9]{1,8}\\*?$' }), {
        maxItems: 100,
        description: 'Extensions or prefixes ("1*") allowed (empty: any)',
      }),
    },
    { additionalProperties: false },
  ),
  interDigitMs: Type.Integer({
    minimum: 500,
    maximum: 10_000,
    description: 'Wait for the next key of a number',
  }),
  timeoutSec: Type.Integer({ minimum: 1, maximum: 60, description: 'Wait for a key after the greeting' }),
  retries: Type.Integer({ minimum: 0, maximum: 10, description: 'Replays after no key or a wrong one' }),
  invalidAudio: Type.Union([IvrAudioSchema, Type.Null()]),
  timeoutAudio: Type.Union([IvrAudioSchema, Type.Null()]),
  fallback: Type.Union([DestinationSchema, Type.Null()]),
  calendar: Type.Union([
    Type.Object({ calendarId: Uuid, whenClosed: DestinationSchema }, { additionalProperties: false }),
    Type.Null(),
  ]),
  tag: Type.Union([Tag, Type.Null()]),
};

export const TimeConditionFields = {
  calendarId: Uuid,
  whenOpen: DestinationSchema,
  whenClosed: DestinationSchema,
};

export const InboundRouteFields = {
  recording: RoutingRecording,
  ownerFirstSec: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 120,
      description:
        "Responsible manager first: seconds the extension a CRM or the phonebook names as the caller's owner rings before the route goes on (0: off)",
    }),
  ),
  callerRules: Type.Array(
    Type.Object(
      {
        name: Type.String({ maxLength: 100 }),
        match: Type.Object(
          {
            anonymous: Type.Optional(Type.Literal(true)),
            numbers: Type.Optional(
              Type.Array(Type.String({ pattern: '^\\+?[0-9]{1,20}\\*?$' }), {
                minItems: 1,
                maxItems: 10_000,
                description: 'Caller numbers (any format; a trailing * matches a prefix)',
              }),
            ),
          },
          { additionalProperties: false, description: 'Either anonymous callers or a list of numbers' },
        ),
        destination: DestinationSchema,
      },
      { additionalProperties: false },
    ),
    { maxItems: 100, description: 'Checked in order before the destination; the first that matches wins' },
  ),
  destination: DestinationSchema,
};

/** Body and view of a routing kind: name, the number field it has (if any), its settings. */
export const OutboundRouteFields = {
  priority: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    description: 'Routes are looked at lowest first; the first whose pattern matches takes the call',
  }),
  patterns: Type.Array(
    Type.Object(
      {
        match: Type.String({
          minLength: 1,
          maxLength: 200,
          description:
            "Asterisk style ('_8XXXXXXXXXX': X 0-9, Z 1-9, N 2-9, [1-5], . one or more, ! zero or more), digits as they are ('112'), or a /regular expression/",
        }),
        strip: Type.Integer({ minimum: 0, maximum: 20, description: 'Characters taken off the front' }),
        prepend: Type.String({ pattern: '^[0-9+*#]{0,20}$', description: 'Put in front after stripping' }),
      },
      { additionalProperties: false },
    ),
    { minItems: 1, maxItems: 100 },
  ),
  trunkIds: Type.Array(Uuid, {
    minItems: 1,
    maxItems: 10,
    uniqueItems: true,
    description: 'Tried in order: the next when one is down, full, or answers 5xx or 408',
  }),
  callerId: Type.Union([Type.String({ pattern: '^(\\+[1-9][0-9]{1,14}|anonymous)$' }), Type.Null()], {
    description: "Shown on calls this route carries, over the extension's own (one of the tenant's numbers)",
  }),
};

export function routingSchemas<F extends TProperties>(
  fields: F,
  number: 'internal' | 'did' | null,
): { body: ReturnType<typeof bodyOf<F>>; view: ReturnType<typeof viewOf<F>> } {
  return { body: bodyOf(fields, number), view: viewOf(fields) };
}

function numberField(number: 'internal' | 'did' | null) {
  if (number === 'internal') return { number: Type.Union([ExtensionNumber, Type.Null()]) };
  if (number === 'did')
    return {
      number: Type.String({
        pattern: '^\\+?[0-9]{3,20}$',
        description: "The DID: any format, stored as E.164 by the tenant's country",
      }),
    };
  return {};
}

function bodyOf<F extends TProperties>(fields: F, number: 'internal' | 'did' | null) {
  return Type.Object(
    { name: Name, ...fields, ...(numberField(number) as { number?: typeof DialTarget }) },
    { additionalProperties: false },
  );
}

function viewOf<F extends TProperties>(fields: F) {
  return Type.Object({
    id: Uuid,
    tenantId: Uuid,
    name: Type.String(),
    number: Type.Union([Type.String(), Type.Null()]),
    ...fields,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  });
}
