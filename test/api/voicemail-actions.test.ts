/**
 * The voicemail email's action link: a page without sign-in (the message's own
 * key is the permission) whose buttons mark the message heard or delete it; the
 * lamp hook is told and the audit log says it was the email link. Opening the
 * link changes nothing; a wrong key, another tenant and a deleted message all
 * get the same "no longer valid" page.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINK_DAYS } from '../../src/api/routes/voicemail-actions.js';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('voicemail email actions', () => {
  let fx: Fixture;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-vm-actions-'));
  const lamps: string[] = [];
  const form = (fields: Record<string, string>) => ({
    payload: new URLSearchParams(fields).toString(),
    contentType: 'application/x-www-form-urlencoded',
  });

  /** A stored message (file and row) in A's own mailbox, with the link its email would carry. */
  async function message(receivedAt = new Date()) {
    const boxId = fx.A.ownExtensionId;
    const id = crypto.randomUUID();
    await mkdir(join(dir, fx.A.id, boxId), { recursive: true });
    const file = join(dir, fx.A.id, boxId, `${id}.wav`);
    writeFileSync(file, Buffer.alloc(100));
    const scope = fx.store.tenant(fx.A.id).voicemail;
    await scope.ensureForExtension(boxId);
    const m = await scope.insertMessage({
      id,
      boxId,
      caller: '+74951234567',
      callerName: 'Ivan <Petrov>',
      durationMs: 65_000,
      sizeBytes: 100,
      receivedAt,
    });
    expect(m.actionKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    return { id, key: m.actionKey!, file, url: `/api/v1/voicemail-actions/${fx.A.id}/${id}` };
  }
  const stored = (id: string) => fx.store.tenant(fx.A.id).voicemail.getMessage(id);

  beforeAll(async () => {
    fx = await createFixture('pglite', { voicemail: { dir, changed: (t, b) => lamps.push(`${t}/${b}`) } });
    await fx.store.tenants.update(fx.A.id, { language: 'en' });
  });
  afterAll(async () => fx?.close());

  it('the link opens a page naming the message, and changes nothing by being opened', async () => {
    const m = await message();
    lamps.length = 0;
    const res = await fx.call('GET', `${m.url}?key=${m.key}`, { as: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-store');
    // The caller's name is escaped, not markup.
    expect(res.text).toContain('Ivan &#60;Petrov&#62; &#60;+74951234567&#62;');
    expect(res.text).toContain('1:05');
    expect(res.text).toContain('>Mark as heard</button>');
    expect(res.text).toContain('>Delete the message</button>');
    expect((await stored(m.id))!.heard).toBe(false);
    expect(lamps).toEqual([]);
  });

  it('"Mark as heard" marks it, the lamp follows, and the audit log names the email link', async () => {
    const m = await message();
    lamps.length = 0;
    const res = await fx.call('POST', m.url, { as: null, raw: form({ key: m.key, action: 'heard' }) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('The message is marked as heard.');
    expect((await stored(m.id))!.heard).toBe(true);
    expect(lamps).toEqual([`${fx.A.id}/${fx.A.ownExtensionId}`]);
    const audit = await fx.store.tenant(fx.A.id).audit.list({ limit: 5, offset: 0, resourceId: m.id });
    expect(audit.items[0]).toMatchObject({
      action: 'voicemailMessage.heard',
      actorLabel: 'voicemail email link',
    });
    // Heard already: the page offers only the delete button.
    const again = await fx.call('GET', `${m.url}?key=${m.key}`, { as: null });
    expect(again.text).not.toContain('Mark as heard');
  });

  it('"Delete" removes the message and its audio; the link is dead afterwards', async () => {
    const m = await message();
    lamps.length = 0;
    const res = await fx.call('POST', m.url, { as: null, raw: form({ key: m.key, action: 'delete' }) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('The message is deleted.');
    expect(await stored(m.id)).toBeUndefined();
    expect(existsSync(m.file)).toBe(false);
    expect(lamps).toHaveLength(1);
    const dead = await fx.call('GET', `${m.url}?key=${m.key}`, { as: null });
    expect(dead.status).toBe(404);
    expect(dead.text).toContain('This link is no longer valid');
  });

  it('a wrong key or another tenant in the link gets the same "no longer valid" page; nothing changes', async () => {
    const m = await message();
    lamps.length = 0;
    const wrong = await fx.call('POST', m.url, {
      as: null,
      raw: form({ key: `${m.key.slice(1)}x`, action: 'delete' }),
    });
    expect(wrong.status).toBe(404);
    const elsewhere = await fx.call('POST', `/api/v1/voicemail-actions/${fx.B.id}/${m.id}`, {
      as: null,
      raw: form({ key: m.key, action: 'heard' }),
    });
    expect(elsewhere.status).toBe(404);
    expect(wrong.text).toContain('This link is no longer valid');
    // B's page is in B's language, and says the same.
    expect(elsewhere.text).toContain('Ссылка больше не действует');
    const bad = await fx.call('POST', m.url, { as: null, raw: form({ key: m.key, action: 'forward' }) });
    expect(bad.status).toBe(400);
    expect(await stored(m.id)).toMatchObject({ heard: false });
    expect(lamps).toEqual([]);
  });

  it('a link older than 30 days is no longer valid, and changes nothing', async () => {
    const old = await message(new Date(Date.now() - (LINK_DAYS * 86_400 + 60) * 1000));
    const young = await message(new Date(Date.now() - (LINK_DAYS * 86_400 - 60) * 1000));
    lamps.length = 0;
    const page = await fx.call('GET', `${old.url}?key=${old.key}`, { as: null });
    expect(page.status).toBe(404);
    expect(page.text).toContain('older than 30 days');
    const post = await fx.call('POST', old.url, { as: null, raw: form({ key: old.key, action: 'delete' }) });
    expect(post.status).toBe(404);
    expect(await stored(old.id)).toMatchObject({ heard: false });
    expect(existsSync(old.file)).toBe(true);
    expect(lamps).toEqual([]);
    // A day short of it, the link still works.
    expect((await fx.call('GET', `${young.url}?key=${young.key}`, { as: null })).status).toBe(200);
  });

  it("the page speaks the tenant's language", async () => {
    const m = await message(new Date(Date.now() - 3600_000));
    const day = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', dateStyle: 'long' }).format(
      new Date(Date.now() - 3600_000),
    );
    await fx.store.tenants.update(fx.A.id, { language: 'ru' });
    try {
      const res = await fx.call('GET', `${m.url}?key=${m.key}`, { as: null });
      expect(res.text).toContain('<html lang="ru">');
      expect(res.text).toContain('Отметить как прослушанное');
      // The date in Russian, as "7 декабря 2026 г.".
      expect(res.text).toContain(day.replace(/\s*г\.$/, ''));
      expect(day).toMatch(/^\d{1,2} [а-я]+ \d{4}/);
    } finally {
      await fx.store.tenants.update(fx.A.id, { language: 'en' });
    }
  });
});
