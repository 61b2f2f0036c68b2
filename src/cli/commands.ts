/**
 * The commands of `nimbus` (main.ts reads the arguments and loads this module).
 */
import { startNode } from '../app.js';
import { createUser, seedDemo } from '../bootstrap.js';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../store/connect.js';
import type { EmbeddedDb } from '../store/embedded.js';
import { migrateToLatest } from '../store/migrator.js';
import { ROLES, type Role } from '../store/schema.js';
import { Store } from '../store/store.js';
import { hashPassword } from '../util/password-hash.js';
import { generatePassword } from '../util/secrets.js';
import { UsageError } from './args.js';
import { startBanner } from './banner.js';
import { runDoctor } from './doctor.js';

export interface CommandOptions {
  email?: string | undefined;
  password?: string | undefined;
  role?: string | undefined;
  tenantDomain?: string | undefined;
  /** `start` on the embedded database: the database main.ts began opening. */
  embedded?: Promise<EmbeddedDb> | undefined;
}

async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const h = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(h.db);
    return await fn(new Store(h.db));
  } finally {
    await h.close();
  }
}

/** What `nimbus <command>` does, once main.ts has read the arguments and the settings. */
export async function runCommand(
  command: string,
  sub: string | undefined,
  config: Config,
  o: CommandOptions,
): Promise<number> {
  switch (command) {
    case 'start':
      return start(config, o.embedded);
    case 'migrate': {
      const h = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const { applied } = await migrateToLatest(h.db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database schema is up to date.');
      } finally {
        await h.close();
      }
      return 0;
    }
    case 'seed-demo':
      return withStore(config, async (store) => {
        const demo = await seedDemo(store, config.publicAddress);
        if (!demo) {
          console.log(`A tenant with SIP domain ${config.publicAddress} already exists; nothing created.`);
          return 0;
        }
        console.log(`Created demo tenant "${demo.name}" (SIP domain ${demo.sipDomain}).`);
        console.log(`Admin sign-in: ${demo.admin.email} / ${demo.admin.password}`);
        for (const e of demo.extensions)
          console.log(`  extension ${e.number}  SIP password ${e.sipSecret}  (${e.displayName})`);
        return 0;
      });
    case 'admin':
      return admin(config, sub, o);
    case 'doctor': {
      const results = await runDoctor(config);
      for (const r of results) console.log(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}`);
      const failed = results.filter((r) => !r.ok).length;
      console.log(failed ? `\n${failed} problem(s) found.` : '\nAll checks passed.');
      return failed ? 1 : 0;
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

async function admin(config: Config, sub: string | undefined, o: CommandOptions): Promise<number> {
  if (!o.email) throw new UsageError('--email is required');
  if (o.password !== undefined && (o.password.length < 8 || o.password.length > 200)) {
    throw new UsageError('--password must be 8 to 200 characters');
  }
  const password = o.password ?? generatePassword();
  if (sub === 'create') {
    const role = (o.role ?? 'operator') as Role;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if ((role === 'operator') !== (o.tenantDomain === undefined)) {
      throw new UsageError(
        role === 'operator'
          ? 'An operator belongs to no tenant; drop --tenant'
          : `--tenant DOMAIN is required for role ${role}`,
      );
    }
    return withStore(config, async (store) => {
      let tenantId: string | null = null;
      if (o.tenantDomain) {
        const t = await store.tenants.findByDomain(o.tenantDomain);
        if (!t) throw new UsageError(`No tenant with SIP domain ${o.tenantDomain}`);
        tenantId = t.id;
      }
      if (await store.accounts.findByEmail(o.email!))
        throw new UsageError(`An account ${o.email} already exists`);
      await createUser(store, { email: o.email!, password, role, tenantId, displayName: '' });
      console.log(`Created ${role} ${o.email}${o.password ? '' : ` with password ${password}`}`);
      return 0;
    });
  }
  if (sub === 'reset-password') {
    return withStore(config, async (store) => {
      const user = await store.accounts.findByEmail(o.email!);
      if (!user) throw new UsageError(`No account ${o.email}`);
      const passwordHash = await hashPassword(password);
      await store.transaction(async (tx) => {
        const scope = user.tenantId ? tx.tenant(user.tenantId) : tx.platform;
        await scope.users.update(user.id, { passwordHash });
        await tx.sessions.deleteForUser(user.id);
        await scope.audit.record(
          { type: 'system', id: null, label: 'nimbus admin reset-password', ip: null },
          {
            action: 'user.passwordReset',
            resourceType: 'user',
            resourceId: user.id,
            after: { passwordChanged: true },
          },
        );
      });
      console.log(`New password for ${o.email}${o.password ? ' set' : `: ${password}`}`);
      if (user.disabled)
        console.log('Note: the account is disabled; an administrator must enable it before it can sign in.');
      return 0;
    });
  }
  throw new UsageError('Use `nimbus admin create` or `nimbus admin reset-password`.');
}

async function start(config: Config, embedded: Promise<EmbeddedDb> | undefined): Promise<number> {
  const logger = createLogger(config.logLevel);
  const node = await startNode(config, { logger, ...(embedded ? { embedded } : {}) });
  process.stdout.write(`${startBanner(node)}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      node.close().then(resolve, (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  return 0;
}
