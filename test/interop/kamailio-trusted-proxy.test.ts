/**
 * Interop: real Kamailio (deploy/kamailio/nimbus.cfg) in front of a node that lists it in
 * NIMBUS_SIP_TRUSTED_PROXIES. Every request reaches the node from Kamailio's address, yet
 * the node judges each phone by its own: a phone on 127.0.0.5 that guesses passwords gets
 * its address banned (and its right password refused), while a phone on 127.0.0.6 behind the
 * same Kamailio registers the same extension at once. A phone on 127.0.0.7 that writes the
 * banned address into its own Via (received=127.0.0.5) is still judged as 127.0.0.7:
 * Kamailio overwrites a client's `received`, which is what makes the Via trustworthy. A
 * scanner and a flood are dropped by Kamailio itself, so the node's silence cannot get it
 * marked down. A carrier's IP trunk is known by the carrier's address behind Kamailio too:
 * its call is routed without a challenge, while the same call from another address is
 * challenged.
 *
 * Runs with kamailio installed (or fails under NIMBUS_REQUIRE_INTEROP=1 without it); the
 * node is in-process on the embedded database, so neither PostgreSQL nor Redis is needed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNameAddr } from '../../src/sip/message/index.js';
import { systemClock } from '../../src/sip/transaction/clock.js';
import { freePort, haveKamailio, KAMAILIO, kamailioArgs } from '../helpers/kamailio.js';
import { PHONE_SDP, type PhoneBank, phoneBank } from '../helpers/phones.js';
import { runCommand } from '../helpers/process.js';
import { ask, type RawClient, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';
import { udpUa, until, Wire } from '../helpers/test-ua.js';
import { trunkInput } from '../helpers/trunks.js';

const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'kamtrust.example.test';
const SECRET = 's-201-secret';

/** A port free for both UDP and TCP on loopback (Kamailio listens on both). */
describe.runIf(haveKamailio || required)(
  'Kamailio in front, trusted: each phone judged by its own address',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-kamtrust-'));
    let fx: SipFixture;
    let kam: ChildProcess | null = null;
    const kamOut: string[] = [];
    let kamPort = 0;
    const clients: RawClient[] = [];
    let bank: PhoneBank | null = null;

    const phone = async (address: string) => {
      const c = await udpClient(kamPort, address);
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      if (!haveKamailio)
        throw new Error('kamailio is not installed (apt-get install kamailio) and NIMBUS_REQUIRE_INTEROP=1');
      fx = await sipFixture(DOMAIN, [{ number: '201' }, { number: '202' }, { number: '203' }], {
        trustedProxies: ['127.0.0.1'],
        // Four failures ban the whole address; the per-user limit is off to keep that the only rule.
        security: { userFailures: 0, ipFailures: 4 },
      });
      kamPort = await freePort();
      const list = join(dir, 'dispatcher.list');
      writeFileSync(list, `1 sip:127.0.0.1:${fx.sip.transports.udpPort} 0 0 node=in-process\n`);
      kam = spawn(KAMAILIO, kamailioArgs(dir, { sip: kamPort, ws: await freePort() }, list), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (d: Buffer) => {
        kamOut.push(String(d));
        if (kamOut.length > 200) kamOut.shift();
      };
      kam.stdout?.on('data', keep);
      kam.stderr?.on('data', keep);
      await until(
        () => kamOut.join('').includes(`127.0.0.1]:${kamPort}`) || kam?.exitCode !== null,
        10_000,
      ).catch(() => {});
      if (kam.exitCode !== null) throw new Error(`kamailio exited:\n${kamOut.join('')}`);
      // Ready when a REGISTER through Kamailio is challenged by the node (its workers and the
      // dispatcher may still be starting when the listening line is printed).
      const warmUp = await phone('127.0.0.4');
      const end = Date.now() + 20_000;
      for (;;) {
        const status = await ask('REGISTER', { user: '202', target: '', domain: DOMAIN }, warmUp)
          .then((a) => a.status)
          .catch(() => 0);
        if (status === 401) break;
        if (Date.now() > end)
          throw new Error(`no challenge through kamailio (${status}):\n${kamOut.join('')}`);
      }
    }, 60_000);

    afterAll(async () => {
      for (const c of clients) c.close();
      bank?.close();
      const k = kam;
      if (k && k.exitCode === null && k.signalCode === null) {
        k.kill('SIGTERM');
        await Promise.race([
          new Promise((r) => k.once('exit', r)),
          new Promise((r) => setTimeout(r, 5000)).then(() => k.kill('SIGKILL')),
        ]);
      }
      await fx?.close();
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it("bans the guessing phone's address and serves another phone behind the same Kamailio", async () => {
      // Kamailio answers its registrations through; the first REGISTER proves the path works.
      const guesser = await phone('127.0.0.5');
      const other = await phone('127.0.0.6');
      expect(
        (await ask('REGISTER', { user: '201', target: '', domain: DOMAIN, password: SECRET }, other)).status,
      ).toBe(200);
      for (let i = 0; i < 4; i++)
        expect(
          (
            await ask(
              'REGISTER',
              { user: '201', target: '', domain: DOMAIN, password: `guess-${i}` },
              guesser,
            )
          ).status,
        ).toBe(403);
      expect(fx.sip.guard.activeBans()).toEqual([expect.objectContaining({ ip: '127.0.0.5', user: null })]);
      // Banned: even the right password is refused there; the other phone's is not.
      expect(
        (await ask('REGISTER', { user: '201', target: '', domain: DOMAIN, password: SECRET }, guesser))
          .status,
      ).toBe(403);
      expect(
        (await ask('REGISTER', { user: '201', target: '', domain: DOMAIN, password: SECRET }, other)).status,
      ).toBe(200);
      const events = fx.sip.securityLog.list({ kind: 'auth-failure' });
      expect(events.length).toBeGreaterThanOrEqual(5);
      expect(new Set(events.map((e) => e.ip))).toEqual(new Set(['127.0.0.5']));
      expect(fx.sip.securityLog.list({ kind: 'ban' }).map((e) => e.ip)).toEqual(['127.0.0.5']);
    }, 60_000);

    it("ignores a received= a phone wrote itself: Kamailio overwrites it with the phone's real address", async () => {
      const forger = await phone('127.0.0.7');
      // The forger claims, in its own Via, to be the banned phone (to frame it) — or anyone else.
      const forged: RawClient = {
        ...forger,
        exchange: (text, callId) =>
          forger.exchange(text.replace(';rport', ';received=127.0.0.5;rport'), callId),
      };
      expect(
        (await ask('REGISTER', { user: '202', target: '', domain: DOMAIN, password: SECRET }, forged)).status,
      ).toBe(403);
      const last = fx.sip.securityLog.list({ kind: 'auth-failure' })[0];
      expect(last).toMatchObject({ ip: '127.0.0.7', user: '202' });
      // And its right password works: it is not taken for the banned address.
      expect(
        (await ask('REGISTER', { user: '202', target: '', domain: DOMAIN, password: 's-202-secret' }, forged))
          .status,
      ).toBe(200);
    }, 30_000);

    it('drops a flood at Kamailio (pike), so the node is neither flooded nor marked down', async () => {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.10', () => r()));
      let answered = 0;
      sock.on('message', (d) => {
        if (d.toString('latin1').startsWith('SIP/2.0 200')) answered++;
      });
      // 400 requests in about 0.8 s from one address: the node itself has no limit here, so
      // whatever is not answered was dropped by Kamailio (150 per 2 s by default).
      for (let i = 0; i < 400; i++) {
        sock.send(
          [
            `OPTIONS sip:${DOMAIN} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.10:${sock.address().port};branch=z9hG4bK-fl${i};rport`,
            'Max-Forwards: 70',
            `From: <sip:flood@${DOMAIN}>;tag=fl`,
            `To: <sip:${DOMAIN}>`,
            `Call-ID: kamtrust-flood-${i}`,
            `CSeq: ${i + 1} OPTIONS`,
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
          kamPort,
          '127.0.0.1',
        );
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      sock.close();
      expect(answered).toBeGreaterThan(50);
      expect(answered).toBeLessThan(300);
      const ds = await runCommand('kamcmd', ['-s', `unix:${join(dir, 'kamailio_ctl')}`, 'dispatcher.list']);
      expect(ds.out).toMatch(/FLAGS: A/);
      const other = await phone('127.0.0.11');
      expect(
        (await ask('REGISTER', { user: '202', target: '', domain: DOMAIN, password: 's-202-secret' }, other))
          .status,
      ).toBe(200);
    }, 30_000);

    it("knows a carrier's IP trunk by the carrier's address, not Kamailio's", async () => {
      const CARRIER = '127.0.0.12';
      const DID = '74957770012';
      const trunk = await fx.db.store.trunks.create(trunkInput('Carrier', CARRIER, null));
      await fx.db.store.numbers.create({
        number: `+${DID}`,
        tenantId: fx.tenantId,
        trunkId: trunk.id,
        note: '',
      });
      const tenant = fx.db.store.tenant(fx.tenantId);
      const ext = await tenant.extensions.getByNumber('203');
      await tenant.routing.create('inboundRoute', {
        name: 'Main',
        number: `+${DID}`,
        config: { callerRules: [], destination: { kind: 'extension', id: ext!.id } },
      });
      await fx.sip.tenantChanged(null);
      bank = await phoneBank(fx, DOMAIN, ['203']);
      const phone = bank.get('203');
      phone.mode = 'ring';

      const callFrom = async (address: string, n: number) => {
        const ua = await udpUa(`carrier-${n}`, new Wire(), systemClock, address);
        const invite = ua.buildRequest('INVITE', `sip:${DID}@127.0.0.1:${kamPort}`, {
          from: `<sip:79161234567@${address}>`,
          headers: [['P-Asserted-Identity', `<sip:79161234567@${address}>`]],
          body: PHONE_SDP,
          contentType: 'application/sdp',
        });
        return { ua, ex: ua.send(invite, { transport: 'UDP', host: '127.0.0.1', port: kamPort }) };
      };

      // From the carrier's address, through Kamailio: routed to 203 with the carrier's caller.
      const before = phone.invites.length;
      const fromCarrier = await callFrom(CARRIER, 1);
      await until(() => phone.invites.length > before, 10_000);
      const rung = phone.invites.at(-1)!;
      expect(parseNameAddr(rung.headers.get('From') ?? '')?.uri.user).toBe('+79161234567');
      expect(fromCarrier.ex.responses.some((r) => r.status === 407)).toBe(false);
      for (const c of fx.sip.calls) c.hangup('A', 'test');
      await until(() => fx.sip.calls.size === 0, 10_000);
      fromCarrier.ua.close();

      // The same call from an address that is no trunk's: a stranger, challenged like a phone.
      const stranger = await callFrom('127.0.0.13', 2);
      expect((await stranger.ex.done())?.status).toBe(407);
      expect(phone.invites.length).toBe(before + 1);
      stranger.ua.close();
    }, 60_000);

    it('drops a scanner at Kamailio, so the node is not marked down for leaving it unanswered', async () => {
      const scanner = await phone('127.0.0.8');
      scanner.send(
        [
          `OPTIONS sip:100@${DOMAIN} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.8:${scanner.port};branch=z9hG4bK-scan1;rport`,
          'Max-Forwards: 70',
          `From: <sip:100@${DOMAIN}>;tag=scan`,
          `To: <sip:100@${DOMAIN}>`,
          'Call-ID: kamtrust-scan-1',
          'CSeq: 1 OPTIONS',
          'User-Agent: Friendly-Scanner',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      );
      // Past Kamailio's 4 s for a node to answer: had the OPTIONS been relayed, the node's silence
      // would have timed out and the node would now be marked down (503 to every phone).
      await new Promise((r) => setTimeout(r, 5000));
      expect(fx.sip.scanners.dropped).toBe(0);
      const ds = await runCommand('kamcmd', ['-s', `unix:${join(dir, 'kamailio_ctl')}`, 'dispatcher.list']);
      expect(ds.status, ds.out).toBe(0);
      expect(ds.out).toMatch(/FLAGS: A/);
      const other = await phone('127.0.0.9');
      expect(
        (await ask('REGISTER', { user: '202', target: '', domain: DOMAIN, password: 's-202-secret' }, other))
          .status,
      ).toBe(200);
    }, 30_000);
  },
);
