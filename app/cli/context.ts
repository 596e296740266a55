/**
 * What every `passerelle` command shares: its arguments parsed with `node:util` `parseArgs`
 * (strict: an unknown option is a usage error), and one resolution of the configuration, the
 * data folder and the database.
 *
 * Resolution order for the database: `--db PATH|URL`, then `PASSERELLE_DB`, then the
 * configuration's `database` (itself `PASSERELLE_DATABASE`, a configuration file, or
 * `<dataDir>/passerelle.db`): a SQLite file or a `postgres://` URL (`app/node/open-storage.ts`
 * opens either).
 *
 * @example
 * const a = parseCommand(args, { json: { type: 'boolean' } }, io, usage);
 * if (!a) return 2;
 * const ctx = cliContext(a.values, io);
 * const store = await ctx.openStore();
 */
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { DEFAULTS, type GatewayConfig } from '../config/defaults.js';
import type { MessageStore } from '../../core/ports/message-store.js';
import { describeDatabase, missingDatabase, openMessageStore } from '../node/open-storage.js';
import type { CommandIO } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that reads the gateway's state understands. */
export const COMMON_OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
} as const satisfies Options;

export interface ParsedCommand<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
  positionals: string[];
}

/**
 * Parses a command's arguments. On a usage error (unknown option, missing value) it writes
 * the error and the usage to stderr and returns null: the command then exits with 2.
 */
export function parseCommand<O extends Options>(args: string[], options: O, io: CommandIO, usage: string): ParsedCommand<O> | null {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedCommand<O>['values'], positionals };
  } catch (err) {
    io.err(`passerelle: ${(err as Error).message}\n${usage}\n`);
    return null;
  }
}

/** A whole number option, or the default when absent; null when it is not one. */
export function intOption(value: string | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) ? n : null;
}

export interface CliContext {
  /** The configuration file named by `--config`, if any. */
  readonly configFile: string | undefined;
  /** The validated configuration; throws `ConfigError` listing every problem. */
  config(): GatewayConfig;
  /** The configuration, or null when it does not validate (for commands that need little of it). */
  configOrNull(): GatewayConfig | null;
  /** The gateway's data folder. */
  dataDir(): string;
  /** The database (a SQLite file or a `postgres://` URL), resolved once for every command. */
  dbPath(): string;
  /** The message store, or null (with a message) when the database does not exist yet or cannot be opened. */
  openStore(): Promise<MessageStore | null>;
}

export function cliContext(values: { db?: string; config?: string }, io: CommandIO): CliContext {
  let cached: GatewayConfig | null | undefined;
  const configOrNull = (): GatewayConfig | null => {
    if (cached === undefined) {
      try {
        cached = loadConfig({ file: values.config, env: io.env });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        cached = null;
      }
    }
    return cached;
  };
  const ctx: CliContext = {
    configFile: values.config,
    config: () => loadConfig({ file: values.config, env: io.env }),
    configOrNull,
    dataDir: () => configOrNull()?.dataDir ?? io.env.PASSERELLE_DATA_DIR ?? DEFAULTS.dataDir,
    dbPath: () => values.db || io.env.PASSERELLE_DB || configOrNull()?.database || join(ctx.dataDir(), 'passerelle.db'),
    async openStore() {
      const path = ctx.dbPath();
      const missing = missingDatabase(path);
      if (missing) {
        io.err(`passerelle: ${missing}\n`);
        return null;
      }
      try {
        return await openMessageStore(path, configOrNull());
      } catch (err) {
        io.err(`passerelle: cannot open the database ${describeDatabase(path)}: ${(err as Error).message}\n`);
        return null;
      }
    },
  };
  return ctx;
}
