/**
 * Our CRM webhook contract (`crmWebhook`, docs/integrations.md) as an OpenAPI
 * 3.1 document of webhooks: the caller-name lookup a CRM answers and the call
 * log it receives. The call log's schema is also the type the connector sends
 * (CallFacts), so the published contract and the code cannot drift apart; a
 * test checks real deliveries against it.
 *
 * Served at GET /api/v1/integrations/crm-contract (no sign-in: it is documentation).
 */
import Type, { type Static } from 'typebox';

const Iso = (description: string) => Type.String({ format: 'date-time', description });

/** A finished outside call as integrations see it (the call log's body, the ticket's call). */
export const CallFactsSchema = Type.Object(
  {
    id: Type.String({ description: "The call's id in Nimbus (the portal's ?call= link)" }),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    caller: Type.String({ description: 'Number of the calling party (E.164 for outside numbers)' }),
    callerName: Type.String({ description: 'Name shown for the caller ("" when none)' }),
    callee: Type.String({ description: 'Number dialled' }),
    externalNumber: Type.String({ description: "The outside party's number, E.164" }),
    startedAt: Iso('When the call reached the PBX'),
    answeredAt: Type.Union([Iso('When someone answered'), Type.Null()]),
    endedAt: Iso('When the call ended'),
    durationSec: Type.Integer({ minimum: 0, description: 'Start to end' }),
    talkSec: Type.Integer({ minimum: 0, description: 'Seconds of conversation (0 when nobody answered)' }),
    disposition: Type.Union(
      [Type.Literal('answered'), Type.Literal('missed'), Type.Literal('busy'), Type.Literal('failed')],
      {
        description:
          'answered: a person answered (inbound) or the far end did (outbound); busy; failed: refused or unreachable; missed',
      },
    ),
    extension: Type.Union([Type.String(), Type.Null()], {
      description: 'The extension that took (inbound) or made (outbound) the call',
    }),
    rang: Type.Array(Type.String(), { description: 'Extensions rung for it' }),
    recordingUrl: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      description: 'Signed link to the recording (works without signing in, 30 days), null when not recorded',
    }),
    portalUrl: Type.String({ format: 'uri', description: "The call's page in the portal" }),
  },
  { additionalProperties: false },
);
export type CallFacts = Static<typeof CallFactsSchema>;

export const CallLogSchema = Type.Object(
  { event: Type.Literal('call.ended'), call: CallFactsSchema },
  { additionalProperties: false },
);

/** What the CRM answers to a lookup; one of name and owner is needed, the rest is optional. */
export const LookupAnswerSchema = Type.Object({
  name: Type.Optional(
    Type.String({ description: "The caller's name, shown on the phones (up to 200 characters)" }),
  ),
  company: Type.Optional(Type.String()),
  owner: Type.Optional(
    Type.String({
      description:
        'The responsible manager: an extension number, a portal user\'s email, or a CRM user id mapped in the integration\'s userMap; "responsible manager first" routes to them',
    }),
  ),
  contactUrl: Type.Optional(Type.String({ format: 'uri' })),
});

export const LookupRequestSchema = Type.Object(
  { number: Type.String({ description: 'The caller, E.164' }) },
  { additionalProperties: false },
);

const json = (schema: object) => ({ 'application/json': { schema } });
const unknown = {
  description: 'The number is unknown (as is 200 with a body naming neither name nor owner)',
};
const lookupResponses = {
  '200': { description: 'The caller is known', content: json({ $ref: '#/components/schemas/LookupAnswer' }) },
  '204': unknown,
  '404': unknown,
};

/** The contract as an OpenAPI 3.1 document (webhooks: requests Nimbus makes to the CRM). */
export function crmContractDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nimbus PBX — CRM webhook contract',
      version: '1',
      description:
        "What a CRM (or an adapter in front of one) implements to be a `crmWebhook` integration: answer caller lookups, receive call logs. Requests carry the headers configured on the integration (e.g. Authorization). Lookups have the integration's timeout (default 1 s) and are cached; call logs are retried with backoff until answered 2xx.",
    },
    webhooks: {
      crmLookup: {
        get: {
          summary: 'Who is calling? (integration method GET)',
          parameters: [
            { name: 'number', in: 'query', required: true, schema: { type: 'string' }, description: 'E.164' },
          ],
          responses: lookupResponses,
        },
        post: {
          summary: 'Who is calling? (integration method POST)',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/LookupRequest' }) },
          responses: lookupResponses,
        },
      },
      crmCallLog: {
        post: {
          summary: 'An outside call ended (POSTed to the callLogUrl)',
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/CallLog' }) },
          responses: { '2XX': { description: 'Logged; any other answer is retried' } },
        },
      },
    },
    components: {
      schemas: {
        LookupRequest: LookupRequestSchema,
        LookupAnswer: LookupAnswerSchema,
        CallLog: {
          ...CallLogSchema,
          properties: { ...CallLogSchema.properties, call: { $ref: '#/components/schemas/CallFacts' } },
        },
        CallFacts: CallFactsSchema,
      },
    },
  };
}
