/**
 * Reads the configuration: embedded defaults, then a JSON file, then environment variables
 * (`PASSERELLE_` + the setting's path in upper snake case, e.g. `PASSERELLE_LEGACY_LISTEN_PORT`),
 * then overrides; checks it against the schema (`./schema.ts`) and the cross-setting rules
 * (`./validate-config.ts`) and reports every problem at once, each with its setting and what
 * was expected.
 *
 * Secret settings (`secret` in the schema) may be given as `file:/path` (in the file or a
 * variable) or through `PASSERELLE_…_FILE` (e.g. `PASSERELLE_LEGACY_RELAY_PASSWORD_FILE`):
 * the file is read at load time, one trailing newline trimmed. A secret's value is never
 * part of an error message.
 *
 * @example
 * const cfg = loadConfig({ file: 'passerelle.json', env: process.env });
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { DEFAULTS, type GatewayConfig } from './defaults.js';
import { CONFIG_SCHEMA, sectionKeys, settings } from './schema.js';
import { validateConfig } from './validate-config.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

export function envName(path: string[]): string {
  return 'PASSERELLE_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf setting with its path and default value. */
export function settingPaths(): { path: string[]; value: unknown }[] {
  return settings().map((s) => ({ path: s.path, value: get(DEFAULTS as unknown as Obj, s.path) }));
}

const LEAF_PATHS = () => new Set(settings().map((s) => s.path.join('.')));
const SECRET_PATHS = () => new Set(settings().filter((s) => s.secret).map((s) => s.path.join('.')));

function get(obj: unknown, path: (string | number | symbol)[]): unknown {
  let o = obj;
  for (const k of path) {
    if (!o || typeof o !== 'object') return undefined;
    o = (o as Record<string | number | symbol, unknown>)[k];
  }
  return o;
}

function set(obj: Obj, path: string[], value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (!o[k] || typeof o[k] !== 'object' || Array.isArray(o[k])) o[k] = {};
    o = o[k] as Obj;
  }
  o[path[path.length - 1]!] = value;
}

const isPlain = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Deep merge of sections; a setting (even an object-valued one such as `aliases`) is replaced
 * whole. `shaped`: keep the target's sections even when the source has something else there
 * (a configuration that failed the schema, read as far as it goes).
 */
function merge(target: Obj, source: Obj, leaves: Set<string>, path: string[] = [], shaped = false): Obj {
  for (const [k, v] of Object.entries(source)) {
    const here = [...path, k];
    const leaf = leaves.has(here.join('.'));
    if (!leaf && isPlain(v) && isPlain(target[k])) merge(target[k] as Obj, v, leaves, here, shaped);
    else if (shaped && !leaf) continue;
    else target[k] = isPlain(v) && !leaf ? merge({}, v, leaves, here) : v;
  }
  return target;
}

function fromEnv(raw: string, like: unknown, name: string, problems: string[]): { value?: unknown } {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) {
      problems.push(`${name}: expected a number, got '${raw}'`);
      return {};
    }
    return { value: n };
  }
  if (typeof like === 'boolean') {
    if (!/^(true|false|1|0|yes|no)$/i.test(raw)) {
      problems.push(`${name}: expected true or false, got '${raw}'`);
      return {};
    }
    return { value: /^(true|1|yes)$/i.test(raw) };
  }
  if (Array.isArray(like)) return { value: raw.split(',').map((s) => s.trim()).filter(Boolean) };
  if (like && typeof like === 'object') {
    try {
      return { value: JSON.parse(raw) };
    } catch {
      problems.push(`${name}: expected a JSON object`);
      return {};
    }
  }
  return { value: raw };
}

