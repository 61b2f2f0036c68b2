/**
 * IVR menus through the API: saved as routing objects and read back; bad
 * settings refused naming the field (duplicate keys, unknown prompts, text the
 * TTS cannot speak, a menu with nothing to say, destinations and calendars that
 * do not exist); menus that lead back to each other are fine (the caller chooses);
 * a menu in use cannot be deleted; calls can be listed by tag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';

describe.each(backends())('IVR menus API on %s', (backend) => {
  let fx: Fixture;
  let base = '';
  const as = () => ({ as: fx.A.admin });
  beforeAll(async () => {
    fx = await createFixture(backend);
    base = `/api/v1/tenants/${fx.A.id}`;
  });
  afterAll(async () => fx?.close());

  const menu = (over: object = {}) => ({
    name: 'Main',
    number: '800',
    greeting: { prompts: [], text: 'Добрый день! Нажмите один.', lang: 'ru' },
    options: [{ key: '1', destination: { kind: 'extension', id: fx.A.ownExtensionId }, tag: 'sales' }],
    directDial: { enabled: true, allow: ['1*'] },
    interDigitMs: 2000,
    timeoutSec: 5,
    retries: 2,
    invalidAudio: null,
    timeoutAudio: { prompts: ['please-try-again'], text: null, lang: null },
    fallback: { kind: 'hangup', cause: 'busy' },
    calendar: null,
    tag: 'main',
    ...over,
  });

  it('saves a menu, refuses what cannot work, allows menus that lead back to each other', async () => {
    const main = await fx.call('POST', `${base}/ivr-menus`, { ...as(), body: menu() });
    expect(main.status, JSON.stringify(main.json)).toBe(201);
    expect(main.json).toMatchObject({ name: 'Main', number: '800', tag: 'main', retries: 2 });
    const refused = async (over: object, field: string, status = 400) => {
      const res = await fx.call('POST', `${base}/ivr-menus`, {
        ...as(),
        body: menu({ number: null, ...over }),
      });
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.field).toBe(field);
    };
    const dest = { kind: 'hangup', cause: 'busy' };
    await refused(
      {
        options: [
          { key: '1', destination: dest, tag: null },
          { key: '1', destination: dest, tag: null },
        ],
      },
      'options.1.key',
    );
    await refused({ greeting: { prompts: ['no-such'], text: null, lang: null } }, 'greeting.prompts.0');
    await refused({ greeting: { prompts: [], text: null, lang: null } }, 'greeting');
    await refused({ timeoutAudio: { fileId: null, prompts: [], text: null, lang: null } }, 'timeoutAudio');
    await refused({ greeting: { prompts: [], text: '   ', lang: null } }, 'greeting.text');
    await refused(
      { options: [{ key: '5', destination: { kind: 'ivr', id: fx.A.id }, tag: null }] },
      'options.0.destination.id',
    );
    await refused({ calendar: { calendarId: fx.A.id, whenClosed: dest } }, 'calendar.calendarId');
    await refused({ tag: 'two words' }, 'tag');
    await refused({ number: '101' }, 'number', 409);
    // A sub-menu whose 0 goes back to the main menu, and the main menu's 2 into it: allowed.
    const sub = await fx.call('POST', `${base}/ivr-menus`, {
      ...as(),
      body: menu({
        name: 'Sub',
        number: null,
        options: [{ key: '0', destination: { kind: 'ivr', id: main.json.id }, tag: null }],
      }),
    });
    expect(sub.status, JSON.stringify(sub.json)).toBe(201);
    const linked = await fx.call('PUT', `${base}/ivr-menus/${main.json.id}`, {
      ...as(),
      body: menu({ options: [{ key: '2', destination: { kind: 'ivr', id: sub.json.id }, tag: null }] }),
    });
    expect(linked.status, JSON.stringify(linked.json)).toBe(200);
    // In use: the sub-menu cannot be deleted while the main menu leads to it.
    const del = await fx.call('DELETE', `${base}/ivr-menus/${sub.json.id}`, as());
    expect(del.status).toBe(409);
    expect(del.json.detail).toContain('Main');
    // Users cannot change menus.
    expect(
      (await fx.call('POST', `${base}/ivr-menus`, { as: fx.A.user, body: menu({ number: null }) })).status,
    ).toBe(403);
  });

  it('speaks a greeting for a preview, as callers will hear it', async () => {
    const res = await fx.call('POST', `${base}/speech-preview`, {
      ...as(),
      body: { text: 'Здравствуйте! Нажмите один.', lang: 'ru' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('audio/wav');
    const wav = Buffer.from(res.text, 'latin1');
    expect(res.text.slice(0, 4)).toBe('RIFF');
    expect(Number(res.headers['content-length'] ?? wav.length)).toBeGreaterThan(8000); // over half a second at 8 kHz
    const blank = await fx.call('POST', `${base}/speech-preview`, {
      ...as(),
      body: { text: ' \t ', lang: 'en' },
    });
    expect(blank.status).toBe(400);
    expect(blank.json.field).toBe('text');
    expect(
      (await fx.call('POST', `${base}/speech-preview`, { as: fx.A.user, body: { text: 'hi', lang: 'en' } }))
        .status,
    ).toBe(403);
  });

  it('lists calls by tag', async () => {
    const res = await fx.call('GET', `${base}/calls?tag=sales`, as());
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([]);
    expect((await fx.call('GET', `${base}/calls?tag=${'x'.repeat(41)}`, as())).status).toBe(400);
  });
});
