/**
 * The voicemail API: mailboxes (own for users, all for admins), settings and PIN,
 * group mailboxes, greeting uploads converted to 8 kHz mono WAV (WAV and MP3;
 * junk and damaged files refused with a clear problem), and messages listed,
 * streamed with HTTP Range, downloaded, marked heard (the lamp hook is told),
 * moved and deleted.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { verifyPassword } from '../../src/util/password-hash.js';
import { createFixture, type Fixture } from '../helpers/api.js';
import { mp3Tone } from '../helpers/mp3.js';

function tone(rate: number, ms: number, channels: 1 | 2): Buffer {
  const n = (rate * ms) / 1000;
  const samples = new Int16Array(n * channels);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++)
      samples[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return encodeWav({ encoding: 'pcm16', sampleRate: rate, channels }, samples);
}

describe('voicemail API', () => {
  let fx: Fixture;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-vm-api-'));
  const lamps: string[] = [];
  const base = () => `/api/v1/tenants/${fx.A.id}/voicemail`;

  async function upload(boxId: string, kind: string, body: Buffer, contentType: string, as = fx.A.user) {
    const res = await fx.api.app.inject({
      method: 'PUT',
      url: `${base()}/boxes/${boxId}/greetings/${kind}`,
      headers: { cookie: as.cookie, 'content-type': contentType },
      payload: body,
    });
    return { status: res.statusCode, json: res.json(), headers: res.headers };
  }

  /** A message as the deposit leaves it: the file, then the row. */
  async function message(boxId: string, caller = '555') {
    const id = crypto.randomUUID();
    const wav = tone(8000, 1000, 1);
    await mkdir(join(dir, fx.A.id, boxId), { recursive: true });
    writeFileSync(join(dir, fx.A.id, boxId, `${id}.wav`), wav);
    await fx.store.tenant(fx.A.id).voicemail.insertMessage({
      id,
      boxId,
      caller,
      callerName: 'Bob',
      durationMs: 1000,
      sizeBytes: wav.length,
      receivedAt: new Date(),
    });
    return { id, wav };
  }

  beforeAll(async () => {
    fx = await createFixture('pglite', {
      voicemail: { dir, changed: (t, b) => lamps.push(`${t}/${b}`) },
    });
  });
  afterAll(async () => fx?.close());

  it('lists a user their own mailbox only, admins every one; PINs are stored hashed', async () => {
    const mine = await fx.call('GET', `${base()}/boxes`, { as: fx.A.user });
    expect(mine.status).toBe(200);
    expect(mine.json.items.map((b: { id: string }) => b.id)).toEqual([fx.A.ownExtensionId]);
    expect(mine.json.items[0]).toMatchObject({ kind: 'extension', number: '101', newMessages: 0 });
    const all = await fx.call('GET', `${base()}/boxes`, { as: fx.A.admin });
    expect(all.json.items.map((b: { id: string }) => b.id).sort()).toEqual(
      [fx.A.ownExtensionId, fx.A.otherExtensionId].sort(),
    );
    expect((await fx.call('GET', `${base()}/boxes/${fx.A.otherExtensionId}`, { as: fx.A.user })).status).toBe(
      404,
    );

    const patched = await fx.call('PATCH', `${base()}/boxes/${fx.A.ownExtensionId}`, {
      as: fx.A.user,
      body: { pin: '2468', email: 'me@example.test', quota: 20 },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ hasPin: true, email: 'me@example.test', quota: 20 });
    const box = await fx.store.tenant(fx.A.id).voicemail.getBox(fx.A.ownExtensionId);
    expect(box?.pinHash).not.toContain('2468');
    expect(await verifyPassword(box!.pinHash, '2468')).toBe(true);
    // The extension shows it has a PIN (the extension API keeps its field).
    const ext = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.ownExtensionId}`, {
      as: fx.A.user,
    });
    expect(ext.json.hasVoicemailPin).toBe(true);
    // Setting the PIN through the extension API reaches the mailbox, hashed.
    await fx.call('PATCH', `/api/v1/tenants/${fx.A.id}/extensions/${fx.A.ownExtensionId}`, {
      as: fx.A.user,
      body: { voicemailPin: '1357' },
    });
    const again = await fx.store.tenant(fx.A.id).voicemail.getBox(fx.A.ownExtensionId);
    expect(await verifyPassword(again!.pinHash, '1357')).toBe(true);

    const forbidden = await fx.call('PATCH', `${base()}/boxes/${fx.A.ownExtensionId}`, {
      as: fx.A.user,
      body: { name: 'Mine' },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.code).toBe('FIELD_FORBIDDEN');
  });

  it('group mailboxes: numbers must be free, members listen', async () => {
    const clash = await fx.call('POST', `${base()}/boxes`, { as: fx.A.admin, body: { number: '101' } });
    expect(clash.status).toBe(409);
    const bad = await fx.call('POST', `${base()}/boxes`, {
      as: fx.A.admin,
      body: { number: '800', members: ['999'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('members.0');
    const g = await fx.call('POST', `${base()}/boxes`, {
      as: fx.A.admin,
      body: { number: '800', name: 'Sales', members: ['101'], pin: '4321' },
    });
    expect(g.status).toBe(201);
    expect(g.json).toMatchObject({ kind: 'group', number: '800', name: 'Sales', hasPin: true });
    const mine = await fx.call('GET', `${base()}/boxes`, { as: fx.A.user });
    expect(mine.json.items.map((b: { number: string }) => b.number).sort()).toEqual(['101', '800']);
    expect(
      (await fx.call('POST', `${base()}/boxes`, { as: fx.A.user, body: { number: '801' } })).status,
    ).toBe(403);
    expect((await fx.call('DELETE', `${base()}/boxes/${g.json.id}`, { as: fx.A.admin })).status).toBe(204);
  });

  it('converts uploaded greetings to 8 kHz mono WAV and refuses what it cannot read', async () => {
    const box = fx.A.ownExtensionId;
    const wav = await upload(box, 'unavailable', tone(16000, 1500, 2), 'audio/wav');
    expect(wav.status).toBe(200);
    expect(wav.json.greetings.unavailable).toBe(true);
    const stored = decodeWav(readFileSync(join(dir, fx.A.id, box, 'greetings', 'unavailable.wav')));
    expect(stored.sampleRate).toBe(8000);
    expect(stored.source.channels).toBe(1);
    expect(Math.abs(stored.durationMs - 1500)).toBeLessThan(5);

    // A 1.2 s stereo MP3 at 22.05 kHz, made here.
    const mp3 = await upload(box, 'busy', mp3Tone(22_050, 1200, 2), 'audio/mpeg');
    expect(mp3.status).toBe(200);
    const fromMp3 = decodeWav(readFileSync(join(dir, fx.A.id, box, 'greetings', 'busy.wav')));
    expect(fromMp3.sampleRate).toBe(8000);
    expect(fromMp3.durationMs).toBeGreaterThan(1000);

    const junk = await upload(
      box,
      'name',
      Buffer.from('this is not audio at all'),
      'application/octet-stream',
    );
    expect(junk.status).toBe(415);
    expect(junk.json.code).toBe('AUDIO_UNSUPPORTED');
    // A WAV header with no audio chunk: damaged.
    const broken = tone(8000, 100, 1).subarray(0, 30);
    const corrupt = await upload(box, 'name', broken, 'audio/wav');
    expect(corrupt.status).toBe(422);
    expect(corrupt.json.code).toBe('AUDIO_INVALID');
    expect(corrupt.headers['content-type']).toContain('application/problem+json');
    const unknownKind = await upload(box, 'weekend', tone(8000, 100, 1), 'audio/wav');
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.json.field).toBe('kind');
    const json = await fx.call('PUT', `${base()}/boxes/${box}/greetings/name`, { as: fx.A.user, body: {} });
    expect(json.status).toBe(415);
    expect(existsSync(join(dir, fx.A.id, box, 'greetings', 'name.wav'))).toBe(false);

    // The stored greeting can be listened to, as callers hear it; one never recorded is not found.
    const heard = await fx.call('GET', `${base()}/boxes/${box}/greetings/busy`, { as: fx.A.user });
    expect(heard.status).toBe(200);
    expect(heard.headers['content-type']).toContain('audio/wav');
    expect(heard.text.slice(0, 4)).toBe('RIFF');
    expect((await fx.call('GET', `${base()}/boxes/${box}/greetings/name`, { as: fx.A.user })).status).toBe(
      404,
    );
    const removed = await fx.call('DELETE', `${base()}/boxes/${box}/greetings/busy`, { as: fx.A.user });
    expect(removed.json.greetings.busy).toBe(false);
    expect(existsSync(join(dir, fx.A.id, box, 'greetings', 'busy.wav'))).toBe(false);
  });

  it('lists, streams with Range, downloads, marks heard, moves and deletes messages', async () => {
    const box = fx.A.ownExtensionId;
    const { id, wav } = await message(box);
    await message(fx.A.otherExtensionId, '777'); // not the user's

    const list = await fx.call('GET', `${base()}/messages`, { as: fx.A.user });
    expect(list.json.items.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(list.json.items[0]).toMatchObject({
      caller: '555',
      callerName: 'Bob',
      durationMs: 1000,
      heard: false,
    });

    const url = `${base()}/messages/${id}/audio`;
    const full = await fx.api.app.inject({ method: 'GET', url, headers: { cookie: fx.A.user.cookie } });
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toBe('audio/wav');
    expect(full.headers['accept-ranges']).toBe('bytes');
    expect(full.rawPayload.equals(wav)).toBe(true);

    const part = await fx.api.app.inject({
      method: 'GET',
      url,
      headers: { cookie: fx.A.user.cookie, range: 'bytes=44-143' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 44-143/${wav.length}`);
    expect(part.rawPayload.equals(wav.subarray(44, 144))).toBe(true);
    const tail = await fx.api.app.inject({
      method: 'GET',
      url,
      headers: { cookie: fx.A.user.cookie, range: 'bytes=-10' },
    });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.equals(wav.subarray(wav.length - 10))).toBe(true);
    const outside = await fx.api.app.inject({
      method: 'GET',
      url,
      headers: { cookie: fx.A.user.cookie, range: `bytes=${wav.length + 10}-` },
    });
    expect(outside.statusCode).toBe(416);
    expect(outside.json().code).toBe('RANGE_NOT_SATISFIABLE');
    expect(outside.headers['content-range']).toBe(`bytes */${wav.length}`);
    const download = await fx.api.app.inject({
      method: 'GET',
      url: `${url}?download=true`,
      headers: { cookie: fx.A.user.cookie },
    });
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="voicemail-\d+\.wav"$/);

    lamps.length = 0;
    const heard = await fx.call('PATCH', `${base()}/messages/${id}`, {
      as: fx.A.user,
      body: { heard: true },
    });
    expect(heard.json.heard).toBe(true);
    expect(lamps).toEqual([`${fx.A.id}/${box}`]);
    const moved = await fx.call('PATCH', `${base()}/messages/${id}`, {
      as: fx.A.user,
      body: { folder: 'saved' },
    });
    expect(moved.json.folder).toBe('saved');
    const saved = await fx.call('GET', `${base()}/messages?boxId=${box}&folder=saved`, { as: fx.A.user });
    expect(saved.json.total).toBe(1);
    const badFolder = await fx.call('PATCH', `${base()}/messages/${id}`, {
      as: fx.A.user,
      body: { folder: 'trash' },
    });
    expect(badFolder.status).toBe(400);

    expect((await fx.call('DELETE', `${base()}/messages/${id}`, { as: fx.A.user })).status).toBe(204);
    expect(existsSync(join(dir, fx.A.id, box, `${id}.wav`))).toBe(false);
    expect((await fx.call('GET', `${base()}/messages/${id}`, { as: fx.A.user })).status).toBe(404);
  });

  it('keeps other users’ messages and other tenants’ mailboxes out of reach', async () => {
    const { id } = await message(fx.A.otherExtensionId, '778');
    expect((await fx.call('GET', `${base()}/messages/${id}`, { as: fx.A.user })).status).toBe(404);
    expect((await fx.call('GET', `${base()}/messages/${id}/audio`, { as: fx.A.user })).status).toBe(404);
    expect((await fx.call('DELETE', `${base()}/messages/${id}`, { as: fx.A.user })).status).toBe(404);
    expect((await fx.call('GET', `${base()}/messages/${id}`, { as: fx.A.admin })).status).toBe(200);
    const other = await fx.call('GET', `/api/v1/tenants/${fx.A.id}/voicemail/boxes/${fx.B.ownExtensionId}`, {
      as: fx.A.admin,
    });
    expect(other.status).toBe(404);
  });

  it("deleting an extension removes its mailbox's files too", async () => {
    const created = await fx.call('POST', `/api/v1/tenants/${fx.A.id}/extensions`, {
      as: fx.A.admin,
      body: { number: '190', voicemailEnabled: true },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await mkdir(join(dir, fx.A.id, id, 'greetings'), { recursive: true });
    writeFileSync(join(dir, fx.A.id, id, 'greetings', 'unavailable.wav'), tone(8000, 500, 1));
    const del = await fx.call('DELETE', `/api/v1/tenants/${fx.A.id}/extensions/${id}`, { as: fx.A.admin });
    expect(del.status).toBe(204);
    expect(existsSync(join(dir, fx.A.id, id))).toBe(false);
    expect(await fx.store.tenant(fx.A.id).voicemail.getBox(id)).toBeUndefined();
  });
});
