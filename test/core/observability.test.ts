/**
 * The pieces of observability on their own: the pino logger (formats, levels, redaction of
 * secrets whatever the format), the `log.format` setting, readiness and its reasons (503),
 * and the metrics' scrape-time gauges and sliding deferral window on a fake clock.
 */
import { describe, it, expect } from 'vitest';
import { createPinoLogger } from '../../app/node/pino-logger.js';
import { checkReadiness, type ReadinessSources } from '../../app/node/readiness.js';
import { GatewayMetrics } from '../../app/node/metrics.js';
import { readyRoutes, metricsRoutes } from '../../app/http/observability-routes.js';
import { ConfigError, loadConfig } from '../../app/config/load-config.js';
import type { QueueSummary } from '../../core/ports/message-store.js';

const capture = (format: 'json' | 'pretty' | 'auto', isTTY = false, level: 'debug' | 'info' = 'info') => {
  const out: string[] = [];
  const log = createPinoLogger({ level, format, destination: { write: (l) => void out.push(l), isTTY } });
  return { out, log };
};

const SECRETS = {
  password: 'hunter2-pw', relayPassword: 'hunter3-pw', token: 'tok-abcdef', apiToken: 'tok-ghijkl', key: 'key-material-1',
  privateKey: '-----BEGIN PRIVATE KEY-----MIIE', keyBytes: new Uint8Array([1, 2, 3]), secret: 'the-secret',
  relay: { host: 'relay.lnp.example', password: 'nested-pw', token: 'nested-token', key: 'nested-key' },
  headers: { authorization: 'Bearer abc.def' },
};
const LEAKS = ['hunter2-pw', 'hunter3-pw', 'tok-abcdef', 'tok-ghijkl', 'key-material-1', 'BEGIN PRIVATE KEY', 'the-secret', 'nested-pw', 'nested-token', 'nested-key', 'Bearer abc'];

describe('pino logger', () => {
  it('writes one JSON object a line with level, time, message and fields', () => {
    const { out, log } = capture('json');
    log.info('delivery attempt', { id: '01ABC', network: 'mssante', attempt: 1 });
    log.debug('not at info');
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('\n')).toBe(true);
    const e = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(e).toMatchObject({ level: 'info', msg: 'delivery attempt', id: '01ABC', network: 'mssante', attempt: 1 });
    expect(new Date(e.time as string).toISOString()).toBe(e.time);
  });

  it('never prints a password, key or token field, at the top level or nested, in JSON or pretty', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { out, log } = capture(format);
      log.warn('relay connection', { ...SECRETS, sealed: new Uint8Array(3) });
      log.error('with an error', { error: new Error('boom'), password: 'hunter2-pw' });
      const text = out.join('');
      for (const leak of LEAKS) expect(text, `${format}: ${leak}`).not.toContain(leak);
      expect(text).toContain('[redacted]');
      expect(text).toContain('relay.lnp.example'); // what is not a secret stays
      expect(text).toContain('[3 bytes]');
      expect(text).toContain('Error: boom');
    }
  });

  it('is pretty on a terminal with `auto`, JSON otherwise; `pretty` always', () => {
    const tty = capture('auto', true);
    tty.log.info('bonjour', { id: 'X' });
    expect(() => JSON.parse(tty.out[0]!)).toThrow();
    expect(tty.out[0]).toContain('bonjour');
    const pipe = capture('auto', false);
    pipe.log.info('bonjour');
    expect(JSON.parse(pipe.out[0]!)).toMatchObject({ msg: 'bonjour' });
    const pretty = capture('pretty', false);
    pretty.log.info('bonjour');
    expect(pretty.out[0]).toMatch(/INFO.*bonjour/);
  });

  it('log.format and log.level are settings with defaults, from the environment too, and validated', () => {
    expect(loadConfig({ env: {} }).log).toEqual({ level: 'info', format: 'auto' });
    const c = loadConfig({ env: { PASSERELLE_LOG_FORMAT: 'json', PASSERELLE_LOG_LEVEL: 'debug' } });
    expect(c.log).toEqual({ level: 'debug', format: 'json' });
    let problems: string[] = [];
    try {
      loadConfig({ env: { PASSERELLE_LOG_FORMAT: 'xml', PASSERELLE_LOG_LEVEL: 'loud' } });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.join('\n')).toMatch(/log\.level/);
    expect(problems.join('\n')).toMatch(/log\.format/);
  });
});

