/**
 * What each kind of integration sends and how it reads the answers, as
 * functions over an `http` callback (so they are tested against a receiver and
 * the sender keeps SSRF rules, timeouts and logging in one place).
 *
 * - ticket: one request from the administrator's template.
 * - crmWebhook: our documented contract (docs/integrations.md): lookup by number,
 *   call log POSTed as JSON.
 * - bitrix24 (REST through an incoming webhook URL): crm.duplicate.findbycomm +
 *   crm.contact.get for a name and the responsible user; telephony.externalcall.
 *   register + finish (+ attachRecord) for the call log; crm.contact.list for sync.
 * - amocrm (API v4, long-lived token): GET /api/v4/contacts?query= for lookup,
 *   POST /api/v4/calls for the call log, GET /api/v4/contacts pages for sync.
 */

import type { Integration, IntegrationSecrets } from '../../store/integration-tables.js';
import type { SourceContact } from '../../store/repositories/contacts.js';
import type { OutboundRequest, OutboundResponse } from '../webhook-outbox.js';
import type { CallFacts } from './crm-contract.js';
import { escapingFor, renderTemplate, type TemplateContext } from './template.js';

export type { CallFacts };

export type Http = (r: OutboundRequest) => Promise<OutboundResponse>;

/** An integration with its secrets opened. */
export interface Resolved {
  integration: Integration;
  secrets: IntegrationSecrets;
}

/** What a CRM says of a number; `owner` is as the CRM gives it (mapped to an extension later). */
export interface LookupAnswer {
  name: string;
  company: string;
  owner: string | null;
  contactUrl: string | null;
}

/** A non-2xx answer or an answer that says it failed. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly response: string | null,
  ) {
    super(message);
  }
}

const UA = 'NimbusPBX-Integrations/1';

function ok(res: OutboundResponse, what: string): OutboundResponse {
  if (res.status < 200 || res.status >= 300)
    throw new DeliveryError(`${what}: HTTP ${res.status}`, res.status, res.body);
  return res;
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new DeliveryError(`${what}: the answer is not JSON`, null, body);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function headersOf(r: Resolved): Record<string, string> {
  return { 'user-agent': UA, ...(r.integration.config.headers ?? {}), ...(r.secrets.headers ?? {}) };
}

// ---------------------------------------------------------------- ticket

export function ticketRequest(r: Resolved, ctx: TemplateContext): OutboundRequest {
  const c = r.integration.config;
  const method = c.method ?? 'POST';
  const contentType = c.contentType || 'application/json';
  const request: OutboundRequest = {
    method,
    url: c.url ?? '',
    headers: { ...headersOf(r), ...(method === 'GET' ? {} : { 'content-type': contentType }) },
  };
  if (method !== 'GET') request.body = renderTemplate(c.bodyTemplate ?? '', ctx, escapingFor(contentType));
  return request;
}

// ---------------------------------------------------------------- crmWebhook (our contract)

export async function crmWebhookLookup(
  r: Resolved,
  number: string,
  http: Http,
): Promise<LookupAnswer | null> {
  const c = r.integration.config;
  const url = new URL(c.url ?? '');
  let res: OutboundResponse;
  if ((c.method ?? 'GET') === 'GET') {
    url.searchParams.set('number', number);
    res = await http({
      method: 'GET',
      url: url.toString(),
      headers: { ...headersOf(r), accept: 'application/json' },
    });
  } else {
    res = await http({
      method: 'POST',
      url: url.toString(),
      headers: { ...headersOf(r), accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ number }),
    });
  }
  // 404 and 204 are "not known here", as is a body without a name.
  if (res.status === 404 || res.status === 204) return null;
  ok(res, 'lookup');
  const j = parseJson(res.body, 'lookup');
  if (!isRecord(j) || (!str(j.name) && !str(j.owner))) return null;
  return {
    name: str(j.name).slice(0, 200),
    company: str(j.company).slice(0, 200),
    owner: str(j.owner) || null,
    contactUrl: str(j.contactUrl) || null,
  };
}

export function crmWebhookCallLog(r: Resolved, call: CallFacts): OutboundRequest {
  return {
    method: 'POST',
    url: r.integration.config.callLogUrl ?? '',
    headers: { ...headersOf(r), 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'call.ended', call }),
  };
}

// ---------------------------------------------------------------- Bitrix24

function bitrixUrl(r: Resolved, method: string): string {
  const base = r.secrets.webhookUrl ?? '';
  return `${base.endsWith('/') ? base : `${base}/`}${method}.json`;
}

async function bitrixCall(r: Resolved, http: Http, method: string, params: unknown): Promise<unknown> {
  const res = ok(
    await http({
      method: 'POST',
      url: bitrixUrl(r, method),
      headers: { 'user-agent': UA, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(params),
    }),
    method,
  );
  const j = parseJson(res.body, method);
  // Bitrix24 answers errors as {"error": "...", "error_description": "..."}.
  if (isRecord(j) && j.error !== undefined)
    throw new DeliveryError(
      `${method}: ${str(j.error)} ${str(j.error_description)}`.trim(),
      res.status,
      res.body,
    );
  return isRecord(j) ? j : {};
}

export async function bitrixLookup(r: Resolved, number: string, http: Http): Promise<LookupAnswer | null> {
  const found = await bitrixCall(r, http, 'crm.duplicate.findbycomm', {
    entity_type: 'CONTACT',
    type: 'PHONE',
    values: [number],
  });
  const result = isRecord(found) ? found.result : undefined;
  const ids = isRecord(result) && Array.isArray(result.CONTACT) ? result.CONTACT : [];
  const id = str(ids[0]);
  if (!id) return null;
  const got = await bitrixCall(r, http, 'crm.contact.get', { id });
  const c = isRecord(got) && isRecord(got.result) ? got.result : {};
  const name = [str(c.NAME), str(c.SECOND_NAME), str(c.LAST_NAME)].filter(Boolean).join(' ');
  const origin = new URL(r.secrets.webhookUrl ?? '').origin;
  return {
    name,
    company: str(c.COMPANY_TITLE),
    owner: str(c.ASSIGNED_BY_ID) || null,
    contactUrl: `${origin}/crm/contact/details/${encodeURIComponent(id)}/`,
  };
}

/** The CRM user behind an extension (the map's reverse), or the configured default. */
function crmUserOf(r: Resolved, extension: string | null): string | null {
  const map = r.integration.config.userMap ?? {};
  if (extension) for (const [user, ext] of Object.entries(map)) if (ext === extension) return user;
  return r.integration.config.defaultUserId || null;
}

