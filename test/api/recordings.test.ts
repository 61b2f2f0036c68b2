/**
 * The recordings API: managers see every recording of the tenant, a user only
 * those of their own extensions' calls; audio streamed with Range and downloaded;
 * one in progress refused 409; deletion by admins only, audited, the audio gone;
 * a customer's erasure request removes all of theirs; the tenant's settings and
 * an extension's recording choices validated and kept.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingLinks } from '../../src/api/recording-links.js';
import { encodeWav } from '../../src/media/audio/wav-writer.js';
import { DiskStorage } from '../../src/pbx/recording/storage.js';
import { createFixture, type Fixture } from '../helpers/api.js';

describe('recordings API', () => {
  let fx: Fixture;
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-rec-api-'));
  const storage = new DiskStorage(dir);
  const wav = encodeWav(
    { encoding: 'pcm16', sampleRate: 8000, channels: 2 },
    new Int16Array(16000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i >> 1)) / 8000))),
  );

  /** A recording row of tenant A (stored, with its audio on disk, unless `open`). */
  async function seed(caller: string, callee: string, parties: string[], open = false): Promise<string> {
    const id = crypto.randomUUID();
    const key = `${fx.A.id}/2026/12/07/${id}.wav`;
    await fx.store.recordingLog.open({
      id,
      tenantId: fx.A.id,
      callId: crypto.randomUUID(),
      node: 'test',
      trigger: 'policy',
      mode: 'stereo',
      storage: 'disk',
      key,
      caller,
      callee,
      parties,
      startedAt: new Date(),
    });
    if (open) return id;
    await storage.prepare(key);
    writeFileSync(storage.localPath(key), wav);
    await fx.store.recordingLog.stored(id, {
      endedAt: new Date(),
      durationMs: 1000,
      pausedMs: 0,
      bytes: wav.length,
      storage: 'disk',
      key,
    });
    return id;
  }

  const base = () => `/api/v1/tenants/${fx.A.id}`;

  beforeAll(async () => {
    fx = await createFixture('pglite', { recordings: storage });
  });
  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows managers everything and a user only their extensions' calls, and streams the audio", async () => {
    const mine = await seed('+74951112233', '101', ['101']);
    const other = await seed('+74951112244', '102', ['102']);
    const all = await fx.call('GET', `${base()}/recordings`, { as: fx.A.supervisor });
    expect(all.status).toBe(200);
    expect(all.json.items.map((r: { id: string }) => r.id).sort()).toEqual([mine, other].sort());
    const own = await fx.call('GET', `${base()}/recordings`, { as: fx.A.user });
    expect(own.json.items.map((r: { id: string }) => r.id)).toEqual([mine]);
    expect((await fx.call('GET', `${base()}/recordings/${other}`, { as: fx.A.user })).status).toBe(404);
    expect((await fx.call('GET', `${base()}/recordings/${other}/audio`, { as: fx.A.user })).status).toBe(404);

    const audio = await fx.call('GET', `${base()}/recordings/${mine}/audio`, { as: fx.A.user });
    expect(audio.status).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    expect(Number(audio.headers['content-length'])).toBe(wav.length);
    const range = await fx.call('GET', `${base()}/recordings/${mine}/audio`, {
      as: fx.A.user,
      headers: { range: 'bytes=0-99' },
    });
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 0-99/${wav.length}`);
    const past = await fx.call('GET', `${base()}/recordings/${mine}/audio`, {
      as: fx.A.user,
      headers: { range: `bytes=${wav.length}-` },
    });
    expect(past.status).toBe(416);
    const download = await fx.call('GET', `${base()}/recordings/${mine}/audio?download=true`, {
      as: fx.A.admin,
    });
    expect(download.headers['content-disposition']).toMatch(
      /^attachment; filename="call-\d{14}-\+74951112233-101\.wav"$/,
    );

    const byCall = await fx.call('GET', `${base()}/recordings?callId=${all.json.items[0].callId}`, {
      as: fx.A.admin,
    });
    expect(byCall.json.total).toBe(1);
  });

  it('gives a signed link that plays without signing in, and stops working when tampered with or deleted', async () => {
    const id = await seed('+74951113333', '101', ['101']);
    expect((await fx.call('POST', `${base()}/recordings/${id}/link`, { as: fx.A.supervisor })).status).toBe(
      200,
    );
    const made = await fx.call('POST', `${base()}/recordings/${id}/link`, { as: fx.A.user });
    expect(made.status).toBe(200);
    const path = new URL(made.json.url).pathname;
    expect(Date.parse(made.json.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86400_000);
    const open = await fx.call('GET', path, { as: null });
    expect(open.status).toBe(200);
    expect(Number(open.headers['content-length'])).toBe(wav.length);
    const ranged = await fx.call('GET', path, { as: null, headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    const token = path.split('/').pop()!;
    // The same platform secret signs and checks; past its 30 days the link is refused.
    const links = new RecordingLinks(fx.store, '');
    expect(await links.verify(token)).toBe(id);
    expect(await links.verify(token, new Date(Date.now() + 31 * 86400_000))).toBeNull();
    const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    expect((await fx.call('GET', `/api/v1/recording-links/${forged}`, { as: null })).status).toBe(404);
    const other = token.replace(/^[0-9a-f-]{36}/, crypto.randomUUID());
    expect((await fx.call('GET', `/api/v1/recording-links/${other}`, { as: null })).status).toBe(404);
    expect((await fx.call('DELETE', `${base()}/recordings/${id}`, { as: fx.A.admin })).status).toBe(204);
    expect((await fx.call('GET', path, { as: null })).status).toBe(404);
  });

  it('refuses the audio of a recording still being made', async () => {
    const open = await seed('+74951110000', '101', ['101'], true);
    const res = await fx.call('GET', `${base()}/recordings/${open}/audio`, { as: fx.A.admin });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('RECORDING_IN_PROGRESS');
  });

  it('lets admins delete a recording: audited, the audio gone; supervisors may not', async () => {
    const id = await seed('+74951119999', '102', ['102']);
    const row = await fx.store.tenant(fx.A.id).recordings.get(id);
    expect((await fx.call('DELETE', `${base()}/recordings/${id}`, { as: fx.A.supervisor })).status).toBe(403);
    expect((await fx.call('DELETE', `${base()}/recordings/${id}`, { as: fx.A.admin })).status).toBe(204);
    expect(existsSync(storage.localPath(row!.key))).toBe(false);
    expect((await fx.call('GET', `${base()}/recordings/${id}`, { as: fx.A.admin })).status).toBe(404);
    expect((await fx.call('DELETE', `${base()}/recordings/${id}`, { as: fx.A.admin })).status).toBe(404);
    const audit = await fx.call('GET', `${base()}/audit-log`, { as: fx.A.admin });
    expect(
      audit.json.items.some(
        (e: { action: string; resourceId: string }) => e.action === 'recording.delete' && e.resourceId === id,
      ),
    ).toBe(true);
  });

  it("erases every recording of a customer's number on request", async () => {
    const a = await seed('+74957770001', '101', ['101']);
    const b = await seed('102', '+74957770001', ['102']);
    const kept = await seed('+74957770002', '101', ['101']);
    const res = await fx.call('POST', `${base()}/recordings/erase`, {
      as: fx.A.admin,
      body: { number: '+74957770001' },
    });
    expect(res.status).toBe(200);
    expect(res.json.deleted).toBe(2);
    const scope = fx.store.tenant(fx.A.id).recordings;
    expect((await scope.get(a))?.status).toBe('deleted');
    expect((await scope.get(b))?.status).toBe('deleted');
    expect((await scope.get(kept))?.status).toBe('stored');
    const bad = await fx.call('POST', `${base()}/recordings/erase`, {
      as: fx.A.admin,
      body: { number: 'x' },
    });
    expect(bad.status).toBe(400);
  });

  it("keeps the tenant's settings and an extension's choices, refusing bad values", async () => {
    const before = await fx.call('GET', `${base()}/recording-settings`, { as: fx.A.user });
    expect(before.json).toEqual({ announce: true, mode: 'stereo', retentionDays: 90 });
    const next = { announce: false, mode: 'mixed', retentionDays: null };
    expect(
      (await fx.call('PUT', `${base()}/recording-settings`, { as: fx.A.supervisor, body: next })).status,
    ).toBe(403);
    const put = await fx.call('PUT', `${base()}/recording-settings`, { as: fx.A.admin, body: next });
    expect(put.status).toBe(200);
    expect((await fx.call('GET', `${base()}/recording-settings`, { as: fx.A.admin })).json).toEqual(next);
    const bad = await fx.call('PUT', `${base()}/recording-settings`, {
      as: fx.A.admin,
      body: { ...next, retentionDays: 0 },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toMatch(/retentionDays/);

    const recording = {
      inboundExternal: 'always',
      inboundInternal: 'never',
      outboundExternal: 'onDemand',
      outboundInternal: 'onDemand',
    };
    const ext = `${base()}/extensions/${fx.A.otherExtensionId}`;
    const patched = await fx.call('PATCH', ext, { as: fx.A.admin, body: { recording } });
    expect(patched.status).toBe(200);
    expect(patched.json.recording).toEqual(recording);
    const wrong = await fx.call('PATCH', ext, {
      as: fx.A.admin,
      body: { recording: { ...recording, inboundExternal: 'sometimes' } },
    });
    expect(wrong.status).toBe(400);
  });
});