const NOW = Date.UTC(2026, 11, 4, 12);
const summary = (over: Partial<QueueSummary> = {}): QueueSummary => ({ deliveries: { queued: 2 }, messages: { routed: 1 }, nextDue: null, oldestOpenAt: NOW - 90_000, ...over });
const valid = { role: 'gateway' as const, name: 'mx.passerelle.test', notBefore: new Date(NOW - 86_400_000), notAfter: new Date(NOW + 365 * 86_400_000) };
const sources = (over: Partial<ReadinessSources> = {}): ReadinessSources => ({
  summary: async () => summary(), listeners: () => ({ legacy: true, national: true }),
  trustList: () => ({ ageMs: 3_600_000, domains: 120, failing: false }), trustListRefreshMs: 6 * 3_600_000,
  crlNextUpdates: () => [NOW + 3_600_000], certificates: () => [valid], deferralsLast5m: () => 3, now: () => NOW, ...over,
});

describe('readiness', () => {
  it('is ready with the figures an alert needs', async () => {
    expect(await checkReadiness(sources())).toMatchObject({
      ready: true, reasons: [], warnings: [], oldestQueuedAgeSeconds: 90, deferralsLast5m: 3,
      listeners: { legacy: true, national: true }, trustList: { ageSeconds: 3600, domains: 120, refreshFailing: false },
    });
  });

  it('names every reason it is not ready: store, listener, trust list age, CRL, certificates', async () => {
    const r = await checkReadiness(sources({
      summary: async () => {
        throw new Error('SQLITE_CANTOPEN');
      },
      listeners: () => ({ legacy: true, national: false }),
      trustList: () => ({ ageMs: 13 * 3_600_000, domains: 120, failing: true }),
      crlNextUpdates: () => [NOW - 1000, NOW + 1000],
      certificates: () => [
        { ...valid, notAfter: new Date(NOW - 1000) },
        { role: 'anchor', name: 'TEST AC IGC-SANTE', notBefore: new Date(NOW + 86_400_000), notAfter: new Date(NOW + 2 * 86_400_000) },
      ],
    }));
    expect(r.ready).toBe(false);
    expect(r.oldestQueuedAgeSeconds).toBeNull();
    expect(r.reasons).toEqual([
      'store unreachable: SQLITE_CANTOPEN',
      'listener national is not bound',
      'trust list is 13h old (limit 12h: 2 refresh periods)',
      '1 CRL(s) past their nextUpdate',
      `the gateway's certificate expired on ${new Date(NOW - 1000).toISOString()}`,
      `anchor TEST AC IGC-SANTE is not valid before ${new Date(NOW + 86_400_000).toISOString()}`,
    ]);
  });

  it('warns, still ready, of a certificate expiring within 30 days and of a failed trust list refresh', async () => {
    const r = await checkReadiness(sources({
      trustList: () => ({ ageMs: 7 * 3_600_000, domains: 120, failing: true }),
      certificates: () => [{ ...valid, notAfter: new Date(NOW + 10 * 86_400_000) }],
    }));
    expect(r.ready).toBe(true);
    expect(r.warnings).toEqual(['the last trust list refresh failed: the previous copy is in use', `the gateway's certificate expires on ${new Date(NOW + 10 * 86_400_000).toISOString()}`]);
  });

  it('/ready answers 200 when ready, 503 with its reasons when not', async () => {
    const ok = await readyRoutes(() => checkReadiness(sources())).request('/');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ready' });
    const down = await readyRoutes(() => checkReadiness(sources({ listeners: () => ({ legacy: false }) }))).request('/');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'not ready', reasons: ['listener legacy is not bound'] });
  });
});

