/**
 * The configuration schema (zod): every setting of the gateway, its type, its default and what
 * it is for, in one table. The defaults (`DEFAULTS`), the `GatewayConfig` type, the
 * environment variables (`PASSERELLE_` + the path in upper snake case), the secret settings
 * and the reference in docs/operations.md (`passerelle config reference`) all derive from it.
 *
 * Adding a setting is one line in its section:
 *
 * @example
 * format: setting(z.enum(['json', 'pretty', 'auto']), 'auto', 'Log format …'),
 *
 * Sections are strict: a key that is not a setting (a typo) is an error, never ignored.
 */
import { z } from 'zod';
import { DEFAULT_RETRY_POLICY, RetrySchedule, type RetryPolicy } from '../../core/queue/retry-schedule.js';
import { parseDuration } from '../../core/queue/duration.js';

export interface SettingInfo {
  /** What the setting is for (one or two sentences, English: the reference documentation). */
  doc: string;
  /** A secret: may be given as `file:/path` or through `PASSERELLE_…_FILE`; never printed. */
  secret?: boolean;
  /** The expected type as the reference and error messages say it, when the schema's own is too vague. */
  type?: string;
}

const LEAVES = new WeakMap<z.ZodType, SettingInfo>();

/** One setting: its type, its default and its documentation. */
function setting<T extends z.ZodType>(type: T, fallback: z.output<T>, doc: string, info: Omit<SettingInfo, 'doc'> = {}) {
  const s = type.default(() => structuredClone(fallback) as never);
  LEAVES.set(s, { doc, ...info });
  return s;
}

/** A section of settings: unknown keys are errors; absent, every setting takes its default. */
function section<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape).prefault({} as never);
}

// ---- value types, each with the message an operator reads when a value does not fit ----

const LOCAL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Value types whose name in the reference is more telling than the schema's own. */
const NAMED = new WeakMap<z.ZodType, string>();
const named = <T extends z.ZodType>(name: string, t: T): T => (NAMED.set(t, name), t);

