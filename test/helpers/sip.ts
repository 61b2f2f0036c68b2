/**
 * A SIP service on loopback over a test database with one tenant and the
 * extensions a test asks for: the setup every SIP-level test shares.
 */
import { randomBytes } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { SipService, type SipServiceOptions } from '../../src/pbx/sip-service.js';
import { NO_FORWARDING } from '../../src/store/repositories/extensions.js';
import { openTestDb, type TestDb } from './db.js';

export interface ExtensionSpec {
  number: string;
  secret?: string;
  dnd?: boolean;
  ringTimeoutSec?: number;
  callClass?: 'internal' | 'local' | 'national' | 'international';
}

export interface SipFixture {
  db: TestDb;
  sip: SipService;
  tenantId: string;
  close(): Promise<void>;
}

export async function sipFixture(
  domain: string,
  extensions: ExtensionSpec[],
  options: Partial<SipServiceOptions> = {},
  log: Logger = pino({ level: 'silent' }),
): Promise<SipFixture> {
  const db = await openTestDb('pglite');
  const t = await db.store.tenants.create({
    name: domain,
    sipDomain: domain,
    timeZone: 'UTC',
    language: 'en',
    country: 'RU',
    maxExtensions: extensions.length + 10,
    maxConcurrentCalls: 10,
  });
  await db.store.transaction(async (tx) => {
    for (const e of extensions) {
      await tx.tenant(t.id).extensions.create({
        number: e.number,
        displayName: `Ext ${e.number}`,
        userId: null,
        sipSecret: e.secret ?? `s-${e.number}-secret`,
        voicemailEnabled: false,
        voicemailPin: null,
        callClass: e.callClass ?? 'internal',
        dnd: e.dnd ?? false,
        ringTimeoutSec: e.ringTimeoutSec ?? 20,
        forwarding: NO_FORWARDING,
      });
    }
  });
  const sip = new SipService(
    { host: '127.0.0.1', port: 0, publicAddress: '127.0.0.1', secret: randomBytes(32), ...options },
    db.store,
    log,
  );
  await sip.start();
  return {
    db,
    sip,
    tenantId: t.id,
    close: async () => {
      await sip.close();
      await db.close();
    },
  };
}