/** Bitrix24's call status codes (SIP-like): 200 talked, 304 missed, 486 busy, 603 declined/failed. */
const BITRIX_STATUS: Record<CallFacts['disposition'], string> = {
  answered: '200',
  missed: '304',
  busy: '486',
  failed: '603',
};

/**
 * register -> finish (-> attachRecord). The call id register gives is kept in the
 * delivery's state, so a retry after a failed finish does not register twice.
 */
export async function bitrixCallLog(
  r: Resolved,
  call: CallFacts,
  http: Http,
  state: Record<string, unknown>,
  saveState: (s: Record<string, unknown>) => Promise<void>,
): Promise<string> {
  const userId = crmUserOf(r, call.extension);
  const user = userId ? { USER_ID: Number(userId) || userId } : { USER_PHONE_INNER: call.extension ?? '' };
  let callId = str(state.bitrixCallId);
  if (!callId) {
    const reg = await bitrixCall(r, http, 'telephony.externalcall.register', {
      ...user,
      PHONE_NUMBER: call.externalNumber,
      CALL_START_DATE: call.startedAt,
      TYPE: call.direction === 'outbound' ? 1 : 2,
      CRM_CREATE: r.integration.config.createLeads ? 1 : 0,
      SHOW: 0,
    });
    const result = isRecord(reg) && isRecord(reg.result) ? reg.result : {};
    callId = str(result.CALL_ID);
    if (!callId)
      throw new DeliveryError('telephony.externalcall.register: no CALL_ID', 200, JSON.stringify(reg));
    state.bitrixCallId = callId;
    await saveState(state);
  }
  if (!state.bitrixFinished) {
    await bitrixCall(r, http, 'telephony.externalcall.finish', {
      CALL_ID: callId,
      ...user,
      DURATION: call.talkSec,
      STATUS_CODE: BITRIX_STATUS[call.disposition],
    });
    state.bitrixFinished = true;
    await saveState(state);
  }
  if (call.recordingUrl)
    await bitrixCall(r, http, 'telephony.externalcall.attachRecord', {
      CALL_ID: callId,
      FILENAME: `${call.id}.mp3`,
      RECORD_URL: call.recordingUrl,
    });
  return callId;
}

