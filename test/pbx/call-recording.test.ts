/**
 * Call recording through the B2BUA with anchored media: a call recorded by policy
 * from the answer (stereo, the caller's tone on the left and the callee's on the
 * right); an on-demand recording started by *1 sent as SIP INFO, paused and
 * resumed (the paused tone is not in the file); 'never' beating 'always'; a
 * recording a crash cut short recovered at start; retention deleting old ones.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRecorder } from '../../src/media/recorder.js';
import { RecordingService } from '../../src/pbx/recording/service.js';
import { DiskStorage } from '../../src/pbx/recording/storage.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import type { ExtensionRecording, Recording } from '../../src/store/schema.js';
import { levelAt } from '../helpers/audio.js';
import { queueConfig, queueMember } from '../helpers/queues.js';
import {
  connect as connectPhones,
  phoneSdp,
  type RtpPhone,
  relayPort,
  rtpPhone,
  tone,
} from '../helpers/rtp-phones.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { Wire } from '../helpers/test-ua.js';

const DOMAIN = 'rec.example.test';
const PORT_MIN = 43400;
const PORT_MAX = 43599;

/** The channels of a 16-bit PCM WAV file. */
function channels(path: string): Int16Array[] {
  const b = readFileSync(path);
  let pos = 12;
  let count = 1;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') count = b.readUInt16LE(pos + 10);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, b.length - pos - 8) / 2 / count);
      const out = Array.from({ length: count }, () => new Int16Array(n));
      for (let i = 0; i < n; i++)
        for (let c = 0; c < count; c++) out[c]![i] = b.readInt16LE(pos + 8 + (i * count + c) * 2);
      return out;
    }
    pos += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** Polls an async condition every 20 ms until it gives something, or fails after `ms`. */
