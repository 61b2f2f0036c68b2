/**
 * Request and response shapes of the routing objects (issue 6): destinations,
 * calendars, time conditions, ring groups and inbound routes. JSON Schema checks
 * the shape; routing-checks.ts checks what a schema cannot (references, loops,
 * number clashes, impossible schedules) and names the field.
 */
import Type, { type TProperties } from 'typebox';
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

export const DESTINATION_KINDS = ['extension', 'ringGroup', 'timeCondition', 'number', 'hangup'] as const;

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
};

export const TimeConditionFields = {
  calendarId: Uuid,
  whenOpen: DestinationSchema,
  whenClosed: DestinationSchema,
};

export const InboundRouteFields = {
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
