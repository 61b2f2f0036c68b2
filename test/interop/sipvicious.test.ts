/**
 * SIPVicious (Debian's sipvicious 0.3.3: svwar, svcrack) against a node whose
 * tenant has extensions 101-105:
 * - svwar --force with REGISTER, INVITE and OPTIONS finds none of them — over the
 *   whole 100-999 range, and with each real extension probed first (svwar stops at
 *   the first answer it does not recognise, so the first one probed is the one it
 *   really compares). A control: against a responder that does leak (404 for
 *   unknown users), the same svwar finds exactly 101-105, so "none" means something.
 * - svcrack over a range holding 101's password finds it with the protections off
 *   (the control) and not with them on; the ban is in the security events.
 * - With the default scanner list, svwar and svcrack get no answer at all.
 * SIPVicious OSS speaks UDP only ("tcp is not supported"); TCP answers are
 * compared byte for byte in test/pbx/no-enumeration.test.ts.
 * Skipped when svwar is missing, unless NIMBUS_REQUIRE_INTEROP=1 (CI).
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipServiceOptions } from '../../src/pbx/sip-service.js';
import { runCommand } from '../helpers/process.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const haveTools = spawnSync('svwar', ['--version']).error === undefined;
const required = process.env.NIMBUS_REQUIRE_INTEROP === '1';
const DOMAIN = 'sv.example.test';
const EXTENSIONS = ['101', '102', '103', '104', '105'];
const PASSWORD = '1030';

/** A UDP port nobody holds now (svwar and svcrack bind 5060 unless told). */
async function freePort(address: string): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The extensions svwar reports in its result table. */
function found(out: string): string[] {
  return [...out.matchAll(/^\|\s*(\d+)\s*\|\s*(reqauth|noauth|weird)\s*\|$/gm)].map((m) => m[1]!);
}

/** svwar and svcrack 0.3.3 send from 127.0.0.1 here whatever -b says. */
async function svwar(method: string, range: string, port: number): Promise<string[]> {
  const local = await freePort('127.0.0.1');
  const r = await runCommand('svwar', [
    '--force',
    `-e${range}`,
    '-m',
    method,
    '-P',
    String(local),
    '--domain',
    DOMAIN,
    '--maximumtime',
    '3',
    `udp://127.0.0.1:${port}`,
  ]);
  expect(r.status, r.out).toBe(0);
  return found(r.out);
}

async function svcrack(port: number): Promise<string | null> {
  const local = await freePort('127.0.0.1');
  const r = await runCommand('svcrack', [
    '-u',
    '101',
    '-r',
    '1000-1040',
    '-P',
    String(local),
    '--domain',
    DOMAIN,
    '--maximumtime',
    '3',
    `udp://127.0.0.1:${port}`,
  ]);
  expect(r.status, r.out).toBe(0);
  return /^\|\s*101\s*\|\s*(\S+)\s*\|$/m.exec(r.out)?.[1] ?? null;
}

async function node(options: Partial<SipServiceOptions>): Promise<SipFixture> {
  return sipFixture(
    DOMAIN,
    EXTENSIONS.map((number) => ({ number, secret: number === '101' ? PASSWORD : undefined })),
    options,
  );
}