async function poll<T>(fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ALL_ON_DEMAND: ExtensionRecording = {
  inboundExternal: 'onDemand',
  inboundInternal: 'onDemand',
  outboundExternal: 'onDemand',
  outboundInternal: 'onDemand',
};

describe('call recording', () => {
  let fx: SipFixture;
  let pbx: Destination;
  let dir: string;
  const wire = new Wire();

  const phones: RtpPhone[] = [];
  const phone = async (number: string) => {
    const p = await rtpPhone(number, DOMAIN, pbx, wire);
    phones.push(p);
    return p;
  };
  const connect = (a: RtpPhone, b: RtpPhone) => connectPhones(a, b, DOMAIN, pbx);

  async function setRecording(number: string, r: Partial<ExtensionRecording>): Promise<void> {
    const ext = await fx.db.store.tenant(fx.tenantId).extensions.getByNumber(number);
    await fx.db.store
      .tenant(fx.tenantId)
      .extensions.update(ext!.id, { recording: { ...ALL_ON_DEMAND, ...r } });
    await fx.sip.tenantChanged(fx.tenantId);
  }

  async function recordingsOf(caller: string): Promise<Recording[]> {
    const page = await fx.db.store.tenant(fx.tenantId).recordings.list({ limit: 50, offset: 0, q: caller });
    return page.items.filter((r) => r.caller === caller);
  }

  async function stored(caller: string): Promise<Recording> {
    // Stored once the media worker has closed the file after the BYE: seconds when CI loads both cores.
    return poll(async () => (await recordingsOf(caller)).find((x) => x.status === 'stored'), 20_000);
  }

  function infoKey(p: RtpPhone, key: string) {
    return p
      .inDialog('INFO', {
        body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
        contentType: 'application/dtmf-relay',
      })
      .done();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nimbus-rec-'));
    fx = await sipFixture(
      DOMAIN,
      ['401', '402', '403', '404', '405', '406', '407', '408'].map((number) => ({ number })),
      {
        media: { bindAddress: '127.0.0.1', portMin: PORT_MIN, portMax: PORT_MAX, workers: 2 },
        recordings: new DiskStorage(dir),
      },
    );
    pbx = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
  });
  afterAll(async () => {
    for (const p of phones) {
      p.close();
      p.rtp.close();
    }
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a call by policy from the answer: stereo, caller left, callee right', async () => {
    await setRecording('401', { outboundInternal: 'always' });
    const [a, b] = [await phone('401'), await phone('402')];
    const { aPort, bPort } = await connect(a, b);
    const row = await poll(async () => (await recordingsOf('401'))[0]);
    expect(row.status).toBe('recording');
    expect(row.trigger).toBe('policy');
    await Promise.all([tone(a, aPort, 1000, 1000, 1), tone(b, bPort, 500, 1000, 1)]);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);

    const rec = await stored('401');
    expect(rec.mode).toBe('stereo');
    expect(rec.callee).toBe('402');
    expect(rec.parties.sort()).toEqual(['401', '402']);
    const call = await fx.db.store.tenant(fx.tenantId).calls.get(rec.callId);
    expect(call?.caller).toBe('401');
    const path = join(dir, rec.key);
    expect(statSync(path).size).toBe(Number(rec.bytes));
    const [left, right] = channels(path);
    expect(rec.durationMs).toBeGreaterThan(900);
    // Each party on its own channel: the caller's 1 kHz left, the callee's 500 Hz right.
    expect(levelAt(left!, 1000)).toBeGreaterThan(20 * levelAt(left!, 500));
    expect(levelAt(right!, 500)).toBeGreaterThan(20 * levelAt(right!, 1000));
  });

  it('starts on demand with *1, pauses and resumes with it again, leaving the paused part out', async () => {
    const [a, b] = [await phone('403'), await phone('404')];
    const { aPort } = await connect(a, b);
    await tone(a, aPort, 700, 300, 1);
    // Nothing is recorded until a party keys the code.
    expect(await recordingsOf('403')).toEqual([]);
    await infoKey(a, '*');
    await infoKey(a, '1');
    const started = await poll(async () => (await recordingsOf('403'))[0]);
    expect(started.trigger).toBe('onDemand');
    await tone(a, aPort, 1000, 600, 100);
    await infoKey(a, '*');
    await infoKey(a, '1'); // paused
    await tone(a, aPort, 2000, 600, 200);
    await infoKey(a, '*');
    await infoKey(a, '1'); // resumed
    await tone(a, aPort, 1000, 600, 300);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);

    const rec = await stored('403');
    expect(rec.pausedMs).toBeGreaterThan(400);
    const [left] = channels(join(dir, rec.key));
    // The 2 kHz said while paused is not in the file; the 1 kHz before and after is.
    expect(levelAt(left!, 1000)).toBeGreaterThan(10 * levelAt(left!, 2000));
    expect(levelAt(left!, 1000)).toBeGreaterThan(10 * levelAt(left!, 700));
    expect(rec.durationMs).toBeLessThan(1800);
  });

  it("'never' on one side beats 'always' on the other, and the code does nothing", async () => {
    await setRecording('405', { inboundInternal: 'never' });
    await setRecording('406', { outboundInternal: 'always' });
    const [a, b] = [await phone('406'), await phone('405')];
    const { aPort } = await connect(a, b);
    await infoKey(a, '*');
    await infoKey(a, '1');
    await tone(a, aPort, 1000, 200, 1);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await recordingsOf('406')).toEqual([]);
  });

  it("records every call answered from a queue set to 'always', whatever the extensions say", async () => {
    await fx.db.store.tenant(fx.tenantId).routing.create('queue', {
      name: 'Support',
      number: '450',
      config: { ...queueConfig({ members: [queueMember('408')] }), recording: 'always' },
    });
    await fx.sip.tenantChanged(fx.tenantId);
    const [a, agent] = [await phone('407'), await phone('408')];
    let agentPort = 0;
    agent.on('INVITE', (req, tx, source) => {
      if (!tx || req.headers.get('To')?.includes('tag=')) return;
      agentPort = relayPort(req);
      agent.accept(tx, source, phoneSdp(agent.rtpPort));
    });
    const invite = a.buildRequest('INVITE', `sip:450@${DOMAIN}`, {
      from: `<sip:407@${DOMAIN}>`,
      body: phoneSdp(a.rtpPort),
    });
    expect((await a.send(invite, pbx).done())?.status).toBe(200);
    const row = await poll(async () => (await recordingsOf('407'))[0]);
    expect(row).toMatchObject({ trigger: 'policy', callee: '408' });
    expect(agentPort).toBeGreaterThan(0);
    expect((await a.inDialog('BYE').done())?.status).toBe(200);
    expect((await stored('407')).parties.sort()).toEqual(['407', '408']);
  });

  it('recovers a recording a crash cut short, and deletes recordings past retention', async () => {
    const store = fx.db.store;
    const storage = new DiskStorage(dir);
    const service = new RecordingService({
      node: 'crashed-node',
      log: store.recordingLog,
      storage,
      directory: fx.sip.directory,
      logger: pino({ level: 'silent' }),
    });
    const callId = crypto.randomUUID();
    const key = `${fx.tenantId}/2026/01/01/${crypto.randomUUID()}.wav`;
    await storage.prepare(key);
    await store.recordingLog.open({
      id: crypto.randomUUID(),
      tenantId: fx.tenantId,
      callId,
      node: 'crashed-node',
      trigger: 'policy',
      mode: 'mixed',
      storage: 'disk',
      key,
      caller: '+74951112233',
      callee: '401',
      parties: ['401'],
      startedAt: new Date('2026-01-01T10:00:00Z'),
    });
    // The worker was writing when the node died: half a second of audio in the `.part` file.
    const rec = await FileRecorder.start(storage.localPath(key), { mode: 'single', flushBytes: 1024 });
    for (let i = 0; i < 25; i++) rec.push({ a: new Int16Array(160).fill(1000) });
    await new Promise((r) => setTimeout(r, 100));
    expect(await service.recover()).toBe(1);
    const [row] = (await store.tenant(fx.tenantId).recordings.list({ limit: 5, offset: 0, callId })).items;
    expect(row?.status).toBe('stored');
    expect(row?.durationMs).toBeGreaterThan(400);
    expect(statSync(storage.localPath(key)).size).toBe(Number(row?.bytes));

    // Kept 90 days by default: that January recording is past it in December.
    expect(await service.deleteExpired(new Date('2026-03-01T00:00:00Z'))).toBe(0);
    expect(await service.deleteExpired(new Date('2026-12-07T00:00:00Z'))).toBe(1);
    const gone = await store.tenant(fx.tenantId).recordings.get(row!.id);
    expect(gone?.status).toBe('deleted');
    expect(gone?.deletedBy).toBe('retention');
    expect(() => statSync(storage.localPath(key))).toThrow();
  });
});
