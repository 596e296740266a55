/**
 * Reads the configuration: embedded defaults, then a JSON file, then environment variables
 * (`PASSERELLE_` + the setting's path in upper snake case, e.g. `PASSERELLE_LEGACY_LISTEN_PORT`),
 * then validates everything and reports every problem at once.
 *
 * @example
 * const cfg = loadConfig({ file: 'passerelle.json', env: process.env });
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, type GatewayConfig } from './defaults.js';
import { validateConfig } from './validate-config.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function envName(path: string[]): string {
  return 'PASSERELLE_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf setting of the defaults, with its path. */
export function settingPaths(obj: Record<string, unknown> = DEFAULTS as unknown as Record<string, unknown>, prefix: string[] = []): { path: string[]; value: unknown }[] {
  const out: { path: string[]; value: unknown }[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = [...prefix, k];
    const isRecordSetting = (path.join('.') === 'aliases' || path.join('.') === 'mssante.routes');
    if (v && typeof v === 'object' && !Array.isArray(v) && !isRecordSetting && !(path.join('.') === 'queue.retry')) out.push(...settingPaths(v as Record<string, unknown>, path));
    else out.push({ path, value: v });
  }
  return out;
}

function merge(target: Record<string, unknown>, source: Record<string, Json>, path: string[], problems: string[]): void {
  for (const [k, v] of Object.entries(source)) {
    const here = [...path, k];
    if (!(k in target)) {
      problems.push(`unknown setting '${here.join('.')}'`);
      continue;
    }
    const cur = target[k];
    const isLeaf = settingPaths().some((s) => s.path.join('.') === here.join('.'));
    if (!isLeaf && cur && typeof cur === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
      merge(cur as Record<string, unknown>, v as Record<string, Json>, here, problems);
    } else {
      target[k] = v;
    }
  }
}

function fromEnv(raw: string, like: unknown, name: string, problems: string[]): unknown {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) problems.push(`${name}: '${raw}' is not a number`);
    return n;
  }
  if (typeof like === 'boolean') {
    if (!/^(true|false|1|0|yes|no)$/i.test(raw)) problems.push(`${name}: '${raw}' is not true or false`);
    return /^(true|1|yes)$/i.test(raw);
  }
  if (Array.isArray(like)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (like && typeof like === 'object') {
    try {
      return JSON.parse(raw);
    } catch {
      problems.push(`${name}: not valid JSON`);
      return like;
    }
  }
  return raw;
}

export function loadConfig(opts: { file?: string; env?: Record<string, string | undefined>; overrides?: Record<string, Json> } = {}): GatewayConfig {
  const env = opts.env ?? {};
  const problems: string[] = [];
  const cfg = structuredClone(DEFAULTS) as unknown as Record<string, unknown>;
  const file = opts.file ?? env.PASSERELLE_CONFIG ?? (existsSync('passerelle.json') ? 'passerelle.json' : undefined);
  if (file) {
    if (!existsSync(file)) throw new ConfigError([`configuration file '${file}' does not exist`]);
    let parsed: Json;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Json;
    } catch (err) {
      throw new ConfigError([`configuration file '${file}' is not valid JSON: ${(err as Error).message}`]);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`configuration file '${file}' must hold a JSON object`]);
    merge(cfg, parsed as Record<string, Json>, [], problems);
  }
  for (const { path, value } of settingPaths()) {
    const name = envName(path);
    const raw = env[name];
    if (raw === undefined) continue;
    let obj = cfg;
    for (const k of path.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
    obj[path[path.length - 1]] = fromEnv(raw, value, name, problems);
  }
  if (opts.overrides) merge(cfg, opts.overrides, [], problems);
  const config = cfg as unknown as GatewayConfig;
  if (!config.database) config.database = join(config.dataDir, 'passerelle.db');
  if (!config.http.tokensFile) config.http.tokensFile = join(config.dataDir, 'api-tokens');
  if (!config.legacy.keyDir) config.legacy.keyDir = join(config.dataDir, 'keys', 'legacy');
  if (!config.legacy.relay.user) config.legacy.relay.user = config.legacy.gatewayLocal;
  problems.push(...validateConfig(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}
