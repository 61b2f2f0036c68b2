/**
 * The media engine with real UDP sockets on loopback: two "phones" bridged
 * through worker threads, latching, transcoding, stream rewriting and RTCP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, parseWav } from '../../src/media/audio/wav.js';
import { ALAW_TO_LINEAR, encodeG711, linearToUlaw, ULAW_TO_LINEAR } from '../../src/media/codecs/g711.js';
import { dtmfSequence } from '../../src/media/dtmf/generate.js';
import { DtmfDetector } from '../../src/media/dtmf/goertzel.js';
import { telephoneEventPackets } from '../../src/media/dtmf/telephone-event.js';
import { type MediaEndpoint, MediaEngine, type RemoteMedia } from '../../src/media/engine.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp/packet.js';
import { parseCompound } from '../../src/media/rtp/rtcp.js';
import { levelAt } from '../helpers/audio.js';

const PROMPTS = resolve(import.meta.dirname, '../../prompts');

interface Phone {
  rtp: Socket;
  rtcp: Socket;
  port: number;
  got: Buffer[];
  gotRtcp: Buffer[];
}

async function phone(): Promise<Phone> {
  for (;;) {
    const rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    const port = rtp.address().port;
    if (port % 2 !== 0 || port > 65000) {
      rtp.close();
      continue;
    }
    const rtcp = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      rtcp.once('error', () => r(false));
      rtcp.bind(port + 1, '127.0.0.1', () => r(true));
    });
    if (!ok) {
      rtp.close();
      continue;
    }
    const p: Phone = { rtp, rtcp, port, got: [], gotRtcp: [] };
    rtp.on('message', (m) => p.got.push(m));
    rtcp.on('message', (m) => p.gotRtcp.push(m));
    return p;
  }
}

function close(p: Phone): void {
  p.rtp.close();
  p.rtcp.close();
}

function remote(p: Phone, codec: 'ulaw' | 'alaw', extra: Partial<RemoteMedia> = {}): RemoteMedia {
  return {
    address: '127.0.0.1',
    port: p.port,
    audioPt: codec === 'ulaw' ? 0 : 8,
    recvAudioPt: codec === 'ulaw' ? 0 : 8,
    codec,
    telephoneEventPt: 101,
    recvTelephoneEventPt: 101,
    send: true,
    ...extra,
  };
}

function packet(pt: number, seq: number, ts: number, ssrc: number, payload: Buffer): Buffer {
  return serializeRtp({
    marker: false,
    payloadType: pt,
    sequence: seq,
    timestamp: ts,
    ssrc,
    csrc: [],
    extension: null,
    payload,
  });
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('media engine', () => {
  let engine: MediaEngine;

  beforeAll(async () => {
    engine = await MediaEngine.start({
      bindAddress: '127.0.0.1',
      advertiseAddress: '127.0.0.1',
      portMin: 41000,
      portMax: 41199,
      workers: 2,
    });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('spreads calls over the workers and keeps a call on one', async () => {
    const a1 = await engine.open();
    const b1 = await engine.open(a1);
    const a2 = await engine.open();
    expect(b1.slot).toBe(a1.slot);
    expect(a2.slot).not.toBe(a1.slot);
    expect(a1.port % 2).toBe(0);
    expect(engine.load()).toEqual([2, 1]);
    await Promise.all([a1.close(), b1.close(), a2.close()]);
    expect(engine.load()).toEqual([0, 0]);
  });

  it('bridges two legs: rewrites the stream, transcodes µ-law to A-law, maps telephone-events', async () => {
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'alaw', { telephoneEventPt: 96, recvTelephoneEventPt: 96 }));
    a.bridge(b);
    await sleep(20);
    // B speaks first (latches b), so A's packets can flow to it.
    pb.rtp.send(packet(8, 500, 1000, 0xbbbb, Buffer.alloc(160, 0xd5)), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    const samples = [0, 1000, -1000, 30000, -30000];
    const ulaw = Buffer.from(samples.map(linearToUlaw));
    for (let i = 0; i < 10; i++) pa.rtp.send(packet(0, 100 + i, 160 * i, 0xaaaa, ulaw), a.port, '127.0.0.1');
    pa.rtp.send(packet(101, 110, 1600, 0xaaaa, Buffer.from([5, 0x8a, 0, 160])), a.port, '127.0.0.1');
    await until(() => pb.got.length === 11);
    const got = pb.got.map((m) => {
      const r = parseRtp(m);
      if (!r.ok) throw new Error(r.reason);
      return r.packet;
    });
    const audio = got.filter((p) => p.payloadType === 8);
    expect(audio).toHaveLength(10);
    // Transcoded through linear: each sample within one A-law quantization step of the original.
    audio[0]!.payload.forEach((octet, i) => {
      const s = samples[i]!;
      expect(Math.abs(ALAW_TO_LINEAR[octet]! - s)).toBeLessThanOrEqual(Math.max(16, Math.abs(s) * 0.07));
    });
    // One SSRC of our own, consecutive sequence numbers, timestamps 160 apart.
    expect(new Set(got.map((p) => p.ssrc)).size).toBe(1);
    expect(got[0]!.ssrc).not.toBe(0xaaaa);
    const sorted = [...audio].sort(
      (x, y) => ((x.sequence - audio[0]!.sequence) & 0xffff) - ((y.sequence - audio[0]!.sequence) & 0xffff),
    );
    for (let i = 1; i < sorted.length; i++) {
      expect((sorted[i]!.sequence - sorted[i - 1]!.sequence) & 0xffff).toBe(1);
      expect((sorted[i]!.timestamp - sorted[i - 1]!.timestamp) >>> 0).toBe(160);
    }
    const te = got.find((p) => p.payloadType === 96);
    expect(te?.payload[0]).toBe(5);
    const stats = await a.stats();
    expect(stats?.packetsReceived).toBe(11);
    expect(stats?.latchedTo).toBe(`127.0.0.1:${pa.port}`);
    await Promise.all([a.close(), b.close()]);
    close(pa);
    close(pb);
  });

  it('latches to the first sender and drops packets from anyone else (no RTP bleed)', async () => {
    const [pa, pb, intruder] = [await phone(), await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    // A's SDP names a NAT address that cannot be reached; the real source latches.
    a.setRemote(remote(pa, 'ulaw', { address: '192.0.2.7', port: 4000 }));
    b.setRemote(remote(pb, 'ulaw'));
    a.bridge(b);
    await sleep(20);
    pb.rtp.send(packet(0, 1, 0, 0xb, Buffer.alloc(160, 0xff)), b.port, '127.0.0.1');
    await sleep(30);
    pa.rtp.send(packet(0, 1, 0, 0xa, Buffer.alloc(160, 0x11)), a.port, '127.0.0.1');
    await until(() => pb.got.length === 1);
    // Now B's media reaches A at its real address.
    pb.rtp.send(packet(0, 2, 160, 0xb, Buffer.alloc(160, 0xff)), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    for (let i = 0; i < 20; i++) {
      intruder.rtp.send(packet(0, 1000 + i, 0, 0xe, Buffer.alloc(160, 0x22)), a.port, '127.0.0.1');
      intruder.rtp.send(packet(0, 1000 + i, 0, 0xe, Buffer.alloc(160, 0x22)), b.port, '127.0.0.1');
    }
    pa.rtp.send(packet(0, 2, 160, 0xa, Buffer.alloc(160, 0x11)), a.port, '127.0.0.1');
    await until(() => pb.got.length === 2);
    await sleep(50);
    expect(pb.got).toHaveLength(2);
    expect(pa.got).toHaveLength(1);
    expect(intruder.got).toHaveLength(0);
    for (const m of pb.got) expect(m.subarray(12).every((x) => x === 0x11)).toBe(true);
    const sa = await a.stats();
    const sb = await b.stats();
    // Once latched the socket is connected to the phone: the kernel drops the intruder's
    // datagrams (or the relay does, in the moment before the connect completes).
    expect(sa?.latchedTo).toBe(`127.0.0.1:${pa.port}`);
    expect(sb?.latchedTo).toBe(`127.0.0.1:${pb.port}`);
    await Promise.all([a.close(), b.close()]);
    for (const p of [pa, pb, intruder]) close(p);
  });

  it('keeps one continuous stream when the source changes (re-INVITE with a new SSRC)', async () => {
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'ulaw'));
    a.bridge(b);
    await sleep(20);
    pb.rtp.send(packet(0, 1, 0, 0xb, Buffer.alloc(160)), b.port, '127.0.0.1');
    await until(() => pa.got.length === 1);
    for (let i = 0; i < 3; i++)
      pa.rtp.send(packet(0, 10 + i, 160 * i, 0x1, Buffer.alloc(160)), a.port, '127.0.0.1');
    await until(() => pb.got.length === 3);
    // The re-INVITE's SDP (same address) lets the new stream in; stats() waits for the worker to take it.
    a.setRemote(remote(pa, 'ulaw'));
    await a.stats();
    for (let i = 0; i < 3; i++)
      pa.rtp.send(packet(0, 60000 + i, 999999 + 160 * i, 0x2, Buffer.alloc(160)), a.port, '127.0.0.1');
    await until(() => pb.got.length === 6);
    const ps = pb.got.map((m) => {
      const r = parseRtp(m);
      if (!r.ok) throw new Error(r.reason);
      return r.packet;
    });
    expect(new Set(ps.map((p) => p.ssrc)).size).toBe(1);
    expect((ps[3]!.sequence - ps[2]!.sequence) & 0xffff).toBe(1);
    expect(ps[3]!.marker).toBe(true);
    const gap = (ps[3]!.timestamp - ps[2]!.timestamp) >>> 0;
    expect(gap).toBeGreaterThanOrEqual(160);
    expect(gap).toBeLessThan(8000);
    await Promise.all([a.close(), b.close()]);
    close(pa);
    close(pb);
  });

  it('sends RTCP with a report about the leg and a BYE on close; reads the peer reports', async () => {
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'ulaw'));
    a.bridge(b);
    await sleep(20);
    // 20 packets from A with 2 lost (seq 105, 106 missing).
    for (let i = 0; i < 22; i++)
      if (i !== 5 && i !== 6)
        pa.rtp.send(packet(0, 100 + i, 160 * i, 0xa1, Buffer.alloc(160)), a.port, '127.0.0.1');
    await sleep(100);
    const stats = await a.close();
    expect(stats?.packetsReceived).toBe(20);
    expect(stats?.packetsLost).toBe(2);
    expect(stats?.lossRatio).toBeCloseTo(2 / 22, 5);
    expect(stats?.mos).toBeGreaterThan(1);
    expect(stats?.mos).toBeLessThan(4.4);
    await until(() => pa.gotRtcp.length >= 1);
    const last = parseCompound(pa.gotRtcp[pa.gotRtcp.length - 1]!);
    expect(last?.bye.length).toBe(1);
    expect(last?.reports[0]?.blocks[0]?.ssrc).toBe(0xa1);
    expect(last?.reports[0]?.blocks[0]?.cumulativeLost).toBe(2);
    expect(last?.cname).toContain('nimbus@');
    expect(await a.close()).toEqual(stats); // idempotent
    await b.close();
    close(pa);
    close(pb);
  });

  it('reads keys pressed as RFC 4733 telephone-events and reports them, while still forwarding them', async () => {
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    const heard: string[] = [];
    a.on((e) => {
      if (e.type === 'dtmf')
        heard.push(`${e.phase} ${e.digit}${e.phase === 'end' ? ` ${e.durationMs}` : ''}`);
    });
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'ulaw'));
    a.bridge(b);
    await sleep(20);
    pb.rtp.send(packet(0, 1, 0, 0xb, Buffer.alloc(160)), b.port, '127.0.0.1');
    let seq = 500;
    for (const [i, digit] of ['4', '#'].entries()) {
      for (const p of telephoneEventPackets(digit as '4' | '#', {
        timestamp: 8000 * (i + 1),
        durationMs: 120,
      }))
        pa.rtp.send(packet(101, seq++, p.timestamp, 0xa, p.payload), a.port, '127.0.0.1');
      await sleep(30);
    }
    await until(() => heard.length === 4);
    expect(heard).toEqual(['start 4', 'end 4 120', 'start #', 'end # 120']);
    await until(() => pb.got.length > 0);
    expect(pb.got.every((m) => (m[1]! & 0x7f) === 101)).toBe(true);
    await Promise.all([a.close(), b.close()]);
    close(pa);
    close(pb);
  });

  it('plays prompts and tones into a leg on a steady 20 ms clock, pausing bridged audio, with barge-in', async () => {
    const pa = await phone();
    const a = await engine.open();
    a.setRemote(remote(pa, 'alaw'));
    const file = join(PROMPTS, 'en', 'goodbye.wav');
    const t0 = Date.now();
    const done = await a.play({ files: [file, file] });
    const took = Date.now() - t0;
    expect(done.end).toBe('done');
    const ms = decodeWav(readFileSync(file), { sampleRate: 8000 }).durationMs * 2;
    // Paced, not bursted: the playback takes as long as the audio.
    expect(took).toBeGreaterThan(ms - 60);
    expect(pa.got.length).toBeGreaterThanOrEqual(Math.floor(ms / 20));
    const ps = pa.got.map((m) => {
      const r = parseRtp(m);
      if (!r.ok) throw new Error(r.reason);
      return r.packet;
    });
    expect(ps.every((p) => p.payloadType === 8 && p.payload.length === 160)).toBe(true);
    for (let i = 1; i < ps.length; i++) expect((ps[i]!.sequence - ps[i - 1]!.sequence) & 0xffff).toBe(1);

    // A missing file is reported, the rest still plays.
    const partly = await a.play({ files: [join(PROMPTS, 'en', 'no-such.wav'), file] });
    expect(partly.end).toBe('failed');
    expect(partly.error).toContain('no-such.wav');

    // A busy tone with barge-in: a key cuts it short and names the key.
    const playing = a.play({ tone: { region: 'ru', name: 'busy' } }, { bargeIn: true });
    await sleep(100);
    let seq = 900;
    for (const p of telephoneEventPackets('7', { timestamp: 123_456, durationMs: 100 }))
      pa.rtp.send(packet(101, seq++, p.timestamp, 0xa, p.payload), a.port, '127.0.0.1');
    expect(await playing).toEqual({ end: 'interrupted', digit: '7' });

    // Stopping, and closing while playing, end the playback too.
    const stopped = a.play({ tone: { region: 'eu', name: 'ringback' } });
    await sleep(50);
    a.stopPlayback();
    expect((await stopped).end).toBe('stopped');
    const cut = a.play({ tone: { region: 'us', name: 'ringback' } });
    await sleep(50);
    await a.close();
    expect((await cut).end).toMatch(/stopped|closed/);
    close(pa);
  });

  it('records a leg, both legs in stereo, and ends a voicemail-style recording on silence or a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-rec-'));
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'alaw'));
    a.bridge(b);
    const tone = (hz: number, law: 'ulaw' | 'alaw', i: number) =>
      encodeG711(
        Int16Array.from({ length: 160 }, (_, k) =>
          Math.round(8000 * Math.sin((2 * Math.PI * hz * (i * 160 + k)) / 8000)),
        ),
        law,
      );
    // Stereo: A (1000 Hz) on the left, B (600 Hz) on the right, 1 s each.
    const stereo = a.record(join(dir, 'call.wav'), { mode: 'stereo', peer: b });
    for (let i = 0; i < 50; i++) {
      pa.rtp.send(packet(0, i, i * 160, 0xa, tone(1000, 'ulaw', i)), a.port, '127.0.0.1');
      pb.rtp.send(packet(8, i, i * 160, 0xb, tone(600, 'alaw', i)), b.port, '127.0.0.1');
      await sleep(20);
    }
    a.stopRecording();
    const done = await stereo;
    expect(done.error).toBeUndefined();
    expect(done.summary?.reason).toBe('explicit');
    expect(done.summary?.durationMs).toBeGreaterThan(800);
    const wav = parseWav(readFileSync(join(dir, 'call.wav')));
    expect(wav.format.channels).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);

    // Voicemail: talk 0.5 s, then silence ends it after 600 ms (trailing quiet trimmed).
    const vm = a.record(join(dir, 'vm.wav'), {
      mode: 'single',
      silence: { afterMs: 600 },
      maxDurationMs: 10_000,
    });
    for (let i = 0; i < 60; i++) {
      const payload = i < 25 ? tone(800, 'ulaw', i) : Buffer.alloc(160, 0xff);
      pa.rtp.send(packet(0, 100 + i, (100 + i) * 160, 0xa, payload), a.port, '127.0.0.1');
      await sleep(20);
    }
    const ended = await vm;
    expect(ended.summary?.reason).toBe('silence');
    expect(ended.summary?.durationMs).toBeLessThan(1000);
    expect(ended.summary?.voicedMs).toBeGreaterThan(300);

    // A key ends it too ("press # when done").
    const keyed = a.record(join(dir, 'vm2.wav'), { mode: 'single', stopOnDtmf: true });
    await sleep(100);
    let seq = 300;
    for (const p of telephoneEventPackets('#', { timestamp: 999_000, durationMs: 100 }))
      pa.rtp.send(packet(101, seq++, p.timestamp, 0xa, p.payload), a.port, '127.0.0.1');
    expect((await keyed).summary?.reason).toBe('dtmf');

    // Hang-up (closing the endpoint) finishes the file.
    const cut = a.record(join(dir, 'vm3.wav'), { mode: 'single' });
    await sleep(100);
    await a.close();
    expect((await cut).summary?.reason).toBe('hangup');
    await b.close();
    close(pa);
    close(pb);
  });

  it('mixes a conference room: everyone hears the others and not themselves, muted members are not heard', async () => {
    const ps = [await phone(), await phone(), await phone()];
    const hz = [500, 1100, 1700];
    const eps: MediaEndpoint[] = [];
    const talking: string[] = [];
    for (const [i, p] of ps.entries()) {
      const ep = await engine.open({ room: 'tenant-x/sales' });
      ep.setRemote(remote(p, 'ulaw'));
      ep.on((e) => {
        if (e.type === 'talking') talking.push(`${i} ${e.talking ? 'starts' : 'stops'}`);
      });
      ep.joinConference('tenant-x/sales');
      eps.push(ep);
    }
    const level = (buf: Buffer[], f: number) =>
      levelAt(Int16Array.from(buf.flatMap((m) => [...m.subarray(12)].map((o) => ULAW_TO_LINEAR[o]!))), f);
    const talk = async (frames: number, who: number[]) => {
      for (let n = 0; n < frames; n++) {
        for (const i of who) {
          const pcm = Int16Array.from({ length: 160 }, (_, k) =>
            Math.round(6000 * Math.sin((2 * Math.PI * hz[i]! * (n * 160 + k)) / 8000)),
          );
          ps[i]!.rtp.send(
            packet(0, 1000 * i + n, n * 160, 0x100 + i, encodeG711(pcm, 'ulaw')),
            eps[i]!.port,
            '127.0.0.1',
          );
        }
        await sleep(20);
      }
    };
    await talk(40, [0, 1, 2]);
    const heard = ps.map((p) => p.got.slice(-20));
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        if (i === j) expect(level(heard[i]!, hz[j]!)).toBeLessThan(50);
        else expect(level(heard[i]!, hz[j]!)).toBeGreaterThan(500);
      }
    expect(talking.filter((t) => t.endsWith('starts')).sort()).toEqual(['0 starts', '1 starts', '2 starts']);
    // Member 0 muted: the others stop hearing it.
    eps[0]!.muteInConference(true);
    await talk(20, [0, 1, 2]);
    const after = ps.map((p) => p.got.slice(-10));
    expect(level(after[1]!, hz[0]!)).toBeLessThan(50);
    expect(level(after[0]!, hz[1]!)).toBeGreaterThan(500);
    await Promise.all(eps.map((e) => e.close()));
    for (const p of ps) close(p);
  });

  it('hears keys pressed as tones in the audio when the phone negotiated no telephone-event', async () => {
    const pa = await phone();
    const a = await engine.open();
    const heard: string[] = [];
    a.on((e) => {
      if (e.type === 'dtmf' && e.phase === 'end') heard.push(e.digit);
    });
    a.setRemote(remote(pa, 'alaw', { telephoneEventPt: null, recvTelephoneEventPt: null }));
    const pcm = dtmfSequence('3#', { onMs: 100, offMs: 100, leadMs: 60 });
    for (let i = 0; i + 160 <= pcm.length; i += 160) {
      pa.rtp.send(
        packet(8, i / 160, i, 0xd, encodeG711(pcm.subarray(i, i + 160), 'alaw')),
        a.port,
        '127.0.0.1',
      );
      await sleep(5);
    }
    await until(() => heard.length === 2);
    expect(heard).toEqual(['3', '#']);
    await a.close();
    close(pa);
  });

  it('turns RFC 4733 keys into tones for a bridged leg that has no telephone-event', async () => {
    const [pa, pb] = [await phone(), await phone()];
    const a = await engine.open();
    const b = await engine.open(a);
    a.setRemote(remote(pa, 'ulaw'));
    b.setRemote(remote(pb, 'alaw', { telephoneEventPt: null, recvTelephoneEventPt: null }));
    a.bridge(b);
    await sleep(20);
    pb.rtp.send(packet(8, 1, 0, 0xb, Buffer.alloc(160, 0xd5)), b.port, '127.0.0.1');
    await sleep(30);
    let seq = 10;
    for (const p of telephoneEventPackets('5', { timestamp: 160_000, durationMs: 200 })) {
      pa.rtp.send(packet(101, seq++, p.timestamp, 0xa, p.payload), a.port, '127.0.0.1');
      await sleep(20);
    }
    await sleep(200);
    expect(pb.got.every((m) => (m[1]! & 0x7f) === 8)).toBe(true);
    const detector = new DtmfDetector();
    const keys = pb.got.flatMap((m) =>
      detector
        .process(Int16Array.from(m.subarray(12), (o) => ALAW_TO_LINEAR[o]!))
        .filter((e) => e.type === 'end'),
    );
    expect(keys.map((k) => k.digit)).toEqual(['5']);
    await Promise.all([a.close(), b.close()]);
    close(pa);
    close(pb);
  });

  it('refuses garbage without harm and runs out of ports with a typed error', async () => {
    const small = await MediaEngine.start({
      bindAddress: '127.0.0.1',
      advertiseAddress: '127.0.0.1',
      portMin: 41300,
      portMax: 41303,
      workers: 1,
    });
    const e1 = await small.open();
    const e2 = await small.open();
    await expect(small.open()).rejects.toMatchObject({ code: 'ports-exhausted' });
    const p = await phone();
    e1.setRemote(remote(p, 'ulaw'));
    for (const junk of [
      Buffer.alloc(0),
      Buffer.from('hello world'),
      Buffer.alloc(11, 0x80),
      Buffer.from([0x80, 200, 0, 1]),
    ])
      p.rtp.send(junk, e1.port, '127.0.0.1');
    await sleep(50);
    const s = await e1.stats();
    expect(s?.malformedDropped).toBe(4);
    await e2.close();
    const e3 = await small.open();
    expect(e3.port).toBe(e2.port);
    await small.close();
    await small.close();
    close(p);
  });
});
