/**
 * Voicemail end to end over real SIP and RTP: a phone calls an extension that is
 * not registered, is forwarded to its mailbox, hears the greeting and the tone,
 * talks (RTP), presses # (SIP INFO); the message is on disk with its row,
 * emailed through an SMTP server started here with the WAV attached, and the
 * mailbox owner's subscribed phone gets the message-summary NOTIFY — cleared
 * again when the message is marked heard through the API. The PIN menu (*97)
 * is driven by INFO keys; a recording cut short by a crash is recovered when
 * the next SIP service starts.
 */

import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiToken } from '../../src/api/routes/api-keys.js';
import { buildApi } from '../../src/api/server.js';
import { decodeWav } from '../../src/media/audio/wav.js';
import { linearToUlaw } from '../../src/media/codecs/g711.js';
import { FileRecorder } from '../../src/media/recorder.js';
import { serializeRtp } from '../../src/media/rtp/packet.js';
import { parseSdp } from '../../src/media/sdp/index.js';
import type { PbxEvent } from '../../src/pbx/events.js';
import { SipService } from '../../src/pbx/sip-service.js';
import { contactFor } from '../../src/sip/dialog.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import type { Destination } from '../../src/sip/transaction/types.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { hashPassword } from '../../src/util/password-hash.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { type TestUa, udpUa, until, Wire } from '../helpers/test-ua.js';

const DOMAIN = 'voicemail.example.test';
const PORT_MIN = 44000;
const PORT_MAX = 44199;

