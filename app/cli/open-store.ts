import { loadConfig } from '../config/load-config.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { CommandIO } from './command.js';
import { existsSync } from 'node:fs';

/** Opens the gateway's store as configured (`--db PATH` or the configuration's database). */
export function openStoreFor(args: string[], io: CommandIO): SqliteStore | null {
  const i = args.indexOf('--db');
  const path = i >= 0 ? args[i + 1] : loadConfig({ env: io.env }).database;
  if (!path || !existsSync(path)) {
    io.err(`passerelle: no database at ${path ?? '(none)'}: has the gateway run here? (or give --db PATH)\n`);
    return null;
  }
  return SqliteStore.open(path);
}

export function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) i++;
    else out.push(args[i]);
  }
  return out;
}
