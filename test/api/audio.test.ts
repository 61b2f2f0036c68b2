/**
 * A tenant's own audio through the API: uploads (WAV and MP3) converted to 8 kHz
 * mono WAV, junk and damaged files refused with a clear problem, listening with
 * Range, renaming, and deleting — refused while an IVR menu plays the file.
 * Another tenant sees none of it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { backends } from '../helpers/db.js';
import { mp3Tone } from '../helpers/mp3.js';

function toneWav(rate: number, ms: number): Buffer {
  const n = Math.round((rate * ms) / 1000);
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return encodeWav({ encoding: 'pcm16', sampleRate: rate, channels: 1 }, samples);
}

describe.each(backends())('audio files API on %s', (backend) => {
  let fx: Fixture;
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-audio-api-'));
  const as = () => ({ as: fx.A.admin });
  beforeAll(async () => {
    fx = await createFixture(backend, { audioDir: dir });
    base = `/api/v1/tenants/${fx.A.id}`;
  });
  afterAll(async () => fx?.close());

  const upload = (name: string, body: Buffer, contentType: string) =>
    fx.call('POST', `${base}/audio?name=${encodeURIComponent(name)}`, {
      ...as(),
      raw: { payload: body as unknown as string, contentType },
    });

  it('converts uploads, refuses what is not audio, and lets a menu play a file it then protects', async () => {
    const wav = await upload('Welcome', toneWav(44_100, 1500), 'audio/wav');
    expect(wav.status, wav.text).toBe(201);
    expect(wav.json).toMatchObject({ name: 'Welcome' });
    expect(wav.json.durationMs).toBeGreaterThan(1400);
    const stored = decodeWav(readFileSync(join(dir, fx.A.id, `${wav.json.id}.wav`)));
    expect(stored.sampleRate).toBe(8000);
    const mp3 = await upload('Music', mp3Tone(22_050, 1200, 2), 'audio/mpeg');
    expect(mp3.status, mp3.text).toBe(201);
    // A length that is no whole number of milliseconds once converted (as browser recordings are).
    const odd = await upload('Odd', toneWav(44_100, 1300.39), 'audio/wav');
    expect(odd.status, odd.text).toBe(201);
    expect(Number.isInteger(odd.json.durationMs)).toBe(true);
    expect((await fx.call('DELETE', `${base}/audio/${odd.json.id}`, as())).status).toBe(204);
    const junk = await upload('Junk', Buffer.from('not audio at all'), 'application/octet-stream');
    expect(junk.status).toBe(415);
    expect(junk.json.code).toBe('AUDIO_UNSUPPORTED');
    const cut = await upload('Cut', toneWav(8000, 500).subarray(0, 30), 'audio/wav');
    expect(cut.status).toBe(422);
    expect(cut.json.code).toBe('AUDIO_INVALID');

    const list = await fx.call('GET', `${base}/audio`, as());
    expect(list.json.map((f: { name: string }) => f.name)).toEqual(['Music', 'Welcome']);
    const ranged = await fx.api.app.inject({
      method: 'GET',
      url: `${base}/audio/${wav.json.id}`,
      headers: { cookie: fx.A.admin.cookie, range: 'bytes=0-43' },
    });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.rawPayload.subarray(0, 4).toString()).toBe('RIFF');
    expect(ranged.rawPayload.length).toBe(44);
    const renamed = await fx.call('PATCH', `${base}/audio/${wav.json.id}`, {
      ...as(),
      body: { name: 'Hello' },
    });
    expect(renamed.json.name).toBe('Hello');

    // A menu greets with the file: it cannot be deleted while the menu plays it.
    const menu = await fx.call('POST', `${base}/ivr-menus`, {
      ...as(),
      body: {
        name: 'Main',
        number: null,
        greeting: { fileId: wav.json.id, prompts: [], text: null, lang: null },
        options: [],
        directDial: { enabled: false, allow: [] },
        interDigitMs: 2000,
        timeoutSec: 5,
        retries: 1,
        invalidAudio: null,
        timeoutAudio: null,
        fallback: null,
        calendar: null,
        tag: null,
      },
    });
    expect(menu.status, menu.text).toBe(201);
    const inUse = await fx.call('DELETE', `${base}/audio/${wav.json.id}`, as());
    expect(inUse.status).toBe(409);
    expect(inUse.json.detail).toContain('Main');
    const unknown = await fx.call('PUT', `${base}/ivr-menus/${menu.json.id}`, {
      ...as(),
      body: {
        ...menu.json,
        id: undefined,
        tenantId: undefined,
        createdAt: undefined,
        updatedAt: undefined,
        greeting: { fileId: fx.A.id, prompts: [], text: null, lang: null },
      },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.field).toBe('greeting.fileId');
    expect((await fx.call('DELETE', `${base}/audio/${mp3.json.id}`, as())).status).toBe(204);
    // Users cannot upload; tenant B sees nothing of A's files.
    expect(
      (
        await fx.call('POST', `${base}/audio?name=x`, {
          as: fx.A.user,
          raw: { payload: toneWav(8000, 500) as unknown as string, contentType: 'audio/wav' },
        })
      ).status,
    ).toBe(403);
    expect((await fx.call('GET', `${base}/audio/${wav.json.id}`, { as: fx.B.admin })).status).toBe(404);
  });
});