/** Polls an async check every 20 ms until it gives something truthy. */
async function eventually<T>(fn: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function sdp(port: number): Buffer {
  return Buffer.from(
    [
      'v=0',
      'o=- 7 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      '',
    ].join('\r\n'),
  );
}

/** `ms` of a 440 Hz tone as µ-law RTP packets, 20 ms apart. */
async function talk(socket: Socket, port: number, ms: number, seq0 = 1): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < ms / 20; i++) {
    const n = seq0 + i;
    const pcm = Array.from({ length: 160 }, (_, k) =>
      Math.round(9000 * Math.sin((2 * Math.PI * 440 * (n * 160 + k)) / 8000)),
    );
    socket.send(
      serializeRtp({
        marker: false,
        payloadType: 0,
        sequence: n & 0xffff,
        timestamp: n * 160,
        ssrc: 0x4242,
        csrc: [],
        extension: null,
        payload: Buffer.from(pcm.map(linearToUlaw)),
      }),
      port,
      '127.0.0.1',
    );
    // Paced against the clock (not 20 ms sleeps, which drift on a busy machine).
    const wait = t0 + (i + 1) * 20 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

const info = (ua: TestUa, key: string) =>
  ua
    .inDialog('INFO', {
      body: Buffer.from(`Signal=${key}\r\nDuration=160\r\n`),
      contentType: 'application/dtmf-relay',
    })
    .done();

describe('voicemail over SIP', () => {
  let fx: SipFixture;
  let pbx: Destination;
  let smtp: SMTPServer;
  let smtpPort = 0;
  let refuseMail = false;
  const mails: ParsedMail[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-vm-'));
  const wire = new Wire();
  const uas: (TestUa & { close(): void })[] = [];
  let caller: TestUa & { close(): void };
  let rtp: Socket;
  let owner: TestUa & { close(): void };
  const summaries: string[] = [];
  let stt: Server;
  const transcribed: { type: string; auth: string; url: string; riff: string; bytes: number }[] = [];
  let ownerId = '';
  const scope = () => fx.db.store.tenant(fx.tenantId);

  async function ua(number: string) {
    const u = await udpUa(number, wire, systemClock);
    u.credentials = { username: number, password: `s-${number}-secret` };
    uas.push(u);
    return u;
  }

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, cb) {
        simpleParser(stream)
          .then((m) => {
            if (refuseMail) {
              // A mail server having a bad moment: "try again later".
              cb(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 }));
              return;
            }
            mails.push(m);
            cb();
          })
          .catch(cb);
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = (smtp.server.address() as { port: number }).port;
    // A speech-to-text service over HTTP: takes the WAV, answers the text.
    stt = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        transcribed.push({
          type: req.headers['content-type'] ?? '',
          auth: req.headers.authorization ?? '',
          url: req.url ?? '',
          riff: body.subarray(0, 4).toString(),
          bytes: body.length,
        });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ text: 'Please call me back about the invoice.' }));
      });
    });
    await new Promise<void>((r) => stt.listen(0, '127.0.0.1', () => r()));
    fx = await sipFixture(DOMAIN, [{ number: '501' }, { number: '502' }], {
      media: { bindAddress: '127.0.0.1', portMin: PORT_MIN, portMax: PORT_MAX, workers: 1 },
      voicemail: {
        dir,
        smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
        smtpFrom: 'pbx@voicemail.example.test',
        portalUrl: 'https://pbx.example.test',
        transcribeUrl: `http://127.0.0.1:${(stt.address() as { port: number }).port}/stt`,
        transcribeToken: 'stt-token',
      },
    });
    pbx = { transport: 'UDP', host: '127.0.0.1', port: fx.sip.transports.udpPort };
    const ext = (await scope().extensions.getByNumber('502'))!;
    ownerId = ext.id;
    // 502 has voicemail; unreachable and no-answer go to its mailbox, which emails its owner.
    await scope().extensions.update(ext.id, {
      voicemailEnabled: true,
      forwarding: {
        ...NO_FORWARDING,
        unreachable: { enabled: true, target: '', voicemail: true },
        noAnswer: { enabled: true, target: '', voicemail: true },
      },
    });
    await scope().voicemail.ensureForExtension(ext.id);
    await scope().voicemail.updateBox(ext.id, { email: 'anna@example.test' });
    await scope().voicemail.setPinHash(ext.id, await hashPassword('1234'));
    await fx.sip.tenantChanged(fx.tenantId);

    caller = await ua('501');
    rtp = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    // 502's phone only watches its lamp (it is not registered, so calls to 502 are unreachable).
    owner = await ua('502');
    owner.on('NOTIFY', (req, tx) => {
      if (req.headers.get('Event')?.startsWith('message-summary')) summaries.push(req.body.toString());
      tx?.respond(owner.response(req, 200));
    });
  });

  afterAll(async () => {
    stt?.close();
    for (const u of uas) u.close();
    rtp?.close();
    await fx?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('takes a message: greeting, tone, recording until #; stored, emailed, and the lamp lights', async () => {
    const sub = owner.buildRequest('SUBSCRIBE', `sip:502@${DOMAIN}`, {
      from: `<sip:502@${DOMAIN}>`,
      headers: [
        ['Event', 'message-summary'],
        ['Accept', 'application/simple-message-summary'],
        ['Expires', '600'],
        ['Contact', contactFor(owner.local, '502')],
      ],
    });
    expect((await owner.send(sub, pbx).done())?.status).toBe(200);
    await until(() => summaries.length >= 1);
    expect(summaries[0]).toContain('Messages-Waiting: no');
    const newMessages: PbxEvent[] = [];
    const off = fx.sip.events.on((e) => {
      if (e.type === 'voicemail.new') newMessages.push(e);
    });
    expect(summaries[0]).toContain(`Message-Account: sip:502@${DOMAIN}`);

    // Someone else's phone may not watch 502's mailbox.
    const nosy = caller.buildRequest('SUBSCRIBE', `sip:502@${DOMAIN}`, {
      from: `<sip:501@${DOMAIN}>`,
      headers: [
        ['Event', 'message-summary'],
        ['Expires', '600'],
        ['Contact', contactFor(caller.local, '501')],
      ],
    });
    expect((await caller.send(nosy, pbx).done())?.status).toBe(403);

    const invite = caller.buildRequest('INVITE', `sip:502@${DOMAIN}`, {
      from: `<sip:501@${DOMAIN}>`,
      body: sdp(rtp.address().port),
    });
    const ok = await caller.send(invite, pbx).done();
    expect(ok?.status).toBe(200); // answered by the PBX: voicemail
    const parsed = parseSdp(ok!.body.toString());
    if (!parsed.ok) throw new Error('no SDP');
    const relayPort = parsed.value.media[0]!.port;
    // Keep the relay latched while the greeting plays; the recording starts after the tone.
    const boxDir = join(dir, fx.tenantId, ownerId);
    const recording = () => existsSync(boxDir) && readdirSync(boxDir).some((f) => f.endsWith('.part'));
    let seq = 1;
    while (!recording()) {
      await talk(rtp, relayPort, 100, seq);
      seq += 5;
      if (seq > 2000) throw new Error('the recording never started');
    }
    const talked = Date.now();
    await talk(rtp, relayPort, 2000, seq);
    expect((await info(caller, '#'))?.status).toBe(200);
    const spokeMs = Date.now() - talked;

    const stored = await eventually(
      async () => (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 5, offset: 0 })).items[0],
    );
    expect(stored.caller).toBe('501');
    expect(stored.callerName).toBe('Ext 501');
    // Announced (the portal's live views, webhooks): the mailbox by its number.
    await until(() => newMessages.length === 1);
    off();
    expect(newMessages[0]).toMatchObject({
      type: 'voicemail.new',
      tenantId: fx.tenantId,
      message: { id: stored.id, boxId: ownerId, mailbox: '502', caller: '501', callerName: 'Ext 501' },
    });
    expect(stored.durationMs).toBeGreaterThan(1500);
    expect(stored.durationMs).toBeLessThan(spokeMs + 600);
    const file = join(boxDir, `${stored.id}.wav`);
    const wav = decodeWav(readFileSync(file));
    expect(wav.sampleRate).toBe(8000);
    expect(Math.abs(wav.durationMs - stored.durationMs)).toBeLessThan(25);
    // The caller's details file goes once the row is in.
    await until(() => readdirSync(boxDir).every((f) => !f.endsWith('.json') && !f.endsWith('.part')));
    // The PBX says "message saved" and hangs up.
    await until(() => caller.dialogs.size === 0, 15_000);

    // The lamp lights: 1 new, 0 old.
    await until(() => summaries.some((s) => s.includes('Voice-Message: 1/0')), 5000);
    expect(summaries.at(-1)).toContain('Messages-Waiting: yes');

    // The email: WAV attached, of the message's length; caller, duration and a portal link in the text.
    const mail = await until(() => mails[0], 10_000);
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('anna@example.test');
    expect(mail.subject).toContain('501');
    expect(mail.text).toContain('Ext 501 <501>');
    expect(mail.text).toContain(`https://pbx.example.test/voicemail?message=${stored.id}`);
    // And the link that marks it heard or deletes it without signing in (test/api/voicemail-actions.test.ts).
    const key = (await scope().voicemail.getMessage(stored.id))!.actionKey;
    expect(mail.text).toContain(
      `Mark as heard or delete: https://pbx.example.test/api/v1/voicemail-actions/${fx.tenantId}/${stored.id}?key=${key}`,
    );
    expect(mail.text).toMatch(/Duration: 0:0[2-3]/);
    // Transcribed first (the WAV went to the service with its token and language), the text in the email.
    expect(transcribed[0]).toMatchObject({
      type: 'audio/wav',
      auth: 'Bearer stt-token',
      url: '/stt?lang=en',
      riff: 'RIFF',
    });
    expect(transcribed[0]!.bytes).toBe(statSync(file).size);
    expect(mail.text).toContain('Please call me back about the invoice.');
    const withText = await scope().voicemail.getMessage(stored.id);
    expect(withText).toMatchObject({
      transcript: 'Please call me back about the invoice.',
      transcriptStatus: 'done',
    });
    const att = mail.attachments[0]!;
    expect(att.contentType).toBe('audio/wav');
    const attached = decodeWav(att.content);
    expect(attached.sampleRate).toBe(8000);
    expect(Math.abs(attached.durationMs - stored.durationMs)).toBeLessThan(25);
    const outbox = await fx.db.store.voicemailOutbox.ofMessage(stored.id);
    expect(outbox[0]?.sentAt).not.toBeNull();

    // Marked heard through the API: the lamp goes dark.
    const api = await buildApi({
      store: fx.db.store,
      config: { sessionHours: 1, publicAddress: '127.0.0.1' },
      logger: pino({ level: 'silent' }),
      voicemail: { dir, changed: (t, b) => void fx.sip.voicemail?.changedById(t, b) },
    });
    const k = newApiToken();
    await scope().apiKeys.create({
      name: 'vm test',
      prefix: k.prefix,
      secretHash: k.secretHash,
      role: 'tenant_admin',
      createdBy: null,
      expiresAt: null,
    });
    const res = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/tenants/${fx.tenantId}/voicemail/messages/${stored.id}`,
      headers: { authorization: `Bearer ${k.token}` },
      payload: { heard: true },
    });
    expect(res.statusCode).toBe(200);
    await until(() => summaries.at(-1)?.includes('Voice-Message: 0/1'), 5000);
    expect(summaries.at(-1)).toContain('Messages-Waiting: no');
    await api.app.close();
  }, 60_000);

  it('the PIN menu (*97) by INFO keys: PIN, new messages, save; a wrong PIN is refused', async () => {
    // Mark the message new again so the menu has something to play.
    const [m] = (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 1, offset: 0 })).items;
    await scope().voicemail.updateMessage(m!.id, { heard: false });
    // A wrong PIN three times: goodbye.
    const bad = owner.buildRequest('INVITE', `sip:*97@${DOMAIN}`, {
      from: `<sip:502@${DOMAIN}>`,
      body: sdp(rtp.address().port),
    });
    expect((await owner.send(bad, pbx).done())?.status).toBe(200);
    for (const key of ['9', '9', '9', '9', '#', '9', '9', '9', '9', '#', '9', '9', '9', '9', '#'])
      await info(owner, key);
    await until(() => owner.dialogs.size === 0, 30_000);
    expect((await scope().voicemail.getMessage(m!.id))?.heard).toBe(false);

    const inv = owner.buildRequest('INVITE', `sip:*97@${DOMAIN}`, {
      from: `<sip:502@${DOMAIN}>`,
      body: sdp(rtp.address().port),
    });
    expect((await owner.send(inv, pbx).done())?.status).toBe(200);
    // PIN, then 1 (new messages): the message plays and is marked heard; 9 saves it; * leaves.
    for (const key of ['1', '2', '3', '4', '#', '1']) await info(owner, key);
    await eventually(async () => (await scope().voicemail.getMessage(m!.id))?.heard, 40_000);
    await info(owner, '9');
    await eventually(async () => (await scope().voicemail.getMessage(m!.id))?.folder === 'saved', 40_000);
    await info(owner, '*');
    await until(() => owner.dialogs.size === 0, 40_000);
  }, 120_000);

  it('recovers a message whose recording a crash cut short when the next service starts', async () => {
    const box = (await scope().voicemail.getBox(ownerId))!;
    const id = '11111111-2222-4333-8444-555555555555';
    const boxDir = join(dir, fx.tenantId, box.id);
    const { writeFileSync, statSync } = await import('node:fs');
    writeFileSync(
      join(boxDir, `${id}.json`),
      JSON.stringify({ caller: '+74951234567', callerName: 'Crash', receivedAt: '2025-01-02T03:04:05.000Z' }),
    );
    const rec = await FileRecorder.start(join(boxDir, `${id}.wav`), { mode: 'single', flushBytes: 320 });
    const tone = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * i) / 20)),
    );
    for (let i = 0; i < 50; i++) rec.push({ a: tone });
    const part = () => readdirSync(boxDir).find((f) => f.endsWith('.part'));
    await until(() => part() && statSync(join(boxDir, part()!)).size > 44 + 40 * 320);
    // The process "dies" mid-recording; a new service starts on the same data.
    const next = new SipService(
      {
        host: '127.0.0.1',
        port: 0,
        publicAddress: '127.0.0.1',
        secret: Buffer.alloc(32, 1),
        voicemail: { dir },
      },
      fx.db.store,
      pino({ level: 'silent' }),
    );
    await next.start();
    try {
      const m = await scope().voicemail.getMessage(id);
      expect(m?.caller).toBe('+74951234567');
      expect(m?.callerName).toBe('Crash');
      expect(m?.receivedAt.toISOString()).toBe('2025-01-02T03:04:05.000Z');
      expect(m?.durationMs).toBeGreaterThanOrEqual(800);
      expect(existsSync(join(boxDir, `${id}.wav`))).toBe(true);
      expect(readdirSync(boxDir).filter((f) => f.endsWith('.part') || f.endsWith('.json'))).toEqual([]);
    } finally {
      await next.close();
      rec.close();
    }
  });

  it('a mailbox set to MP3 and "delete after email": a refused email is retried; it carries an MP3 of the message, which is then gone', async () => {
    await scope().voicemail.updateBox(ownerId, { attachFormat: 'mp3', deleteAfterEmail: true });
    refuseMail = true;
    const sent = mails.length;
    const before = (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 50, offset: 0 })).total;
    const invite = caller.buildRequest('INVITE', `sip:502@${DOMAIN}`, {
      from: `<sip:501@${DOMAIN}>`,
      body: sdp(rtp.address().port),
    });
    const ok = await caller.send(invite, pbx).done();
    expect(ok?.status).toBe(200);
    const parsed = parseSdp(ok!.body.toString());
    if (!parsed.ok) throw new Error('no SDP');
    const relayPort = parsed.value.media[0]!.port;
    const boxDir = join(dir, fx.tenantId, ownerId);
    const recording = () => existsSync(boxDir) && readdirSync(boxDir).some((f) => f.endsWith('.part'));
    let seq = 1;
    while (!recording()) {
      await talk(rtp, relayPort, 100, seq);
      seq += 5;
      if (seq > 2000) throw new Error('the recording never started');
    }
    await talk(rtp, relayPort, 2000, seq);
    expect((await info(caller, '#'))?.status).toBe(200);
    await until(() => caller.dialogs.size === 0, 15_000);
    // The first try is refused: kept in the outbox with the error and a later try; the message stays.
    const newest = await eventually(
      async () => (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 1, offset: 0 })).items[0],
    );
    const failed = await eventually(async () => {
      const [row] = await fx.db.store.voicemailOutbox.ofMessage(newest.id);
      return row && row.attempts > 0 ? row : undefined;
    });
    expect(failed.sentAt).toBeNull();
    expect(failed.lastError).toContain('try later');
    expect(failed.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 5_000);
    expect(await scope().voicemail.getMessage(newest.id)).toBeDefined();
    // The server is back; the retry's time comes (moved forward here rather than waited for).
    refuseMail = false;
    await fx.db.store.db
      .updateTable('voicemailEmails')
      .set({ nextAttemptAt: new Date() })
      .where('id', '=', failed.id)
      .execute();
    fx.sip.mailer?.kick();
    const mail = await until(() => mails[sent], 15_000);
    const att = mail.attachments[0]!;
    expect(att.contentType).toBe('audio/mpeg');
    expect(att.filename).toMatch(/\.mp3$/);
    // It decodes (mpg123, not our encoder) to about the message's length, at a fraction of the WAV's size.
    const { MPEGDecoder } = await import('mpg123-decoder');
    const decoder = new MPEGDecoder();
    await decoder.ready;
    const decoded = decoder.decode(new Uint8Array(att.content));
    decoder.free();
    const seconds = decoded.samplesDecoded / decoded.sampleRate;
    // The message is what was said after the tone (the relay starts recording a moment into the 2 s).
    expect(seconds).toBeGreaterThan(1.2);
    expect(seconds).toBeLessThan(2.6);
    expect(att.content.length).toBeLessThan(seconds * 8000 * 2 * 0.25);
    // Deleted once sent: no row, no file.
    const messageId = mail.headers.get('x-nimbus-voicemail') as string;
    await until(() => !existsSync(join(boxDir, `${messageId}.wav`)), 5000);
    expect(await scope().voicemail.getMessage(messageId)).toBeUndefined();
    expect((await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 50, offset: 0 })).total).toBe(
      before,
    );
    await scope().voicemail.updateBox(ownerId, { attachFormat: 'wav', deleteAfterEmail: false });
  }, 60_000);

  it('a phone that registers is told its lamp at once (unsolicited NOTIFY), without subscribing', async () => {
    const ext = (await scope().extensions.getByNumber('501'))!;
    await scope().extensions.update(ext.id, { voicemailEnabled: true });
    await scope().voicemail.ensureForExtension(ext.id);
    await scope().voicemail.insertMessage({
      id: randomUUID(),
      boxId: ext.id,
      caller: '502',
      callerName: 'Ext 502',
      durationMs: 1000,
      sizeBytes: 16_000,
      receivedAt: new Date(),
    });
    await fx.sip.tenantChanged(fx.tenantId);
    const phone = await ua('501');
    const lamps: string[] = [];
    phone.on('NOTIFY', (req, tx) => {
      if (req.headers.get('Event')?.startsWith('message-summary')) lamps.push(req.body.toString());
      tx?.respond(phone.response(req, 200));
    });
    const register = phone.buildRequest('REGISTER', `sip:${DOMAIN}`, {
      from: `<sip:501@${DOMAIN}>`,
      to: `<sip:501@${DOMAIN}>`,
      headers: [
        ['Contact', contactFor(phone.local, '501')],
        ['Expires', '600'],
      ],
    });
    expect((await phone.send(register, pbx).done())?.status).toBe(200);
    await until(() => lamps.length === 1, 5000);
    expect(lamps[0]).toContain('Messages-Waiting: yes');
    expect(lamps[0]).toContain('Voice-Message: 1/0');
    // A refresh of the same contact is not news: no second NOTIFY.
    expect(
      (
        await phone
          .send(
            phone.buildRequest('REGISTER', `sip:${DOMAIN}`, {
              from: `<sip:501@${DOMAIN}>`,
              to: `<sip:501@${DOMAIN}>`,
              headers: [
                ['Contact', contactFor(phone.local, '501')],
                ['Expires', '600'],
              ],
            }),
            pbx,
          )
          .done()
      )?.status,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(lamps).toHaveLength(1);
  });

  it('a full mailbox says so and takes nothing', async () => {
    await scope().voicemail.updateBox(ownerId, { quota: 1 });
    const before = (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 50, offset: 0 })).total;
    const invite = caller.buildRequest('INVITE', `sip:502@${DOMAIN}`, {
      from: `<sip:501@${DOMAIN}>`,
      body: sdp(rtp.address().port),
    });
    expect((await caller.send(invite, pbx).done())?.status).toBe(200);
    await until(() => caller.dialogs.size === 0, 20_000);
    const after = (await scope().voicemail.listMessages({ boxIds: [ownerId], limit: 50, offset: 0 })).total;
    expect(after).toBe(before);
    await scope().voicemail.updateBox(ownerId, { quota: 100 });
  }, 30_000);
});