const text = () => z.string();
const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });
const port = () => named('port (0–65535)', z.int({ error: 'expected a TCP port (a whole number from 0 to 65535)' }).min(0, { error: 'expected a TCP port (0–65535)' }).max(65535, { error: 'expected a TCP port (0–65535)' }));
const bytes = () => z.int({ error: 'expected a whole number of bytes' }).min(1024, { error: 'must be at least 1024 bytes' });
const domain = () => named('domain name', z.string().regex(DOMAIN, { error: 'expected a domain name (e.g. medecin.mssante.fr)' }));
const duration = (positive = false) =>
  named('duration (90s, 5m, 6h, 2d)', z.string().superRefine((v, ctx) => {
    try {
      if (parseDuration(v) <= 0 && positive) ctx.addIssue({ code: 'custom', message: 'must be longer than 0' });
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  }));
const retryPolicy = z.strictObject({ delays: z.array(z.string()), maxAge: z.string() }).superRefine((v, ctx) => {
  try {
    RetrySchedule.from(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
}) as unknown as z.ZodType<RetryPolicy>;
const route = z.union([
  z.string().regex(/^[^:\s]+:\d{1,5}$/, { error: 'expected host:port' }),
  z.strictObject({ host: nonEmpty(), port: port(), tlsName: z.string().optional() }),
], { error: 'expected host:port or { host, port, tlsName }' });
const cipherName = z.string().regex(/^[A-Z0-9]+(-[A-Z0-9]+)+$/, { error: 'is not an OpenSSL suite name (e.g. ECDHE-RSA-AES256-SHA)' });

export const CONFIG_SCHEMA = section({
  dataDir: setting(nonEmpty(), './var', 'Where the gateway keeps its data (database, generated test material); created mode 0700.'),
  database: setting(text(), '', 'SQLite database file (created mode 0600), or a `postgres://` URL (PostgreSQL engine). Empty: `<dataDir>/passerelle.db`.'),
  durability: setting(z.enum(['FULL', 'NORMAL']), 'FULL', '`FULL`: a commit survives power loss; `NORMAL`: it survives a process crash (SQLite).'),
  testMaterial: setting(z.boolean(), true, 'Generate labelled TEST keys, certificates, trust list and HTTP token when none are configured. Never in production: off, nothing is generated and missing material stops the start.'),
  node: section({
    id: setting(z.string().regex(/^([A-Za-z0-9][A-Za-z0-9._-]{0,62})?$/, { error: 'expected letters, digits, \'.\', \'_\', \'-\' (no \'/\'), at most 63' }), '', 'This node\'s name, stable across its restarts and unique among the nodes sharing one database: its claims carry it, and on PostgreSQL the running node holds a lock on it. Empty: the host name. Two nodes on one host must each be given one.'),
  }),
  log: section({
    level: setting(z.enum(['debug', 'info', 'warn', 'error']), 'info', 'Lowest level written.'),
    format: setting(z.enum(['json', 'pretty', 'auto']), 'auto', 'Log line format (used by the pino logger): `auto` is pretty on a terminal, JSON otherwise.'),
  }),
  http: section({
    host: setting(nonEmpty(), '127.0.0.1', 'Address of the HTTP interface (health, directory API).'),
    port: setting(port(), 8025, 'Port of the HTTP interface.'),
    token: setting(text(), '', 'Bearer token of the directory API (`/directory`). Empty: generated into `<dataDir>/http-token` with testMaterial, else the API is off.', { secret: true }),
    tokensFile: setting(text(), '', 'The admin API\'s tokens (`/api`): a file of `NAME reader|operator SHA256` lines (`passerelle token add`). Empty: `<dataDir>/api-tokens`; with testMaterial and no file, an `admin` operator token is generated into `<dataDir>/api-token`.'),
  }),
  legacy: section({
    domain: setting(domain(), 'lnp.test', 'The legacy network\'s domain.'),
    gatewayLocal: setting(z.string().regex(LOCAL, { error: 'expected a LOCAL (a-z, 0-9, \'.\', \'_\', \'-\', at most 64)' }), 'passerelle', 'The gateway\'s own subscriber LOCAL on the legacy network.'),
    gatewayZone: setting(z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a plain zone name (a-z, 0-9, -)' }).refine((v) => v !== 'interop', { error: 'must not be \'interop\'' }), 'gateway', 'The zone of the gateway\'s own address (`passerelle@<zone>.<domain>`).'),
    keyDir: setting(text(), '', 'Folder holding the `Master.YY` and `<gatewayLocal>.YY` key files. Empty: `<dataDir>/keys/legacy`.'),
    keyRescan: setting(duration(), '1m', 'How often the key folder is read again while the gateway runs: a key file added or replaced there (next year\'s, a rotated one) is taken without a restart; 0 never.'),
    listen: section({
      host: setting(nonEmpty(), '127.0.0.1', 'Address of the SMTP listener for the legacy relay.'),
      port: setting(port(), 2525, 'Port of the SMTP listener for the legacy relay.'),
      maxSize: setting(bytes(), 25 * 1024 * 1024, 'Largest accepted message in bytes (SMTP SIZE; 552 above).'),
      allowedRelays: setting(z.array(z.string()), [], 'Relay addresses allowed to connect; empty: any.'),
      tlsKey: setting(text(), '', 'PEM key file for optional STARTTLS (with tlsCert). Empty: a generated test certificate with testMaterial.'),
      tlsCert: setting(text(), '', 'PEM certificate chain file for optional STARTTLS (with tlsKey).'),
    }),
    relay: section({
      host: setting(nonEmpty(), '127.0.0.1', 'The legacy relay the gateway submits to.'),
      port: setting(port(), 2587, 'The relay\'s submission port.'),
      user: setting(text(), '', 'AUTH PLAIN user. Empty: the gateway LOCAL.'),
      password: setting(text(), 'test-password', 'AUTH PLAIN password.', { secret: true }),
      requireTls: setting(z.boolean(), false, 'Refuse to submit without STARTTLS.'),
      verifyCertificate: setting(z.boolean(), false, 'Verify the relay\'s certificate.'),
    }),
  }),
  mssante: section({
    domain: setting(domain(), 'passerelle.mssante.test', 'The gateway\'s domain in the national space: legacy subscribers\' aliases live here.'),
    nil: setting(nonEmpty(), 'Passerelle/0.1', 'Value of `X-MSS-NIL` on every message.'),
    listen: section({
      host: setting(nonEmpty(), '127.0.0.1', 'Address of the SMTP listener for national operators.'),
      port: setting(port(), 2526, 'Port of the SMTP listener for national operators.'),
      maxSize: setting(bytes(), 25 * 1024 * 1024, 'Largest accepted message in bytes.'),
    }),
    routes: setting(z.record(z.string(), route), {}, 'Static routes: national domain → `host:port`, or `{ host, port, tlsName }` (tests, or where MX is not used).', { type: 'object (domain → host:port)' }),
    transport: setting(z.enum(['mtls', 'plain']), 'mtls', '`mtls`: the rules of the espace de confiance (STARTTLS, certificates, trust list). `plain`: tests only.'),
    anchors: setting(text(), '', 'IGC-Santé anchors: PEM bundle or PKCS#7 `.p7b`. Empty: the test CA with testMaterial (required without).'),
    identity: section({
      pkcs12: setting(text(), '', 'The gateway\'s certificate and key as a PKCS#12 file (or key and cert).'),
      password: setting(text(), '', 'Password of the PKCS#12 file.', { secret: true }),
      key: setting(text(), '', 'The gateway\'s PEM private key file (with cert).'),
      cert: setting(text(), '', 'The gateway\'s PEM certificate chain file (with key).'),
    }),
    trustList: setting(text(), '', 'Trust list: file or https URL. Empty: a test list naming the gateway\'s domain with testMaterial (required without).'),
    trustListRefresh: setting(duration(), '6h', 'How often the trust list is fetched again.'),
    crls: setting(z.array(z.string()), [], 'CRLs of the anchors\' CAs: files or http(s) URLs (DER or PEM).'),
    crlRefresh: setting(duration(), '1h', 'How often the CRLs are fetched again.'),
    tls: section({
      extraCiphers: setting(z.array(cipherName), [], 'TLS 1.2 suites (OpenSSL names) accepted and offered beyond the four of the rules, for a peer that needs one; logged at start.'),
    }),
    smime: section({
      sign: setting(z.boolean(), true, 'Sign every message sent to operators.'),
      signature: setting(z.enum(['rsa-pkcs1v15', 'rsa-pss']), 'rsa-pkcs1v15', 'Signature scheme.'),
      form: setting(z.enum(['detached', 'opaque']), 'detached', '`detached` (multipart/signed: readable without S/MIME support) or `opaque`.'),
      cipher: setting(z.enum(['aes-256-cbc', 'aes-256-gcm']), 'aes-256-cbc', 'Content encryption when a recipient publishes a certificate.'),
      pkcs1v15: setting(z.enum(['implicit-rejection', 'refuse']), 'implicit-rejection', 'Inbound RSA PKCS#1 v1.5 key transport: implicit rejection (safe) or refuse.'),
    }),
    recipientCertificates: section({
      dir: setting(text(), '', 'Folder of recipients\' encryption certificates (PEM, named by address or domain). Empty: none.'),
      reloadEvery: setting(duration(true), '5m', 'How often the folder is read again (a failed reload keeps the previous set).'),
    }),
  }),
  aliases: setting(z.record(z.string(), z.string()), {}, 'Static address book: interop address → national address (the directory adds more).', { type: 'object (address → address)' }),
  legacySubscribers: setting(z.array(z.string()), [], 'Legacy subscribers reachable from the national side before a directory is imported (full addresses).'),
  queue: section({
    retry: setting(retryPolicy, DEFAULT_RETRY_POLICY, 'Retry schedule of temporary failures: `{ delays: [...], maxAge }` (the last delay repeats).', { type: 'object { delays: durations, maxAge: duration }' }),
    concurrency: setting(z.int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }), 16, 'Deliveries handed over at once.'),
    lease: setting(duration(true), '1m', 'How long a claim holds without renewal (renewed every third of it; reclaimed by any node once it lapses).'),
    pollInterval: setting(duration(true), '1s', 'How often the queue looks for due deliveries when idle.'),
    translateWorkers: setting(z.int({ error: 'expected a whole number' }).min(0, { error: 'must be from 0 to 64' }).max(64, { error: 'must be from 0 to 64' }), 1, 'Worker threads that open legacy (LNP/1) mail and translate messages; 0 does both on the main thread.'),
  }),
  retention: section({
    rawDays: setting(z.int({ error: 'expected a whole number of days' }).min(0, { error: 'must be 0 or more' }), 30, 'Days after a message is done before its raw bytes are erased, its trace kept (used by the retention job); 0 keeps them.'),
    every: setting(duration(true), '1h', 'How often the retention job runs (on one node at a time).'),
  }),
  postgres: section({
    schema: setting(z.string().regex(/^([a-z_][a-z0-9_]{0,62})?$/, { error: 'expected a plain schema name (a-z, 0-9, _)' }), '', 'Schema of the gateway\'s tables on PostgreSQL (used by the PostgreSQL engine). Empty: the server\'s search_path.'),
    poolSize: setting(z.int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }), 10, 'Connections in this node\'s pool (its line to the server, for wake-ups and health, comes on top).'),
    synchronousCommit: setting(z.enum(['on', 'remote_write', 'remote_apply']), 'on', '`synchronous_commit` of every connection (used by the PostgreSQL engine).'),
  }),
});