describe.runIf(haveTools || required)('SIPVicious', () => {
  beforeAll(() => {
    if (!haveTools)
      throw new Error('svwar is not installed (apt-get install sipvicious) and NIMBUS_REQUIRE_INTEROP=1');
  });

  describe('svwar, scanner list off (answers to compare)', () => {
    let fx: SipFixture;
    beforeAll(async () => {
      fx = await node({ scannerAgents: [] });
    });
    afterAll(async () => fx?.close());

    for (const method of ['REGISTER', 'INVITE', 'OPTIONS']) {
      it(`${method}: finds none of 101-105`, async () => {
        const port = fx.sip.transports.udpPort;
        expect(await svwar(method, '100-999', port)).toEqual([]);
        for (const ext of EXTENSIONS) expect(await svwar(method, `${ext},100`, port)).toEqual([]);
      }, 120_000);
    }
  });

  describe('svwar against a responder that leaks (the control)', () => {
    const leaky = createSocket('udp4');
    beforeAll(async () => {
      // 404 for unknown users, a challenge for 101-105: what an enumerable server does.
      leaky.on('message', (data, rinfo) => {
        const text = data.toString('latin1');
        const method = text.slice(0, text.indexOf(' '));
        if (method === 'ACK') return;
        const user = /\r\nTo:[^\r]*sip:([^@>;]+)@/i.exec(text)?.[1] ?? '';
        const head = EXTENSIONS.includes(user) ? 'SIP/2.0 401 Unauthorized' : 'SIP/2.0 404 Not Found';
        const copy = (h: string) =>
          [...text.matchAll(new RegExp(`\\r\\n(${h}: [^\\r]*)`, 'gi'))].map((m) => m[1]);
        const lines = [
          head,
          ...copy('Via'),
          ...copy('From'),
          ...copy('To'),
          ...copy('Call-ID'),
          ...copy('CSeq'),
        ];
        if (head.includes('401'))
          lines.push(`WWW-Authenticate: Digest realm="${DOMAIN}", nonce="abc", algorithm=MD5`);
        leaky.send(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
      });
      await new Promise<void>((r) => leaky.bind(0, '127.0.0.1', () => r()));
    });
    afterAll(() => leaky.close());

    it('finds exactly 101-105', async () => {
      expect((await svwar('REGISTER', '100-110', leaky.address().port)).sort()).toEqual(EXTENSIONS);
      // The form used above to probe one real extension first finds it too.
      expect(await svwar('INVITE', '103,100', leaky.address().port)).toEqual(['103']);
    }, 60_000);
  });

  describe('svcrack', () => {
    it('finds the password with the protections off (the control)', async () => {
      const fx = await node({ scannerAgents: [], security: { userFailures: 0, ipFailures: 0 } });
      try {
        expect(await svcrack(fx.sip.transports.udpPort)).toBe(PASSWORD);
      } finally {
        await fx.close();
      }
    }, 120_000);

    it('does not find it with brute-force protection on, and the ban is a security event', async () => {
      const fx = await node({ scannerAgents: [] });
      try {
        expect(await svcrack(fx.sip.transports.udpPort)).toBeNull();
        const bans = fx.sip.securityLog.list({ kind: 'ban' });
        // Ten wrong guesses for 101 ban 101 from that address; 1030 is the 31st guess.
        expect(bans).toContainEqual(
          expect.objectContaining({ ip: '127.0.0.1', user: '101', tenantId: fx.tenantId }),
        );
        // The right password came after the ban: it was refused as a wrong one.
        expect(
          fx.sip.securityLog.list({ kind: 'auth-failure', limit: 100 }).some((e) => e.reason === 'banned'),
        ).toBe(true);
      } finally {
        await fx.close();
      }
    }, 120_000);
  });

  describe('with the default scanner list', () => {
    let fx: SipFixture;
    beforeAll(async () => {
      fx = await node({});
    });
    afterAll(async () => fx?.close());

    it('svwar and svcrack get no answer at all', async () => {
      const port = fx.sip.transports.udpPort;
      const local = await freePort('127.0.0.1');
      const r = await runCommand('svwar', [
        '--force',
        '-e100-110',
        '-P',
        String(local),
        '--domain',
        DOMAIN,
        `udp://127.0.0.1:${port}`,
      ]);
      // Its first probe (a random extension) goes unanswered: svwar gives up.
      expect(r.out).toMatch(/socket error: timed out|No server response/);
      expect(found(r.out)).toEqual([]);
      expect(await svcrack(port)).toBeNull();
      expect(fx.sip.scanners.dropped).toBeGreaterThan(1);
      // Logged once for the address, however many packets it sent.
      expect(fx.sip.securityLog.list({ kind: 'scanner' })).toEqual([
        expect.objectContaining({ ip: '127.0.0.1', reason: 'friendly-scanner' }),
      ]);
    }, 60_000);
  });
});