describe('metrics', () => {
  it('reads the queue, trust list, CRL, certificates and directory at the scrape, and keeps five minutes of deferrals', async () => {
    let now = NOW;
    let summaries = 0;
    const m = new GatewayMetrics({
      node: 'gw-test', defaultMetrics: false, now: () => now,
      summary: async () => {
        summaries++;
        return summary();
      },
      trustList: () => ({ ageMs: 60_000, domains: 12, failing: false }),
      crlNextUpdates: () => [NOW + 7200_000, NOW + 3600_000],
      certificates: () => [valid],
      directoryImports: async () => ({ national: NOW - 86_400_000 }),
    });
    const text = await (await metricsRoutes(m).request('/')).text();
    expect(summaries).toBe(1); // one summary for the three queue gauges
    for (const line of [
      'passerelle_queue_deliveries{state="queued",node="gw-test"} 2',
      'passerelle_queue_messages{state="routed",node="gw-test"} 1',
      'passerelle_queue_oldest_age_seconds{node="gw-test"} 90',
      'passerelle_trust_list_age_seconds{node="gw-test"} 60',
      'passerelle_trust_list_domains{node="gw-test"} 12',
      'passerelle_crl_next_update_seconds{node="gw-test"} 3600',
      'passerelle_certificate_expiry_days{role="gateway",name="mx.passerelle.test",node="gw-test"} 365',
      'passerelle_directory_sync_age_seconds{source="national",node="gw-test"} 86400',
    ]) expect(text).toContain(line);
    m.observer.outcome('legacy', 'mssante', 'deferred', '451', 10, 1);
    now += 2 * 60_000;
    m.observer.outcome('legacy', 'mssante', 'deferred', '421', 10, 1);
    expect(m.deferralsLast5m()).toBe(2);
    now += 4 * 60_000;
    expect(m.deferralsLast5m()).toBe(1);
    now += 60_000;
    expect(m.deferralsLast5m()).toBe(0);
    expect(await m.text()).toContain('passerelle_deferred_total{from="legacy",to="mssante",code="451",node="gw-test"} 1');
  });

  it('counts outcomes in cumulative histogram buckets, with sum and count, as Prometheus reads them', async () => {
    const m = new GatewayMetrics({ node: 'gw-test', defaultMetrics: false, summary: async () => summary() });
    for (const ms of [30, 80, 700, 45_000]) m.observer.outcome('mssante', 'legacy', 'delivered', '250', ms, 1);
    m.observer.outcome('mssante', 'legacy', 'failed', '550', 10, 2);
    m.observer.outcome('mssante', 'legacy', 'expired', '451', 10, 9);
    m.observer.quarantined('translate', 'UNSAFE_CONTENT');
    m.refused('mail', 'DOMAIN_NOT_TRUSTED');
    const text = await m.text();
    const L = 'from="mssante",to="legacy"';
    for (const line of [
      `passerelle_handover_latency_seconds_bucket{${L},le="0.05",node="gw-test"} 1`,
      `passerelle_handover_latency_seconds_bucket{${L},le="0.1",node="gw-test"} 2`,
      `passerelle_handover_latency_seconds_bucket{${L},le="1",node="gw-test"} 3`,
      `passerelle_handover_latency_seconds_bucket{${L},le="30",node="gw-test"} 3`,
      `passerelle_handover_latency_seconds_bucket{${L},le="60",node="gw-test"} 4`,
      `passerelle_handover_latency_seconds_bucket{${L},le="+Inf",node="gw-test"} 4`,
      `passerelle_handover_latency_seconds_sum{${L},node="gw-test"} 45.81`,
      `passerelle_handover_latency_seconds_count{${L},node="gw-test"} 4`,
      `passerelle_delivered_total{${L},node="gw-test"} 4`,
      `passerelle_delivery_attempts_total{${L},node="gw-test"} 6`,
      `passerelle_failed_total{${L},code="550",reason="refused",node="gw-test"} 1`,
      `passerelle_failed_total{${L},code="451",reason="expired",node="gw-test"} 1`,
      'passerelle_quarantined_total{stage="translate",kind="UNSAFE_CONTENT",node="gw-test"} 1',
      'passerelle_national_refusals_total{stage="mail",reason="DOMAIN_NOT_TRUSTED",node="gw-test"} 1',
      '# TYPE passerelle_handover_latency_seconds histogram',
      '# TYPE passerelle_delivered_total counter',
    ]) expect(text).toContain(line);
  });
});
