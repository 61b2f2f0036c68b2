/**
 * Password guessing over real sockets: every failure is a security event (log
 * line and the portal's list, with the tenant whose domain was named); 20
 * failures from one address across users ban the address, whose right password
 * is then refused; another address is served all along; an allowed address is
 * never banned.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, udpClient } from '../helpers/raw-sip.js';
import { type SipFixture, sipFixture } from '../helpers/sip.js';

const DOMAIN = 'bf.example.test';

describe('brute force over SIP', () => {
  let fx: SipFixture;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    fx = await sipFixture(
      DOMAIN,
      ['101', '102', '103'].map((number) => ({ number })),
      { security: { allow: ['127.0.0.5/32'] } },
      pino({ level: 'warn' }, sink),
    );
  });
  afterAll(async () => fx?.close());

  it('bans an address after 20 failures across users and logs each failure and the ban', async () => {
    const attacker = await udpClient(fx.sip.transports.udpPort, '127.0.0.3');
    const other = await udpClient(fx.sip.transports.udpPort, '127.0.0.4');
    try {
      for (let i = 0; i < 20; i++) {
        const user = ['101', '102', '103', '999'][i % 4]!;
        const r = await ask('INVITE', { user, target: '102', domain: DOMAIN, password: `p${i}` }, attacker);
        expect(r.status).toBe(403);
      }
      expect(fx.sip.guard.ipBanned('127.0.0.3')).toBe(true);
      const right = { user: '101', target: '102', domain: DOMAIN, password: 's-101-secret' };
      expect((await ask('REGISTER', right, attacker)).status).toBe(403);
      expect((await ask('REGISTER', right, other)).status).toBe(200);

      const failures = fx.sip.securityLog.list({ kind: 'auth-failure', limit: 100 });
      expect(failures).toHaveLength(21);
      expect(failures[0]).toMatchObject({
        ip: '127.0.0.3',
        user: '101',
        reason: 'banned',
        tenantId: fx.tenantId,
      });
      expect(failures.filter((f) => f.reason === 'unknown-user')).toHaveLength(5);
      const bans = fx.sip.securityLog.list({ kind: 'ban' });
      // Per user the limit is 10: 5 tries each never reached it; the address's 20 did.
      expect(bans).toEqual([expect.objectContaining({ ip: '127.0.0.3', user: null, tenantId: fx.tenantId })]);
      const msgs = lines
        .map((l) => (JSON.parse(l) as { msg: string }).msg)
        .filter((m) => m.startsWith('SECURITY'));
      expect(msgs).toContain(
        `SECURITY auth-failure ip=127.0.0.3 user=999 realm=${DOMAIN} method=INVITE transport=UDP reason=unknown-user`,
      );
      expect(msgs.filter((m) => m.startsWith('SECURITY ban ip=127.0.0.3 realm='))).toHaveLength(1);
    } finally {
      attacker.close();
      other.close();
    }
  });

  it('never bans an allowed address', async () => {
    const office = await udpClient(fx.sip.transports.udpPort, '127.0.0.5');
    try {
      for (let i = 0; i < 25; i++)
        await ask('REGISTER', { user: '102', target: '', domain: DOMAIN, password: `x${i}` }, office);
      const right = { user: '102', target: '', domain: DOMAIN, password: 's-102-secret' };
      expect((await ask('REGISTER', right, office)).status).toBe(200);
      expect(fx.sip.guard.activeBans().some((b) => b.ip === '127.0.0.5')).toBe(false);
    } finally {
      office.close();
    }
  });
});
