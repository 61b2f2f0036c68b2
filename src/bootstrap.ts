/**
 * First-start data: the first operator account, and the demo tenant that lets a
 * newcomer register a phone and sign in right after `npm start`.
 */

import { auditSnapshot, extensionView, tenantView, userView } from './api/views.js';
import type { Actor } from './store/repositories/audit.js';
import { NO_FORWARDING } from './store/repositories/extensions.js';
import type { Store } from './store/store.js';
import { hashPassword } from './util/password-hash.js';
import { generatePassword, generateSipSecret } from './util/secrets.js';

const SYSTEM: Actor = { type: 'system', id: null, label: 'nimbus bootstrap', ip: null };

export const DEFAULT_OPERATOR_EMAIL = 'admin@nimbus.local';

export interface Credentials {
  email: string;
  /** Present only when the password was generated and is being shown for the only time. */
  password: string | null;
}

/** Creates an operator if none exists. Returns the account created, or null when one already existed. */
export async function ensureFirstOperator(
  store: Store,
  opts: { email: string | null; password: string | null },
): Promise<Credentials | null> {
  if ((await store.accounts.countOperators()) > 0) return null;
  const email = opts.email ?? DEFAULT_OPERATOR_EMAIL;
  const password = opts.password ?? generatePassword();
  await createUser(store, { email, password, role: 'operator', tenantId: null, displayName: 'Operator' });
  return { email, password: opts.password ? null : password };
}

export async function createUser(
  store: Store,
  u: {
    email: string;
    password: string;
    role: 'operator' | 'tenant_admin' | 'supervisor' | 'user';
    tenantId: string | null;
    displayName: string;
  },
) {
  const passwordHash = await hashPassword(u.password);
  return store.transaction(async (tx) => {
    const scope = u.tenantId ? tx.tenant(u.tenantId) : tx.platform;
    const user = await scope.users.create({
      email: u.email,
      displayName: u.displayName,
      passwordHash,
      role: u.role,
    });
    await scope.audit.record(SYSTEM, {
      action: 'user.create',
      resourceType: 'user',
      resourceId: user.id,
      after: auditSnapshot(userView(user)),
    });
    return user;
  });
}

export interface DemoTenant {
  tenantId: string;
  name: string;
  sipDomain: string;
  admin: Credentials;
  extensions: { number: string; displayName: string; sipSecret: string }[];
}

const DEMO_EXTENSIONS = [
  ['101', 'Reception'],
  ['102', 'Sales'],
  ['103', 'Support'],
  ['104', 'Accounting'],
  ['105', 'Director'],
] as const;

/**
 * Creates the demo tenant on the given SIP domain (phones register to it), with
 * extensions 101-105 and an administrator owning 101. Returns null if a tenant
 * already uses that domain.
 */
export async function seedDemo(store: Store, sipDomain: string): Promise<DemoTenant | null> {
  if (await store.tenants.findByDomain(sipDomain)) return null;
  const adminPassword = generatePassword();
  const passwordHash = await hashPassword(adminPassword);
  const adminEmail = 'admin@demo.nimbus.local';
  return store.transaction(async (tx) => {
    const tenant = await tx.tenants.create({
      name: 'Demo Company',
      sipDomain: sipDomain.toLowerCase(),
      timeZone: 'Europe/Moscow',
      language: 'ru',
      country: 'RU',
      maxExtensions: 100,
      maxConcurrentCalls: 30,
    });
    await tx.platform.audit.record(SYSTEM, {
      action: 'tenant.create',
      resourceType: 'tenant',
      resourceId: tenant.id,
      after: auditSnapshot(tenantView(tenant)),
    });
    const scope = tx.tenant(tenant.id);
    const admin = await scope.users.create({
      email: adminEmail,
      displayName: 'Demo Admin',
      passwordHash,
      role: 'tenant_admin',
      language: null,
    });
    await scope.audit.record(SYSTEM, {
      action: 'user.create',
      resourceType: 'user',
      resourceId: admin.id,
      after: auditSnapshot(userView(admin)),
    });
    const extensions: DemoTenant['extensions'] = [];
    for (const [number, displayName] of DEMO_EXTENSIONS) {
      const sipSecret = generateSipSecret();
      const ext = await scope.extensions.create({
        number,
        displayName,
        userId: number === '101' ? admin.id : null,
        sipSecret,
        voicemailEnabled: true,
        voicemailPin: null,
        callClass: 'national',
        dnd: false,
        ringTimeoutSec: 25,
        forwarding: NO_FORWARDING,
      });
      await scope.audit.record(SYSTEM, {
        action: 'extension.create',
        resourceType: 'extension',
        resourceId: ext.id,
        after: auditSnapshot(extensionView(ext)),
      });
      extensions.push({ number, displayName, sipSecret });
    }
    return {
      tenantId: tenant.id,
      name: tenant.name,
      sipDomain: tenant.sipDomain,
      admin: { email: adminEmail, password: adminPassword },
      extensions,
    };
  });
}