export type GatewayConfig = z.output<typeof CONFIG_SCHEMA>;

/** A leaf setting: its path, its zod type (with default) and its documentation. */
export interface SettingEntry extends SettingInfo {
  path: string[];
  schema: z.ZodType;
}

/** Every setting of the schema, in the order of the schema. */
export function settings(node: z.ZodType = CONFIG_SCHEMA, prefix: string[] = []): SettingEntry[] {
  const info = LEAVES.get(node);
  if (info) return [{ path: prefix, schema: node, ...info }];
  const def = (node as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } } })._zod.def;
  if (def.type === 'prefault' && def.innerType) return settings(def.innerType, prefix);
  if (def.type === 'object' && def.shape) return Object.entries(def.shape).flatMap(([k, v]) => settings(v, [...prefix, k]));
  throw new Error(`configuration schema: ${prefix.join('.')} is neither a setting nor a section`);
}

/** The expected type of a setting, as the reference says it. */
export function describeType(entry: SettingEntry): string {
  if (entry.type) return entry.type;
  const inner = (entry.schema as unknown as { _zod: { def: { innerType: z.ZodType } } })._zod.def.innerType;
  const name = NAMED.get(inner);
  if (name) return name;
  const def = (inner as unknown as { _zod: { def: { type: string; entries?: Record<string, string>; format?: string; element?: z.ZodType } } })._zod.def;
  switch (def.type) {
    case 'enum': return Object.values(def.entries ?? {}).map((v) => `\`${v}\``).join(' \\| ');
    case 'number': return def.format?.includes('int') ? 'integer' : 'number';
    case 'boolean': return 'boolean';
    case 'array': return 'list';
    case 'record': return 'object';
    case 'string': return entry.secret ? 'secret text (or `file:/path`)' : 'text';
    default: return def.type;
  }
}

/** The keys of a section (for "did you mean" on an unknown key); empty when the path is no section. */
export function sectionKeys(path: (string | number | symbol)[]): string[] {
  const depth = path.length;
  const keys = settings()
    .filter((s) => s.path.length > depth && path.every((p, i) => s.path[i] === p))
    .map((s) => s.path[depth]!);
  return [...new Set(keys)];
}

export { ADDRESS, LOCAL };
