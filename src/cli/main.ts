#!/usr/bin/env node
/**
 * The `nimbus` command: start, migrate, seed-demo, admin, doctor.
 * Exit codes: 0 ok, 1 failure at run time, 2 bad usage or bad configuration.
 *
 * This entry imports little. `nimbus start` on the embedded database opens the
 * database on its own thread first and loads the rest of the program (commands.ts
 * and everything it imports, most of a second) meanwhile: start-up < 2 s, DESIGN.md §4.
 */
import { ConfigError, loadConfig, SETTINGS } from '../config.js';
import { openEmbedded } from '../store/embedded.js';
import { parseArgs, takeFlag, UsageError } from './args.js';

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

  const embedded = command === 'start' && !config.databaseUrl ? openEmbedded(config.dataDir) : undefined;
  // Handled where it is awaited (startNode); this keeps a failure meanwhile from counting as unhandled.
  embedded?.catch(() => {});
  const { runCommand } = await import('./commands.js');
  return runCommand(command, sub, config, { email, password, role, tenantDomain, embedded });
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
