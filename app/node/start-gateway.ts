/**
 * Assembles and starts a gateway on Node from a configuration: the store, the legacy keys,
 * both adapters, the pipeline, the SMTP listeners and the HTTP interface. On embedded
 * defaults (`testMaterial`) it first generates labelled test keys and a test certificate.
 * The storage engine (SQLite file or PostgreSQL URL) is chosen by `open-storage.ts` alone:
 * here only the ports (`MessageStore`, `DirectoryStore`) are used.
 *
 * @example
 * const gw = await startGateway(loadConfig({ env: process.env }), { log });
 * console.log(gw.ports); // { legacy: 2525, http: 8025 }
 * await gw.stop();
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { serve, type ServerType } from '@hono/node-server';
import type { GatewayConfig } from '../config/defaults.js';
import type { Logger } from '../../core/log/logger.js';
import type { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { MessageStore } from '../../core/ports/message-store.js';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { describeDatabase, openStorage, type Engine } from './open-storage.js';
import { hostname } from 'node:os';
import { Gateway } from '../../core/pipeline/gateway.js';
import type { Translator } from '../../core/ports/translator.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';
import { parseDuration } from '../../core/queue/duration.js';
import { ChainResolver, StaticResolver } from '../../directory/static-resolver.js';
import type { RouteResolver } from '../../core/ports/route-resolver.js';
import { healthApp } from '../http/health-app.js';
import { ensureTestCertificate } from '../test-material/test-certificate.js';
import { loadKeyFolder, writeTestKeyFolder } from '../../adapters/legacy/key-folder.js';
import { LegacyAdapter } from '../../adapters/legacy/legacy-adapter.js';
import { RelaySubmitter } from '../../adapters/legacy/relay-submitter.js';
import { startLegacyListener, type RunningListener } from '../../adapters/legacy/inbound-listener.js';
import { MssanteAdapter, type NationalTransport } from '../../adapters/mssante/mssante-adapter.js';
import { StaticRouteTransport } from '../../adapters/mssante/static-route-transport.js';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { startNationalListener, type RunningNationalListener } from '../../adapters/mssante/inbound-listener.js';
import { prepareNational } from './national-setup.js';
import { startPeriodicJobs } from './periodic-jobs.js';
import type { PeriodicJobs } from '../../core/queue/periodic-jobs.js';
import { createClinicalTranslator } from '../../mappings/bridge/translator.js';
import { zlibDeflateRaw, zlibInflateRaw } from './native-deflate.js';
import { nodeSha1, nodeSha256 } from './native-hash.js';
import { nodeSignatures } from './native-signature.js';
import { nodeAesCbcEncrypt, nodeRsaOaepEncrypt } from './native-cipher.js';
import { PipelinePool } from './pipeline-pool.js';
import { directoryRoutes } from '../http/directory-routes.js';
import { adminApi } from '../http/api/admin-api.js';
import { consoleApp } from '../http/console/console-app.js';
import { apiReference } from './api-reference.js';
import { ensureTestToken, tokensFromFile } from './api-tokens.js';
import { maskSecrets } from '../config/mask-secrets.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createObservability } from './observability.js';
import type { GatewayMetrics } from './metrics.js';
import { ensureDataDir, tightenDatabaseFiles } from './data-files.js';

export interface StartOptions {
  log: Logger;
  /** Resolvers asked before the static aliases of the configuration (the directory). */
  resolvers?: RouteResolver[];
  translator?: Translator;
  /** Replaces the static-route national transport (mutual TLS in production, peers in tests). */
  nationalTransport?: NationalTransport;
  /** Do not start the HTTP interface. */
  noHttp?: boolean;
  /** Start with deliveries held (benchmarks of ingest, maintenance). */
  holdDeliveries?: boolean;
  /** The clock of the legacy key years (tests pin it to the years of their key files). */
  now?: () => Date;
}

export interface RunningGateway {
  config: GatewayConfig;
  gateway: Gateway;
  /** `sqlite` or `postgres`, from the `database` setting. */
  engine: Engine;
  /** This node's id (`node.id`, else the host name): its claims carry it. */
  node: string;
  store: MessageStore;
  /** The SQLite engine's store, when that is the engine (tests that read its tables). */
  sqliteStore?: SqliteStore;
  resolver: ChainResolver;
  staticResolver: StaticResolver;
  directory: DirectoryStore;
  legacy: LegacyAdapter;
  /** Retention and the other jobs that run once across nodes (see `periodic-jobs.ts`). */
  jobs: PeriodicJobs;
  ports: { legacy: number; national: number; http?: number };
  /** This node's Prometheus metrics (served at `/metrics`). */
  metrics: GatewayMetrics;
  /** Read the legacy key folder again now (as `legacy.keyRescan` does): the key files taken. */
  reloadKeys(): Promise<string[]>;
  /**
   * Settles once the pipeline threads have loaded their code (at once without them). Mail is
   * taken before (jobs wait in the threads' queues); benchmarks wait, so as not to time the
   * threads' start as work.
   */
  threadsLoaded(): Promise<void>;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override name = 'StartError';
}

