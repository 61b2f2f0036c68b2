/**
 * Music on hold from the relay: the tenant's own folder or the built-in piece,
 * round and round, and a held party resumes where the music stopped for them.
 */
import { createSocket, type Socket } from 'node:dgram';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../src/media/audio/wav.js';
import { encodeG711 } from '../../src/media/codecs/g711.js';
import { MediaEngine } from '../../src/media/engine.js';
import { MusicOnHold } from '../../src/pbx/moh.js';

const BUILT_IN = resolve(import.meta.dirname, '../../prompts/moh/default.wav');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('music on hold', () => {
  let engine: MediaEngine;
  let phone: Socket;
  const got: Buffer[] = [];

  beforeAll(async () => {
    engine = await MediaEngine.start({
      bindAddress: '127.0.0.1',
      advertiseAddress: '127.0.0.1',
      portMin: 48_000,
      portMax: 48_099,
      workers: 1,
    });
    phone = createSocket('udp4');
    await new Promise<void>((r) => phone.bind(0, '127.0.0.1', () => r()));
    phone.on('message', (m) => got.push(m));
  });
  afterAll(async () => {
    phone.close();
    await engine.close();
  });

  it("plays the tenant's folder in name order, else the built-in music", () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-moh-'));
    mkdirSync(join(dir, 'tenant-a'));
    copyFileSync(BUILT_IN, join(dir, 'tenant-a', 'b-second.wav'));
    copyFileSync(BUILT_IN, join(dir, 'tenant-a', 'a-first.WAV'));
    const moh = new MusicOnHold(dir);
    expect(moh.playlist('tenant-a').map((f) => f.split('/').pop())).toEqual(['a-first.WAV', 'b-second.wav']);
    expect(moh.playlist('tenant-b')).toEqual([BUILT_IN]);
    expect(new MusicOnHold(null).playlist('x')).toEqual([BUILT_IN]);
  });

  it('resumes where the music stopped for the same held party', async () => {
    const moh = new MusicOnHold(null);
    const ep = await engine.open();
    ep.setRemote({
      address: '127.0.0.1',
      port: phone.address().port,
      audioPt: 0,
      recvAudioPt: 0,
      codec: 'ulaw',
      telephoneEventPt: null,
      recvTelephoneEventPt: null,
      send: true,
    });
    const music = decodeWav(readFileSync(BUILT_IN), { sampleRate: 8000 }).samples;
    const stop = moh.start(ep, 'tenant', '101');
    await sleep(600);
    stop();
    await sleep(100);
    const first = got.length;
    expect(first).toBeGreaterThan(20);
    expect(got[0]!.subarray(12)).toEqual(encodeG711(music.subarray(0, 160), 'ulaw'));
    // On hold again: the next frame is the one after the last one heard.
    const again = moh.start(ep, 'tenant', '101');
    await sleep(200);
    again();
    const resumed = got[first]!.subarray(12);
    expect(resumed).toEqual(encodeG711(music.subarray(first * 160, first * 160 + 160), 'ulaw'));
    // Someone else starts from the beginning.
    await sleep(100);
    const other = got.length;
    const third = moh.start(ep, 'tenant', '102');
    await sleep(100);
    third();
    expect(got[other]!.subarray(12)).toEqual(encodeG711(music.subarray(0, 160), 'ulaw'));
    await ep.close();
  });
});