export async function bitrixContacts(r: Resolved, http: Http, max = 50_000): Promise<SourceContact[]> {
  const out: SourceContact[] = [];
  let start: number | undefined = 0;
  while (start !== undefined && out.length < max) {
    const page = await bitrixCall(r, http, 'crm.contact.list', {
      select: ['ID', 'NAME', 'LAST_NAME', 'PHONE', 'EMAIL', 'COMPANY_TITLE'],
      order: { ID: 'ASC' },
      start,
    });
    const rows = isRecord(page) && Array.isArray(page.result) ? page.result : [];
    for (const c of rows) {
      if (!isRecord(c)) continue;
      const numbers = (Array.isArray(c.PHONE) ? c.PHONE : [])
        .filter(isRecord)
        .map((p) => ({ number: str(p.VALUE), label: str(p.VALUE_TYPE).toLowerCase() }))
        .filter((p) => p.number);
      const email =
        (Array.isArray(c.EMAIL) ? c.EMAIL : []).filter(isRecord).map((e) => str(e.VALUE))[0] ?? '';
      const name = [str(c.NAME), str(c.LAST_NAME)].filter(Boolean).join(' ');
      if (!str(c.ID) || (!name && !numbers.length)) continue;
      out.push({
        externalId: str(c.ID),
        name: name || numbers[0]?.number || '',
        company: str(c.COMPANY_TITLE),
        numbers,
        email,
      });
    }
    const next: unknown = isRecord(page) ? page.next : undefined;
    start = typeof next === 'number' && rows.length ? next : undefined;
  }
  return out;
}

// ---------------------------------------------------------------- amoCRM

function amoBase(r: Resolved): string {
  return (r.integration.config.url ?? '').replace(/\/+$/, '');
}

function amoHeaders(r: Resolved): Record<string, string> {
  return { 'user-agent': UA, accept: 'application/json', authorization: `Bearer ${r.secrets.token ?? ''}` };
}

export async function amoLookup(r: Resolved, number: string, http: Http): Promise<LookupAnswer | null> {
  const url = `${amoBase(r)}/api/v4/contacts?query=${encodeURIComponent(number)}&limit=1`;
  const res = await http({ method: 'GET', url, headers: amoHeaders(r) });
  if (res.status === 204 || res.status === 404) return null; // nothing found
  ok(res, 'contacts');
  const j = parseJson(res.body, 'contacts');
  const embedded = isRecord(j) && isRecord(j._embedded) ? j._embedded : {};
  const c = Array.isArray(embedded.contacts) ? embedded.contacts.find(isRecord) : undefined;
  if (!c) return null;
  return {
    name: str(c.name),
    company: '',
    owner: str(c.responsible_user_id) || null,
    contactUrl: `${amoBase(r)}/contacts/detail/${encodeURIComponent(str(c.id))}`,
  };
}

/** amoCRM's call_status: 4 talked, 6 no answer, 7 busy. */
const AMO_STATUS: Record<CallFacts['disposition'], number> = { answered: 4, missed: 6, busy: 7, failed: 6 };

export function amoCallLog(r: Resolved, call: CallFacts): OutboundRequest {
  const user = crmUserOf(r, call.extension);
  const entry: Record<string, unknown> = {
    direction: call.direction,
    uniq: call.id,
    duration: call.talkSec,
    source: 'Nimbus PBX',
    phone: call.externalNumber,
    call_status: AMO_STATUS[call.disposition],
    call_result: call.disposition,
    created_at: Math.floor(Date.parse(call.startedAt) / 1000),
  };
  if (call.recordingUrl) entry.link = call.recordingUrl;
  if (user && Number.isFinite(Number(user))) entry.responsible_user_id = Number(user);
  return {
    method: 'POST',
    url: `${amoBase(r)}/api/v4/calls`,
    headers: { ...amoHeaders(r), 'content-type': 'application/json' },
    body: JSON.stringify([entry]),
  };
}

export async function amoContacts(r: Resolved, http: Http, max = 50_000): Promise<SourceContact[]> {
  const out: SourceContact[] = [];
  for (let page = 1; out.length < max; page++) {
    const res = await http({
      method: 'GET',
      url: `${amoBase(r)}/api/v4/contacts?page=${page}&limit=250`,
      headers: amoHeaders(r),
    });
    if (res.status === 204) break;
    ok(res, 'contacts');
    const j = parseJson(res.body, 'contacts');
    const embedded = isRecord(j) && isRecord(j._embedded) ? j._embedded : {};
    const rows = Array.isArray(embedded.contacts) ? embedded.contacts.filter(isRecord) : [];
    for (const c of rows) {
      const fields = Array.isArray(c.custom_fields_values) ? c.custom_fields_values.filter(isRecord) : [];
      const valuesOf = (code: string) =>
        fields
          .filter((f) => f.field_code === code)
          .flatMap((f) => (Array.isArray(f.values) ? f.values.filter(isRecord) : []));
      const numbers = valuesOf('PHONE')
        .map((v) => ({ number: str(v.value), label: str(v.enum_code).toLowerCase() }))
        .filter((n) => n.number);
      const email = valuesOf('EMAIL').map((v) => str(v.value))[0] ?? '';
      if (!str(c.id)) continue;
      out.push({ externalId: str(c.id), name: str(c.name) || numbers[0]?.number || '', numbers, email });
    }
    const links = isRecord(j) && isRecord(j._links) ? j._links : {};
    if (!rows.length || !isRecord(links.next)) break;
  }
  return out;
}
