#!/usr/bin/env node
/**
 * The `nimbus` command: start, migrate, seed-demo, admin, doctor.
 * Exit codes: 0 ok, 1 failure at run time, 2 bad usage or bad configuration.
 */
import { startNode } from '../app.js';
import { createUser, seedDemo } from '../bootstrap.js';
import { type Config, ConfigError, loadConfig, SETTINGS } from '../config.js';
import { createLogger } from '../log.js';
import { openDatabase } from '../store/connect.js';
import { migrateToLatest } from '../store/migrator.js';
import { ROLES, type Role } from '../store/schema.js';
import { Store } from '../store/store.js';
import { hashPassword } from '../util/password-hash.js';
import { generatePassword } from '../util/secrets.js';
import { parseArgs } from './args.js';
import { startBanner } from './banner.js';
import { runDoctor } from './doctor.js';

const USAGE = `Usage: nimbus <command> [options]

Commands:
  start                 start the PBX (migrates the database; first start creates the demo tenant)
  migrate               bring the database schema up to date
  seed-demo             create the demo tenant (extensions 101-105) if it does not exist
  admin create --email E [--password P] [--role operator|tenant_admin|supervisor|user] [--tenant DOMAIN]
                        create a portal account (password generated and printed when not given)
  admin reset-password --email E [--password P]
                        set a new password for an account
  doctor                check ports, database and Redis, and say what is wrong

Options (each also an environment variable; see README):
${SETTINGS.map((s) => `  --${s.flag.padEnd(18)} ${s.env}`).join('\n')}
  --config FILE         JSON file with settings (NIMBUS_CONFIG)`;

class UsageError extends Error {}

async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const h = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(h.db);
    return await fn(new Store(h.db));
  } finally {
    await h.close();
  }
}

function takeFlag(flags: Record<string, string | boolean>, name: string): string | undefined {
  const v = flags[name];
  delete flags[name];
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v === false ? undefined : v;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  const [command, sub] = positionals;
  if (!command || command === 'help' || flags.help) {
    console.log(USAGE);
    return command || flags.help ? 0 : 2;
  }

  // Command-specific flags are taken out before the rest is read as settings.
  const email = takeFlag(flags, 'email');
  const password = takeFlag(flags, 'password');
  const role = takeFlag(flags, 'role');
  const tenantDomain = takeFlag(flags, 'tenant');
  const config = loadConfig({ flags: flags as Record<string, string | boolean> });

  switch (command) {
    case 'start':
      return start(config);
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
      return admin(config, sub, { email, password, role, tenantDomain });
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

async function admin(
  config: Config,
  sub: string | undefined,
  o: {
    email?: string | undefined;
    password?: string | undefined;
    role?: string | undefined;
    tenantDomain?: string | undefined;
  },
): Promise<number> {
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

async function start(config: Config): Promise<number> {
  const logger = createLogger(config.logLevel);
  const node = await startNode(config, { logger });
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(`nimbus: ${e.message}`);
      if (e instanceof UsageError) console.error('Run `nimbus help` for usage.');
      process.exitCode = 2;
    } else {
      console.error(`nimbus: ${(e as Error).message ?? String(e)}`);
      process.exitCode = 1;
    }
  },
);
