/**
 * What every `passerelle` command shares: its arguments parsed with `node:util` `parseArgs`
 * (strict: an unknown option is a usage error), and one resolution of the configuration, the
 * data folder and the database.
 *
 * The configuration is `--config FILE` (else `PASSERELLE_CONFIG`, else `./passerelle.json`),
 * under the `PASSERELLE_*` variables; an invalid one stops the command with every problem
 * (never a silent fall back to the defaults). The database is `--database PATH|URL`, else the
 * configuration's `database` (`PASSERELLE_DATABASE`, the file, or `<dataDir>/passerelle.db`): a SQLite file or a
 * `postgres://` URL (`app/node/open-storage.ts` opens either).
 * The former names `--db` and `PASSERELLE_DB` are still read, with a deprecation warning.
 *
 * @example
 * const a = parseCommand(args, { ...COMMON_OPTIONS, json: { type: 'boolean' } }, io, usage);
 * if (!a) return 2;
 * const ctx = cliContext(a.values, io);
 * const store = await ctx.openStore(); // null (and said) when the database does not exist
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/load-config.js';
import type { GatewayConfig } from '../config/defaults.js';
import { isDatabaseUrl } from '../node/data-files.js';
import { describeDatabase, openMessageStore, type NodeStore } from '../node/open-storage.js';
import type { CommandIO } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that reads the gateway's configuration or state understands. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  database: { type: 'string' },
  /** Deprecated: `--database`. */
  db: { type: 'string' },
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
  /** The validated configuration (read once); throws `ConfigError` listing every problem. */
  config(): GatewayConfig;
  /** The gateway's data folder. */
  dataDir(): string;
  /** The database (file path or URL), resolved once for every command. */
  dbPath(): string;
  /**
   * The database for a command that reads it: its path, or null (with a message naming the
   * absolute path it looked at) when it does not exist. Never creates one.
   */
  existingDatabase(): string | null;
  /** The message store of an existing database, or null (with a message) when there is none. */
  openStore(): Promise<NodeStore | null>;
}

export function cliContext(values: { db?: string; database?: string; config?: string }, io: CommandIO): CliContext {
  let cached: GatewayConfig | undefined;
  const env = { ...io.env };
  if (env.PASSERELLE_DB !== undefined) {
    if (env.PASSERELLE_DATABASE === undefined) {
      io.err('passerelle: PASSERELLE_DB is deprecated: set PASSERELLE_DATABASE\n');
      env.PASSERELLE_DATABASE = env.PASSERELLE_DB;
    } else io.err('passerelle: PASSERELLE_DB is deprecated and ignored: PASSERELLE_DATABASE is set\n');
  }
  if (values.db !== undefined) io.err(`passerelle: --db is deprecated: use --database${values.database !== undefined ? ' (ignored: --database is given)' : ''}\n`);
  const database = values.database ?? values.db;
  const ctx: CliContext = {
    configFile: values.config,
    config: () => (cached ??= loadConfig({ file: values.config, env, overrides: database ? { database } : undefined })),
    dataDir: () => ctx.config().dataDir,
    dbPath: () => ctx.config().database,
    existingDatabase() {
      const path = ctx.dbPath();
      if (isDatabaseUrl(path) || existsSync(path)) return path;
      io.err(`passerelle: no database at ${resolve(path)}: has the gateway run with this configuration? (give --config FILE or --database PATH)\n`);
      return null;
    },
    async openStore() {
      const path = ctx.existingDatabase();
      if (path === null) return null;
      try {
        return await openMessageStore(path, ctx.config());
      } catch (err) {
        io.err(`passerelle: cannot open the database ${describeDatabase(path)}: ${(err as Error).message}\n`);
        return null;
      }
    },
  };
  return ctx;
}

/** The operator as traces and holds name them: the system user who ran the CLI. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * Progress of long work, with or without a terminal (cron, systemd): a line on standard error
 * every few seconds with the count, the rate and the time left. Call it with the count done.
 */
export function progressLine(io: CommandIO, what: string, total: number, everyMs = 5000): (done: number) => void {
  const t0 = Date.now();
  let last = t0;
  return (done) => {
    const now = Date.now();
    if (now - last < everyMs && done < total) return;
    if (done >= total && now - t0 < everyMs) return; // short work: the final line says it all
    last = now;
    const rate = done / Math.max(0.001, (now - t0) / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : null;
    io.err(`${what}: ${done}/${total} (${rate.toFixed(1)}/s${eta !== null && done < total ? `, about ${eta} s left` : ''})\n`);
  };
}
