/**
 * Voicemail email actions: the link in a voicemail email opens a small page
 * (no sign-in: the message's own random key is the permission) that marks the
 * message heard or deletes it, and the message-waiting lamp follows. GET only
 * shows the page and changes nothing — mail scanners open links — the change
 * is a POST from its buttons. A wrong key, a message already gone and a link
 * older than LINK_DAYS look the same, so the page tells nothing to someone
 * guessing, and a forwarded or leaked email stops working after a while.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { VoicemailFiles } from '../../pbx/voicemail/files.js';
import type { VoicemailMessage } from '../../store/schema.js';
import type { Api, ApiDeps } from '../context.js';
import { Uuid } from '../schemas.js';

const FORM = 'application/x-www-form-urlencoded';
/** An email's link works this long after the message came (the portal keeps working after). */
export const LINK_DAYS = 30;

const TEXT = {
  en: {
    title: 'Voicemail',
    from: 'From',
    received: 'Received',
    duration: 'Duration',
    heard: 'Mark as heard',
    delete: 'Delete the message',
    doneHeard: 'The message is marked as heard.',
    doneDelete: 'The message is deleted.',
    gone: 'This link is no longer valid: the message was deleted, the link is older than 30 days, or it is wrong. The portal still has your voicemail.',
    unknown: 'unknown',
  },
  ru: {
    title: 'Голосовое сообщение',
    from: 'От',
    received: 'Получено',
    duration: 'Длительность',
    heard: 'Отметить как прослушанное',
    delete: 'Удалить сообщение',
    doneHeard: 'Сообщение отмечено как прослушанное.',
    doneDelete: 'Сообщение удалено.',
    gone: 'Ссылка больше не действует: сообщение удалено, ссылке больше 30 дней или она неверна. Голосовая почта по-прежнему есть в портале.',
    unknown: 'неизвестный',
  },
} as const;
type Lang = keyof typeof TEXT;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(lang: Lang, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${TEXT[lang].title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
dt{font-weight:600}button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0}</style></head>
<body><h1>${TEXT[lang].title}</h1>${body}</body></html>`;
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function voicemailActionRoutes(api: Api, deps: ApiDeps): Promise<void> {
  // The form posts of these pages are parsed here only: the rest of the API takes JSON (415 else).
  await api.register(async (scope) => formRoutes(scope as Api, deps));
}

async function formRoutes(app: Api, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const files = deps.voicemail ? new VoicemailFiles(deps.voicemail.dir) : null;

  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  /** The message the link names, when its key is right; and the tenant's language. */
  async function open(
    tenantId: string,
    id: string,
    key: string,
  ): Promise<{ m: VoicemailMessage | null; lang: Lang; timeZone: string }> {
    const tenant = await store.tenants.get(tenantId);
    const lang: Lang = tenant?.language === 'ru' ? 'ru' : 'en';
    const timeZone = tenant?.timeZone ?? 'UTC';
    if (!tenant) return { m: null, lang, timeZone };
    const m = await store.tenant(tenantId).voicemail.getMessage(id);
    const fresh = m !== undefined && now().getTime() - m.receivedAt.getTime() <= LINK_DAYS * 86_400_000;
    return { m: fresh && m.actionKey && sameKey(key, m.actionKey) ? m : null, lang, timeZone };
  }

  const html = (reply: FastifyReply, status: number, lang: Lang, body: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(page(lang, body));

  const Params = Type.Object({ tenantId: Uuid, id: Uuid });
  const Key = Type.String({ minLength: 1, maxLength: 100, description: 'The key from the email link' });

  app.get(
    '/api/v1/voicemail-actions/:tenantId/:id',
    {
      config: { public: true },
      schema: {
        tags: ['voicemail'],
        summary:
          'The page a voicemail email links to: the message, with buttons to mark it heard or delete it',
        params: Params,
        // Without a key (a link cut short) the page says the link is not valid, like a wrong key.
        querystring: Type.Object({ key: Type.Optional(Key) }),
      },
    },
    async (req, reply) => {
      const { m, lang, timeZone } = await open(req.params.tenantId, req.params.id, req.query.key ?? '');
      const t = TEXT[lang];
      if (!m) return html(reply, 404, lang, `<p>${t.gone}</p>`);
      const when = new Intl.DateTimeFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', {
        timeZone,
        dateStyle: 'long',
        timeStyle: 'short',
      }).format(m.receivedAt);
      const s = Math.round(m.durationMs / 1000);
      const caller = m.callerName ? `${m.callerName} <${m.caller}>` : m.caller || t.unknown;
      const action = `/api/v1/voicemail-actions/${m.tenantId}/${m.id}`;
      const key = escapeHtml(req.query.key ?? '');
      const button = (what: 'heard' | 'delete') =>
        `<form method="post" action="${action}"><input type="hidden" name="key" value="${key}">` +
        `<input type="hidden" name="action" value="${what}"><button type="submit">${t[what]}</button></form>`;
      return html(
        reply,
        200,
        lang,
        `<dl><dt>${t.from}</dt><dd>${escapeHtml(caller)}</dd><dt>${t.received}</dt><dd>${escapeHtml(when)}</dd>` +
          `<dt>${t.duration}</dt><dd>${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}</dd></dl>` +
          (m.heard ? '' : button('heard')) +
          button('delete'),
      );
    },
  );

  app.post(
    '/api/v1/voicemail-actions/:tenantId/:id',
    {
      config: { public: true },
      schema: {
        tags: ['voicemail'],
        summary: 'Mark the message heard or delete it, from the page of its email link (a form post)',
        params: Params,
        body: Type.Object({ key: Key, action: Type.Union([Type.Literal('heard'), Type.Literal('delete')]) }),
      },
    },
    async (req, reply) => {
      const { tenantId, id } = req.params;
      const { m, lang } = await open(tenantId, id, req.body.key);
      const t = TEXT[lang];
      if (!m) return html(reply, 404, lang, `<p>${t.gone}</p>`);
      const scope = store.tenant(tenantId);
      if (req.body.action === 'heard') await scope.voicemail.updateMessage(m.id, { heard: true });
      else {
        await scope.voicemail.deleteMessage(m.id);
        await files?.remove(tenantId, m.boxId, m.id);
      }
      deps.voicemail?.changed(tenantId, m.boxId);
      await scope.audit.record(
        { type: 'system', id: null, label: 'voicemail email link', ip: req.ip },
        {
          action: req.body.action === 'heard' ? 'voicemailMessage.heard' : 'voicemailMessage.delete',
          resourceType: 'voicemailMessage',
          resourceId: m.id,
          before: { boxId: m.boxId, caller: m.caller, heard: m.heard },
        },
      );
      return html(reply, 200, lang, `<p>${req.body.action === 'heard' ? t.doneHeard : t.doneDelete}</p>`);
    },
  );
}