/** Reads a PEM file named by a setting; a missing or unreadable file is a StartError naming both. */
function readSettingFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new StartError(`${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function startGateway(config: GatewayConfig, o: StartOptions): Promise<RunningGateway> {
  const { log } = o;
  const now = o.now ?? (() => new Date());
  // Without testMaterial nothing is written before every key and certificate has been read.
  if (config.testMaterial) ensureDataDir(config.dataDir, log);
  // What a failed start must close again, last opened first: a worker thread, a timer or a
  // socket left open would keep the process alive after the start failed.
  const undo: (() => unknown)[] = [];
  const fail = async (message: string): Promise<never> => {
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch {
        /* closing what a failed start opened: the start's own error is the one to report */
      }
    }
    throw new StartError(message);
  };

  // Legacy keys: the gateway's own and the Master key, this year (and last year's for the grace period).
  const keyDir = config.legacy.keyDir;
  const hasKeys = existsSync(keyDir) && readdirSync(keyDir).some((f) => /\.\d{3}$/.test(f));
  if (!hasKeys) {
    if (!config.testMaterial) throw new StartError(`no legacy key files in ${keyDir} (set legacy.keyDir, or testMaterial=true to generate test keys)`);
    const y = now().getUTCFullYear();
    const written = await writeTestKeyFolder(keyDir, [config.legacy.gatewayLocal], [y - 1, y]);
    log.warn('generated TEST legacy keys: not for production', { dir: keyDir, files: written.length });
  }
  const { store: keys, problems } = await loadKeyFolder(keyDir);
  for (const p of problems) log.warn('key file problem', { file: p.file, code: p.code });
  // The folder read again while running: a key file added or replaced (next year's, a rotated
  // one) is taken without a restart; a message quarantined for want of it can then be released.
  const seenProblems = new Set(problems.map((p) => `${p.file}|${p.code}`));
  const reloadKeys = async (): Promise<string[]> => {
    const { store: fresh, problems: now } = await loadKeyFolder(keyDir);
    for (const p of now) {
      if (seenProblems.has(`${p.file}|${p.code}`)) continue;
      seenProblems.add(`${p.file}|${p.code}`);
      log.warn('key file problem', { file: p.file, code: p.code });
    }
    const taken = keys.adopt(fresh);
    if (taken.length) log.info('legacy key files taken while running', { files: taken });
    return taken;
  };
  const keyRescanMs = parseDuration(config.legacy.keyRescan);
  const keyTimer = keyRescanMs > 0 ? setInterval(() => void reloadKeys().catch((err) => log.warn('key folder could not be read again', { error: String(err) })), keyRescanMs) : null;
  keyTimer?.unref();
  undo.push(() => keyTimer && clearInterval(keyTimer));
  const year = now().getUTCFullYear();
  if (!keys.has(config.legacy.gatewayLocal, year) && !keys.has(config.legacy.gatewayLocal, year - 1)) {
    throw new StartError(`no key for '${config.legacy.gatewayLocal}' for ${year} in ${keyDir} (run 'passerelle keys check ${keyDir}')`);
  }

  // TLS for the legacy listener (optional STARTTLS).
  let tls: { key: string; cert: string } | undefined;
  if (config.legacy.listen.tlsKey) {
    tls = { key: readSettingFile('legacy.listen.tlsKey', config.legacy.listen.tlsKey), cert: readSettingFile('legacy.listen.tlsCert', config.legacy.listen.tlsCert) };
    try {
      createSecureContext(tls);
    } catch (err) {
      // OpenSSL's reason (no PEM data, key values mismatch), never the files' content
      throw new StartError(`legacy.listen.tlsKey/tlsCert: ${config.legacy.listen.tlsKey}, ${config.legacy.listen.tlsCert}: not a usable key and certificate (${(err as Error).message})`);
    }
  } else if (config.testMaterial) {
    const c = ensureTestCertificate(join(config.dataDir, 'tls'), `passerelle.${config.legacy.domain}`);
    if (c.created) log.warn('generated a TEST certificate: not for production', { dir: join(config.dataDir, 'tls') });
    tls = { key: c.key, cert: c.cert };
  }

  let national;
  try {
    national = await prepareNational(config, log);
  } catch (err) {
    throw new StartError(`national side: ${(err as Error).message}`);
  }
  undo.push(() => national.close());

  const node = config.node.id || hostname();
  let storage: Awaited<ReturnType<typeof openStorage>>;
  try {
    ensureDataDir(config.dataDir, log);
    tightenDatabaseFiles(config.database, log);
    storage = await openStorage(config, {
      node,
      directory: { legacyDomain: config.legacy.domain, nationalDomain: config.mssante.domain, reservedLocals: [config.legacy.gatewayLocal, 'postmaster', 'mailer-daemon'] },
    });
  } catch (err) {
    return fail(`cannot open the database ${describeDatabase(config.database)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  undo.push(() => storage.close());
  const { store, directory } = storage;
  const staticResolver = new StaticResolver({
    legacyDomain: config.legacy.domain, nationalDomain: config.mssante.domain, aliases: config.aliases, legacySubscribers: config.legacySubscribers,
  });
  // The federated address book answers first, then the configuration.
  const resolver = new ChainResolver([...(o.resolvers ?? []), directory, staticResolver]);
  // Opening and sealing LNP/1 mail and the mappings are the CPU-heavy steps: on worker threads
  // unless configured off (a caller's own translator, `o.translator`, is used as given).
  const pool = config.queue.translateWorkers > 0 ? new PipelinePool({ size: config.queue.translateWorkers }).warm() : null;
  if (pool) undo.push(() => pool.close());
  const legacy = new LegacyAdapter({
    keys, ...pool?.lnpCodec(keys), domain: config.legacy.domain, gatewayLocal: config.legacy.gatewayLocal, gatewayZone: config.legacy.gatewayZone, now, deflateRaw: zlibDeflateRaw, inflateRaw: zlibInflateRaw,
    submitter: new RelaySubmitter({
      host: config.legacy.relay.host, port: config.legacy.relay.port, user: config.legacy.relay.user,
      password: config.legacy.relay.password, requireTls: config.legacy.relay.requireTls, verifyCertificate: config.legacy.relay.verifyCertificate,
    }),
  });
  undo.push(() => legacy.close());
  const transport = o.nationalTransport ?? (config.mssante.transport === 'plain'
    ? new StaticRouteTransport(config.mssante.routes)
    : new OutboundClient({ tls: national.tls, trustList: national.trustList, name: `mx.${config.mssante.domain}`, routes: config.mssante.routes }));
  const mssante = new MssanteAdapter({
    domain: config.mssante.domain, nil: config.mssante.nil, transport,
    smime: {
      signer: national.signer, signature: config.mssante.smime.form, decryptor: national.decryptor,
      anchors: national.anchors.certificates, crls: () => national.crls(), cipher: config.mssante.smime.cipher, aesCbc: nodeAesCbcEncrypt, rsaOaep: nodeRsaOaepEncrypt, signatures: nodeSignatures,
      recipientCertificates: national.recipientCertificates,
    },
  });
  undo.push(() => mssante.close());
  const translator = o.translator ?? pool?.translator ?? createClinicalTranslator({ deflateRaw: zlibDeflateRaw, inflateRaw: zlibInflateRaw, sha1: nodeSha1 });
  // Metrics and readiness: the pipeline's observer, the national refusals, /metrics and /ready.
  const obs = createObservability({
    node: hostname(), store, national, trustListRefreshMs: parseDuration(config.mssante.trustListRefresh), directoryImports: async () => directory.lastImports(),
  });
  const gateway = new Gateway({
    store, adapters: { legacy, mssante }, resolver, translator, log, observer: obs.metrics.observer,
    schedule: RetrySchedule.from(config.queue.retry), concurrency: config.queue.concurrency,
    leaseMs: parseDuration(config.queue.lease), pollMs: parseDuration(config.queue.pollInterval), domain: config.mssante.domain,
    holdDeliveries: o.holdDeliveries, node, sha256: nodeSha256,
  });
  undo.push(() => gateway.stop());
  try {
    await gateway.start();
  } catch (err) {
    return fail(`resuming the queue: ${(err as Error).message}`);
  }

  let listener: RunningListener;
  let nationalListener: RunningNationalListener;
  try {
    listener = await startLegacyListener({
      host: config.legacy.listen.host, port: config.legacy.listen.port, maxSize: config.legacy.listen.maxSize,
      allowedRelays: config.legacy.listen.allowedRelays, domain: config.legacy.domain, tls, sink: gateway, resolver, log,
      ownAddress: legacy.ownAddress,
    });
  } catch (err) {
    return fail(`cannot listen on ${config.legacy.listen.host}:${config.legacy.listen.port} (${(err as Error).message})`);
  }
  undo.push(() => listener.close());
  const nationalDomain = config.mssante.domain.toLowerCase();
  try {
    nationalListener = await startNationalListener({
      host: config.mssante.listen.host, port: config.mssante.listen.port, maxSize: config.mssante.listen.maxSize,
      tls: national.tls, trustList: national.trustList, name: `mx.${config.mssante.domain}`, sink: gateway, log,
      onRefuse: (stage, kind) => obs.metrics.refused(stage, kind),
      // Only the gateway's own national addresses that lead to a legacy subscriber: never a relay.
      servesRecipient: async (address) => {
        if (address.split('@')[1]?.toLowerCase() !== nationalDomain) return false;
        const route = await resolver.resolve(address);
        return !!route && route.network === 'legacy' && route.status === 'active';
      },
    });
  } catch (err) {
    return fail(`cannot listen on ${config.mssante.listen.host}:${config.mssante.listen.port} (${(err as Error).message})`);
  }
  undo.push(() => nationalListener.close());
  national.onTlsChange((t) => nationalListener.updateTls(t));
  const startedAt = Date.now();
  const ports: RunningGateway['ports'] = { legacy: listener.port, national: nationalListener.port };
  let http: ServerType | undefined;
  if (!o.noHttp) {
    let token = config.http.token;
    const tokenFile = join(config.dataDir, 'http-token');
    if (!token && config.testMaterial && existsSync(tokenFile)) token = readFileSync(tokenFile, 'utf8').trim();
    if (!token && config.testMaterial) {
      token = randomBytes(24).toString('base64url');
      writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
      log.warn('generated a TEST bearer token for the directory API', { file: tokenFile });
    }
    // The admin API (`/api`, its tokens file) with the directory under it, and its reference page.
    if (config.testMaterial) await ensureTestToken(config.http.tokensFile, config.dataDir, log);
    const api = adminApi({
      store, tokens: tokensFromFile(config.http.tokensFile, log), wake: () => gateway.wake(), config: () => maskSecrets(config) as Record<string, unknown>,
      trust: () => obs.trust(), refreshTrust: () => obs.refreshTrust(), history: (minutes) => obs.metrics.history.series(Date.now(), minutes), log,
      mounts: { '/directory': directoryRoutes(directory, { mountedBehindAuth: true }) },
    });
    const app = healthApp({
      store, startedAt, listeners: () => ({ ...ports }),
      mounts: {
        ...obs.routes(() => ({ legacy: listener.listening(), national: nationalListener.listening() })),
        ...(token ? { '/directory': directoryRoutes(directory, token) } : {}),
      },
    });
    app.route('/', api);
    app.route('/', apiReference());
    // The admins' web console (`/console`), built on the admin API alone.
    app.route('/', consoleApp({ api, probe: app, chartLibrary: chartLibrary() }));
    http = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, (info) => {
        ports.http = info.port;
        resolve(s);
      });
      s.once('error', reject);
    }).catch((err: Error) => fail(`cannot serve HTTP on ${config.http.host}:${config.http.port} (${err.message})`));
  }
  log.info('gateway started', {
    legacy: `${config.legacy.listen.host}:${ports.legacy}`, national: `${config.mssante.listen.host}:${ports.national}`,
    http: ports.http, database: describeDatabase(config.database), node,
  });

  const jobs = startPeriodicJobs(config, { store, log });

  let stopped = false;
  return {
    config, gateway, engine: storage.engine, node, store, ...(storage.sqliteStore ? { sqliteStore: storage.sqliteStore } : {}),
    resolver, staticResolver, directory, legacy, jobs, ports, metrics: obs.metrics, reloadKeys,
    threadsLoaded: async () => { await pool?.loaded(); },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (keyTimer) clearInterval(keyTimer);
      await jobs.stop();
      await listener.close();
      await nationalListener.close();
      if (http) await new Promise<void>((r) => http!.close(() => r()));
      await gateway.stop();
      await pool?.close();
      national.close();
      await legacy.close();
      await mssante.close();
      await storage.close();
      log.info('gateway stopped');
    },
  };
}

/** uPlot's browser build and style sheet, from the installation (no CDN); none when absent: the dashboard shows tables only. */
function chartLibrary(): { js: string; css: string } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('uplot/package.json'));
    return { js: readFileSync(join(dist, 'dist/uPlot.iife.min.js'), 'utf8'), css: readFileSync(join(dist, 'dist/uPlot.min.css'), 'utf8') };
  } catch {
    return undefined;
  }
}
