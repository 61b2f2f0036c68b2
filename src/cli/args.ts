/** Splits `nimbus <command> [subcommand] [--flag value | --flag=value | --flag]` into parts. */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (a.startsWith('--no-')) flags[a.slice(5)] = 'false';
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags[a.slice(2)] = next;
          i++;
        } else flags[a.slice(2)] = true;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

/** A wrong command line: main.ts prints the message and points at `nimbus help`. */
export class UsageError extends Error {}

/** Takes a command's own `--name value` out of the flags (the rest are settings). */
export function takeFlag(flags: Record<string, string | boolean>, name: string): string | undefined {
  const v = flags[name];
  delete flags[name];
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v === false ? undefined : v;
}