/** Reads a secret file: one trailing newline trimmed; a problem names the file, never its content. */
function readSecret(setting: string, file: string, problems: string[]): string | undefined {
  if (!file) {
    problems.push(`${setting}: 'file:' names no file`);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${setting}: cannot read the secret file '${file}' (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return undefined;
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) problems.push(`${setting}: the secret file '${file}' is empty`);
  return value;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${String(v)}` : typeof v;
}

const EXPECTED: Record<string, string> = {
  string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'a list', object: 'an object (a section of settings)', record: 'an object',
};

function nearest(word: string, candidates: string[], within?: number): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const best = candidates.map((c) => ({ c, d: dist(word, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= (within ?? Math.max(2, Math.floor(word.length / 3))) ? best.c : undefined;
}

/** One problem per line: the setting's path, what was expected, what was found (never a secret). */
function formatIssue(issue: z.core.$ZodIssue, secrets: Set<string>): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = sectionKeys(issue.path);
    return issue.keys.map((k) => {
      const guess = nearest(k, known);
      return `${path ? `${path}.` : ''}${k}: unknown setting${guess ? ` (did you mean '${path ? `${path}.` : ''}${guess}'?)` : ''}`;
    });
  }
  const isSecret = [...secrets].some((s) => path === s || path.startsWith(`${s}.`));
  const input = 'input' in issue ? issue.input : undefined;
  const got = isSecret ? '' : `, got ${describeValue(input)}`;
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return [`${path}: expected ${EXPECTED[issue.expected] ?? issue.expected}${input === undefined ? '' : got}`];
  }
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid option')) {
    return [`${path}: expected one of ${issue.values.map(String).join(', ')}${got}`];
  }
  if (issue.code === 'invalid_union' && issue.message.startsWith('Invalid input')) return [`${path}: not a valid value${got}`];
  return [`${path || '(configuration)'}: ${issue.message}${input !== undefined && typeof input !== 'object' && !issue.message.includes(String(input)) ? got : ''}`];
}

export interface LoadOptions {
  /** The JSON configuration file (else `PASSERELLE_CONFIG`, else `./passerelle.json` if there). */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Settings applied last (tests, the demo, command-line options). */
  overrides?: Record<string, Json>;
}

export function loadConfig(opts: LoadOptions = {}): GatewayConfig {
  const env = opts.env ?? {};
  const problems: string[] = [];
  const leaves = LEAF_PATHS();
  const secrets = SECRET_PATHS();
  const raw: Obj = {};
  const file = opts.file ?? env.PASSERELLE_CONFIG ?? (existsSync('passerelle.json') ? 'passerelle.json' : undefined);
  if (file) {
    if (!existsSync(file)) throw new ConfigError([`configuration file '${file}' does not exist`]);
    let parsed: Json;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Json;
    } catch (err) {
      throw new ConfigError([`configuration file '${file}' is not valid JSON: ${(err as Error).message}`]);
    }
    if (!isPlain(parsed)) throw new ConfigError([`configuration file '${file}' must hold a JSON object`]);
    merge(raw, parsed, leaves);
  }
  for (const { path, value } of settingPaths()) {
    const name = envName(path);
    const key = path.join('.');
    const fromFile = secrets.has(key) ? env[`${name}_FILE`] : undefined;
    if (fromFile !== undefined && env[name] !== undefined) {
      problems.push(`${key}: give ${name} or ${name}_FILE, not both`);
      continue;
    }
    if (fromFile !== undefined) {
      const secret = readSecret(`${key} (${name}_FILE)`, fromFile, problems);
      if (secret !== undefined) set(raw, path, secret);
      continue;
    }
    if (env[name] === undefined) continue;
    const v = fromEnv(env[name], value, `${key} (${name})`, problems);
    if ('value' in v) set(raw, path, v.value);
  }
  // A variable one or two letters away from a setting's is a typo: said, never ignored.
  // (Other PASSERELLE_* variables, read by tests or tools, are left alone.)
  const known = settingPaths().flatMap(({ path }) => [envName(path), ...(secrets.has(path.join('.')) ? [`${envName(path)}_FILE`] : [])]);
  const knownSet = new Set([...known, 'PASSERELLE_CONFIG', 'PASSERELLE_DB']);
  for (const name of Object.keys(env)) {
    if (!name.startsWith('PASSERELLE_') || knownSet.has(name) || env[name] === undefined) continue;
    const guess = nearest(name, known, 2);
    if (guess) problems.push(`${name}: not a setting's variable (did you mean ${guess}?)`);
  }
  if (opts.overrides) merge(raw, opts.overrides, leaves);
  // `file:/path` for any secret, wherever it was given
  for (const key of secrets) {
    const path = key.split('.');
    const v = get(raw, path);
    if (typeof v === 'string' && v.startsWith('file:')) {
      const secret = readSecret(key, v.slice('file:'.length), problems);
      set(raw, path, secret ?? '');
    }
  }

  const parsed = CONFIG_SCHEMA.safeParse(raw, { reportInput: true });
  if (!parsed.success) for (const issue of parsed.error.issues) problems.push(...formatIssue(issue, secrets));
  // The cross-setting checks run on what could be read, over the defaults, so that every problem is reported at once.
  const config = (parsed.success ? parsed.data : merge(structuredClone(DEFAULTS) as unknown as Obj, raw, leaves, [], true)) as unknown as GatewayConfig;
  if (!config.database) config.database = join(String(config.dataDir), 'passerelle.db');
  if (!config.http.tokensFile) config.http.tokensFile = join(String(config.dataDir), 'api-tokens');
  if (!config.legacy.keyDir) config.legacy.keyDir = join(String(config.dataDir), 'keys', 'legacy');
  if (!config.legacy.relay.user) config.legacy.relay.user = config.legacy.gatewayLocal;
  problems.push(...validateConfig(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The configuration with every secret replaced by `***` (empty secrets stay empty): for display. */
export function maskSecrets(config: GatewayConfig): GatewayConfig {
  const out = structuredClone(config) as unknown as Obj;
  for (const s of settings().filter((x) => x.secret)) if (get(out, s.path)) set(out, s.path, '***');
  return out as unknown as GatewayConfig;
}
