/**
 * Watching a running gateway as an operator does: a gateway between the legacy relay
 * simulator and a national operator peer, logging through pino into a buffer. Messages go
 * through (delivered, refused for good, deferred then delivered, quarantined, an operator
 * refused without TLS); then `/metrics` is parsed as Prometheus text and the named series
 * must have moved, the log must hold one line per delivery attempt and per quarantine with
 * no address local part, subject or patient name, and `/ready` must answer.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { createPinoLogger } from '../../app/node/pino-logger.js';

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;

interface Sample { name: string; labels: Record<string, string>; value: number }

/** The Prometheus text exposition format, as a scraper reads it: HELP/TYPE comments, then `name{labels} value`. */
function parsePrometheus(text: string): { samples: Sample[]; types: Record<string, string> } {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line) continue;
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types[t[1]!] = t[2]!;
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : m[3] === 'NaN' ? NaN : Number(m[3]) });
  }
  return { samples, types };
}

async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('metrics, logs and readiness of a running gateway', () => {
  let w: LegacyWorld;
  const lines: string[] = [];
  const log = createPinoLogger({ level: 'info', format: 'json', destination: { write: (l) => void lines.push(l) } });
  const metrics = async () => {
    const res = await fetch(`http://127.0.0.1:${w.gw.ports.http}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };
  const value = (s: Sample[], name: string, labels: Record<string, string> = {}) =>
    s.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((a, x) => a + x.value, 0);
  const send = (subject: string) => submitToRelay(w.relay, {
    local: 'labo.bio33', password: 'pw-labo', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: HPRIM, subject,
  });

  beforeAll(async () => {
    w = await startLegacyWorld({}, { log });
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('counts what went through in /metrics, per network, direction, result, stage and kind', async () => {
    const before = await metrics();
    expect(value(before.samples, 'passerelle_delivered_total')).toBe(0);
    const stats = w.gw.gateway.stats;

    // Delivered at once.
    await send('CR biologie Mme TESTPATIENT Camille');
    await w.peer.waitFor(1);
    await waitFor(() => stats.delivered >= 1);
    // Refused for good (550): failed, and a failure notice goes back to the lab through the relay.
    w.peer.refuseWith = { code: 550, message: '5.1.1 Mailbox unknown' };
    await send('CR biologie Mme TESTPATIENT Camille (2)');
    await waitFor(() => stats.failed >= 1);
    // Deferred (451), then delivered on the next attempt (the world retries after 300 ms).
    w.peer.refuseWith = { code: 451, message: '4.3.0 Try again later' };
    await send('CR biologie Mme TESTPATIENT Camille (3)');
    await waitFor(async () => value((await metrics()).samples, 'passerelle_deferred_total') >= 1);
    w.peer.refuseWith = null;
    await w.peer.waitFor(2);
    // Quarantined at open: the relay forwards something that is not LNP/1 armour.
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, ignoreTLS: true, logger: false });
    await t.sendMail({
      envelope: { from: 'dr.alice.martin@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] },
      raw: 'From: dr.alice.martin@medical33.lnp.test\r\nTo: jean.dupont.med@interop.lnp.test\r\nSubject: Mme TESTPATIENT\r\nMessage-ID: <broken-obs@medical33.lnp.test>\r\nX-LNP-Version: 1\r\nX-LNP-Transit: relay1\r\n\r\n$LNP1\r\n#BINASCII1#\r\n00000010\r\nnot armour at all\r\n',
    }).finally(() => t.close());
    await waitFor(() => stats.quarantined >= 1);
    // An operator that does not start TLS is refused at MAIL by the national listener.
    const n = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.national, secure: false, ignoreTLS: true, logger: false });
    await expect(n.sendMail({ envelope: { from: 'x@medecin.mssante.fr', to: ['dr.alice.martin@passerelle.mssante.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' }))
      .rejects.toMatchObject({ responseCode: 530 });
    n.close();
    // An operator whose TLS 1.2 suites are none of the rules' fails the handshake.
    const weak = nodemailer.createTransport({
      host: '127.0.0.1', port: w.gw.ports.national, secure: false, requireTLS: true, logger: false,
      tls: { rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' },
    });
    await expect(weak.sendMail({ envelope: { from: 'x@medecin.mssante.fr', to: ['dr.alice.martin@passerelle.mssante.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' })).rejects.toThrow();
    weak.close();
    // The failure notice and the quarantine notice reach the relay.
    await waitFor(() => stats.delivered >= 4);
    // A delivery is counted when handed over; its message settles in the commit that follows.
    await waitFor(async () => {
      const s = await w.gw.store.summary();
      return (s.messages.done ?? 0) >= 5 && !s.deliveries.queued && !s.deliveries.sending && !s.deliveries.pending;
    });
    // The queue gauges share one summary of the store for a second (SUMMARY_TTL_MS): the next scrape reads a fresh one.
    await new Promise((r) => setTimeout(r, 1100));

    const { samples, types } = await metrics();
    const node = samples.find((x) => x.name === 'passerelle_accepted_total')!.labels.node;
    expect(node).toBeTruthy();
    expect(samples.filter((x) => x.name.startsWith('passerelle_')).every((x) => x.labels.node === node)).toBe(true);
    expect(types).toMatchObject({
      passerelle_accepted_total: 'counter', passerelle_delivered_total: 'counter', passerelle_handover_latency_seconds: 'histogram',
      passerelle_queue_deliveries: 'gauge', nodejs_eventloop_lag_seconds: 'gauge',
    });
    expect(value(samples, 'passerelle_accepted_total', { network: 'legacy' })).toBe(4);
    expect(value(samples, 'passerelle_accepted_total', { network: 'gateway' })).toBe(0); // notices are the gateway's own: counted when delivered
    expect(value(samples, 'passerelle_delivered_total', { from: 'legacy', to: 'mssante' })).toBe(2);
    expect(value(samples, 'passerelle_delivered_total', { from: 'gateway', to: 'legacy' })).toBe(2);
    expect(value(samples, 'passerelle_failed_total', { from: 'legacy', to: 'mssante', code: '550', reason: 'refused' })).toBe(1);
    expect(value(samples, 'passerelle_deferred_total', { from: 'legacy', to: 'mssante', code: '451' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'passerelle_delivery_attempts_total', { from: 'legacy', to: 'mssante' }))
      .toBe(3 + value(samples, 'passerelle_deferred_total', { from: 'legacy', to: 'mssante' }));
    expect(value(samples, 'passerelle_quarantined_total', { stage: 'open' })).toBe(1);
    expect(samples.find((x) => x.name === 'passerelle_quarantined_total')!.labels.kind).toMatch(/^[A-Z_]+$/);
    expect(value(samples, 'passerelle_national_refusals_total', { stage: 'mail', reason: 'TLS_REQUIRED' })).toBe(1);
    expect(value(samples, 'passerelle_national_refusals_total', { stage: 'tls', reason: 'HANDSHAKE_FAILED' })).toBe(1);
    expect(value(samples, 'passerelle_handover_latency_seconds_count', { from: 'legacy', to: 'mssante' })).toBe(2);
    expect(value(samples, 'passerelle_handover_latency_seconds_bucket', { from: 'legacy', to: 'mssante', le: '+Inf' })).toBe(2);
    expect(value(samples, 'passerelle_delivered_attempts_sum', { from: 'legacy', to: 'mssante' })).toBeGreaterThanOrEqual(3);
    for (const stage of ['translate', 'seal', 'handover']) {
      expect(value(samples, 'passerelle_stage_duration_seconds_count', { stage, network: 'mssante' })).toBeGreaterThanOrEqual(3);
    }
    // Read at the scrape: the queue from the store's summary, the national side, the directory.
    expect(value(samples, 'passerelle_queue_messages', { state: 'done' })).toBe(5);
    expect(value(samples, 'passerelle_queue_messages', { state: 'quarantined' })).toBe(1);
    expect(value(samples, 'passerelle_queue_deliveries', { state: 'delivered' })).toBe(4);
    expect(samples.find((x) => x.name === 'passerelle_queue_oldest_age_seconds')?.value).toBe(0);
    expect(value(samples, 'passerelle_trust_list_domains')).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'passerelle_trust_list_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'passerelle_trust_list_refresh_failing')).toBe(0);
    expect(value(samples, 'passerelle_certificate_expiry_days', { role: 'gateway' })).toBeGreaterThan(30);
    expect(samples.filter((x) => x.name === 'passerelle_certificate_expiry_days' && x.labels.role === 'anchor').length).toBeGreaterThanOrEqual(1);
    expect(samples.some((x) => x.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    // What the deliveries moved, against the first scrape.
    expect(value(samples, 'passerelle_delivered_total')).toBeGreaterThan(value(before.samples, 'passerelle_delivered_total'));
  }, 60_000);

  it('wrote one log line per delivery attempt and per quarantine, naming domains only', () => {
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const attempts = entries.filter((e) => e.msg === 'delivery attempt');
    const national = attempts.filter((e) => e.network === 'mssante');
    expect(national.map((e) => e.result).sort()).toEqual(['deferred', 'delivered', 'delivered', 'failed'].concat(
      Array(national.length - 4).fill('deferred')).sort());
    for (const e of attempts) {
      expect(Object.keys(e).sort()).toEqual(['attempt', 'domain', 'hostname', 'id', 'latencyMs', 'level', 'msg', 'network', 'pid', 'reply', 'result', 'time']);
      expect(e.id).toMatch(/^[0-9A-Z]{26}$/);
      expect(e.level).toBe(e.result === 'delivered' ? 'info' : 'warn');
      expect(typeof e.latencyMs).toBe('number');
    }
    expect(national.every((e) => e.domain === 'medecin.mssante.fr')).toBe(true);
    expect(national.find((e) => e.result === 'failed')).toMatchObject({ reply: '550', attempt: 1 });
    expect(national.find((e) => e.result === 'deferred')).toMatchObject({ reply: '451', attempt: 1 });
    expect(national.some((e) => e.result === 'delivered' && (e.attempt as number) >= 2)).toBe(true);
    // The notices back to the legacy side: the relay's domain, never the subscriber.
    expect(attempts.filter((e) => e.network === 'legacy').map((e) => [e.domain, e.result])).toEqual([['medical33.lnp.test', 'delivered'], ['medical33.lnp.test', 'delivered']]);
    const q = entries.filter((e) => e.msg === 'message quarantined');
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ stage: 'open', level: 'warn' });
    expect(q[0]!.kind).toMatch(/^[A-Z_]+$/);
    // Never a local part, a subject or a patient's name, anywhere in the log.
    const all = lines.join('');
    for (const secret of ['jean.dupont', 'labo.bio33', 'dr.alice.martin', 'TESTPATIENT', 'Camille', 'CR biologie', 'pw-']) expect(all).not.toContain(secret);
  });

  it('answers /ready with what an alert needs, and keeps /health', async () => {
    const res = await fetch(`http://127.0.0.1:${w.gw.ports.http}/ready`);
    const body = await res.json() as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'ready', ready: true, reasons: [], listeners: { legacy: true, national: true }, oldestQueuedAgeSeconds: null });
    expect(body.deferralsLast5m).toBeGreaterThanOrEqual(1);
    expect(body.trustList).toMatchObject({ refreshFailing: false });
    const health = await (await fetch(`http://127.0.0.1:${w.gw.ports.http}/health`)).json() as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', listeners: { legacy: w.gw.ports.legacy } });
    expect(health.queue).toBeTruthy();
    expect(health.messages).toBeTruthy();
  });
});
