/**
 * Body templates of ticket integrations: `{{call.caller}}`-style placeholders
 * filled from the event, escaped for the body's content type so a caller's name
 * with a quote cannot break a JSON body (or inject fields into it).
 */

/** The values an event offers a template; every placeholder is a key here. */
export interface TemplateContext {
  event: string;
  call: {
    id: string;
    caller: string;
    callerName: string;
    callee: string;
    direction: string;
    startedAt: string;
    endedAt: string;
    durationSec: number;
    disposition: string;
    recordingUrl: string | null;
  } | null;
  voicemail: {
    id: string;
    mailbox: string;
    duration: number;
    transcript: string;
    receivedAt: string;
  } | null;
  portal: { callUrl: string; voicemailUrl: string };
  tenant: { name: string; domain: string };
}

/** Every placeholder with a line on it (the portal and docs list them). */
export const PLACEHOLDERS: Record<string, string> = {
  event: 'missedCall, voicemail or test',
  'call.id': "The call record's id",
  'call.caller': "The caller's number",
  'call.callerName': "The caller's name, when known",
  'call.callee': 'The number called',
  'call.direction': 'inbound, outbound or internal',
  'call.startedAt': 'When it started (ISO 8601, UTC)',
  'call.endedAt': 'When it ended (ISO 8601, UTC)',
  'call.durationSec': 'From start to end, seconds',
  'call.disposition': 'answered, missed, busy or failed',
  'call.recordingUrl': 'Where its recording is (empty when none)',
  'voicemail.id': "The message's id",
  'voicemail.mailbox': 'The mailbox (extension number or group mailbox name)',
  'voicemail.duration': 'Its length, seconds',
  'voicemail.transcript': 'Its text, when transcribed',
  'voicemail.receivedAt': 'When it was left (ISO 8601, UTC)',
  'portal.callUrl': 'The call in the portal',
  'portal.voicemailUrl': 'The voicemail page in the portal',
  'tenant.name': "The company's name",
  'tenant.domain': "The company's SIP domain",
};

const PLACEHOLDER = /\{\{\s*([a-zA-Z.]+)\s*\}\}/g;

export type Escaping = 'json' | 'form' | 'xml' | 'none';

export function escapingFor(contentType: string): Escaping {
  const t = contentType.toLowerCase();
  if (t.includes('json')) return 'json';
  if (t.includes('x-www-form-urlencoded')) return 'form';
  if (t.includes('xml')) return 'xml';
  return 'none';
}

function placeholderValue(ctx: TemplateContext, path: string): string {
  const [head, field] = path.split('.');
  if (field === undefined) return head === 'event' ? ctx.event : '';
  const group = (ctx as unknown as Record<string, Record<string, unknown> | null>)[head ?? ''];
  const v = group?.[field];
  return v === null || v === undefined ? '' : String(v);
}

function escaped(v: string, how: Escaping): string {
  switch (how) {
    case 'json':
      // The inside of a JSON string: the template supplies the quotes.
      return JSON.stringify(v).slice(1, -1);
    case 'form':
      return encodeURIComponent(v);
    case 'xml':
      return v.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
    default:
      return v;
  }
}

export function renderTemplate(template: string, ctx: TemplateContext, how: Escaping): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => escaped(placeholderValue(ctx, path), how));
}

/** Placeholders in `template` that do not exist (a typo is refused at save, not found in a ticket). */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((p) => !(p in PLACEHOLDERS));
}

/** A sample event for tests and the "test" button. */
export function sampleContext(portalBase: string, tenant: { name: string; domain: string }): TemplateContext {
  const now = new Date();
  const id = '00000000-0000-4000-8000-000000000000';
  return {
    event: 'test',
    call: {
      id,
      caller: '+74951234567',
      callerName: 'Test "Caller"',
      callee: '+74957654321',
      direction: 'inbound',
      startedAt: new Date(now.getTime() - 30_000).toISOString(),
      endedAt: now.toISOString(),
      durationSec: 30,
      disposition: 'missed',
      recordingUrl: null,
    },
    voicemail: {
      id,
      mailbox: '101',
      duration: 12,
      transcript: 'A test message from Nimbus PBX',
      receivedAt: now.toISOString(),
    },
    portal: { callUrl: `${portalBase}/calls?call=${id}`, voicemailUrl: `${portalBase}/voicemail` },
    tenant,
  };
}
