/**
 * Ready-made ticket templates for systems administrators most often connect,
 * written from each system's public REST documentation (docs/integrations.md
 * explains each). The administrator fills in the host, ids and credentials.
 */
import type { HttpMethod } from '../../store/integration-tables.js';

export interface TicketExample {
  id: string;
  name: string;
  method: HttpMethod;
  url: string;
  contentType: string;
  /** Plain headers. */
  headers: Record<string, string>;
  /** Headers to put among the secret ones (values are placeholders to replace). */
  secretHeaders: Record<string, string>;
  bodyTemplate: string;
}

const SUMMARY = 'Missed call from {{call.callerName}} {{call.caller}}';
const DETAILS =
  '{{event}}: {{call.caller}} ({{call.callerName}}) called {{call.callee}} at {{call.startedAt}}.\\n' +
  'Voicemail: {{voicemail.duration}} s. {{voicemail.transcript}}\\nCall: {{portal.callUrl}}';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export const TICKET_EXAMPLES: TicketExample[] = [
  {
    id: 'jira-service-management',
    name: 'Jira Service Management',
    method: 'POST',
    url: 'https://your-site.atlassian.net/rest/servicedeskapi/request',
    contentType: 'application/json',
    headers: { accept: 'application/json' },
    // Basic auth: base64("email:API token").
    secretHeaders: { authorization: 'Basic <base64 of email:api-token>' },
    bodyTemplate: pretty({
      serviceDeskId: '1',
      requestTypeId: '10',
      requestFieldValues: { summary: SUMMARY, description: '@DETAILS@' },
    }),
  },
  {
    id: 'zendesk',
    name: 'Zendesk',
    method: 'POST',
    url: 'https://your-subdomain.zendesk.com/api/v2/tickets.json',
    contentType: 'application/json',
    headers: {},
    // API token auth: base64("agent@example.com/token:API token").
    secretHeaders: { authorization: 'Basic <base64 of agent@example.com/token:api-token>' },
    bodyTemplate: pretty({
      ticket: {
        subject: SUMMARY,
        comment: { body: '@DETAILS@' },
        priority: 'normal',
        tags: ['nimbus', '{{event}}'],
      },
    }),
  },
  {
    id: 'otrs',
    name: 'OTRS / Znuny (GenericInterface REST, TicketCreate)',
    method: 'POST',
    url: 'https://otrs.example.com/otrs/nph-genericinterface.pl/Webservice/Nimbus/Ticket',
    contentType: 'application/json',
    headers: {},
    secretHeaders: {},
    bodyTemplate: pretty({
      UserLogin: 'nimbus-agent',
      Password: 'change-me',
      Ticket: {
        Title: SUMMARY,
        Queue: 'Raw',
        State: 'new',
        Priority: '3 normal',
        CustomerUser: '{{call.caller}}',
      },
      Article: {
        CommunicationChannel: 'Phone',
        SenderType: 'customer',
        Subject: SUMMARY,
        Body: '@DETAILS@',
        ContentType: 'text/plain; charset=utf8',
      },
    }),
  },
  {
    id: 'redmine',
    name: 'Redmine',
    method: 'POST',
    url: 'https://redmine.example.com/issues.json',
    contentType: 'application/json',
    headers: {},
    secretHeaders: { 'x-redmine-api-key': '<API key of a Redmine user>' },
    bodyTemplate: pretty({ issue: { project_id: 1, subject: SUMMARY, description: '@DETAILS@' } }),
  },
].map(
  (e) => ({ ...e, bodyTemplate: e.bodyTemplate.replace('"@DETAILS@"', `"${DETAILS}"`) }) as TicketExample,
);
