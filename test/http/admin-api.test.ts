/**
 * The admin API (issue 13, item 4) over a real SQLite store: tokens and roles, the OpenAPI
 * document (validated as OpenAPI 3.1, and every route in it answers as described), search,
 * traces with masked and revealed headers (the reveal audited), one and many releases and
 * drops written in the trace with the token's name, retry now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { adminApi } from '../../app/http/api/admin-api.js';
import { newToken, parseTokens, tokenLine, type ApiToken } from '../../app/http/api/tokens.js';
import { tokensFromFile, addToken } from '../../app/node/api-tokens.js';
import { maskSecrets } from '../../app/config/mask-secrets.js';
import { silentLogger } from '../../core/log/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'passerelle-api-'));
let store: SqliteStore;
let tokens: ApiToken[];
let reader: string;
let operator: string;
let woken = 0;
let app: ReturnType<typeof adminApi>;
const T0 = Date.parse('2026-12-01T08:00:00Z');

const raw = (subject: string) => new TextEncoder().encode(
  `From: "Laboratoire =?utf-8?q?B=C3=A9n=C3=A9dicte?=" <labo@medical33.lnp.test>\r\nTo: "Dr Jean Dupont" <jean.dupont@medecin.mssante.fr>\r\nSubject: ${subject}\r\nDate: Tue, 1 Dec 2026 09:00:00 +0100\r\nMessage-ID: <m-${subject.length}@x>\r\n\r\nbody\r\n`);

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await app.request(path, {
    method, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

async function quarantined(subject: string, stage = 'open', at = T0): Promise<string> {
  const { id } = await store.accept({ source: 'legacy', mailFrom: 'labo@medical33.lnp.test', recipients: ['jean.dupont@medecin.mssante.fr'], messageId: `<q-${Math.random().toString(36).slice(2)}@x>`, raw: raw(subject) }, at);
  await store.quarantine(id, { stage, reply: '550 5.6.0 unreadable', reason: '550 5.6.0 unreadable (rule)' }, at + 1);
  return id;
}

beforeAll(async () => {
  store = SqliteStore.open(join(dir, 'db.sqlite'));
  const r = await newToken('supervision', 'reader');
  const o = await newToken('astreinte', 'operator');
  reader = r.token;
  operator = o.token;
  tokens = [r.entry, o.entry];
  app = adminApi({ store, tokens: () => tokens, wake: () => void woken++, clock: { now: () => T0 + 60_000 }, config: () => ({ http: { token: '[masked]' } }) });
});
afterAll(() => {
  store.closeNow();
  rmSync(dir, { recursive: true, force: true });
});

describe('the admin API', () => {
  it('needs a valid bearer token (401), and a reader cannot act (403)', async () => {
    expect((await call('GET', '/api/queue')).status).toBe(401);
    expect((await call('GET', '/api/queue')).headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call('GET', '/api/queue', 'not-a-token')).status).toBe(401);
    expect((await call('GET', '/api/whoami', reader)).body).toEqual({ name: 'supervision', role: 'reader' });
    const id = await quarantined('Reader may not release');
    const r = await call('POST', `/api/messages/${id}/release`, reader);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    expect((await store.message(id))?.state).toBe('quarantined');
  });

  it('publishes an OpenAPI 3.1 document that a validator accepts, every route in it answering as described', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const v = await new Validator().validate(doc as never);
    expect(v.errors ?? []).toEqual([]);
    expect(v.valid).toBe(true);
    const id = await quarantined('Every route');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace('{id}', id).replace('{network}', 'mssante');
        const body = method === 'post' && path.startsWith('/api/quarantine/') ? { ids: [id] } : undefined;
        const r = await call(method.toUpperCase(), url, operator, body);
        expect(Object.keys(op.responses), `${method} ${path} answered ${r.status}`).toContain(String(r.status));
        expect(r.status, `${method} ${path}`).toBe(200);
      }
    }
  });

  it('searches messages by state, domain and time, by pages, with ISO dates', async () => {
    const a = await quarantined('Search A', 'open', T0 + 1000);
    const b = await quarantined('Search B', 'translate', T0 + 2000);
    const r = await call('GET', `/api/messages?state=quarantined&senderDomain=medical33.lnp.test&since=${new Date(T0 + 1000).toISOString()}&limit=1`, reader);
    expect(r.status).toBe(200);
    expect(r.body.messages.map((m: { id: string }) => m.id)).toEqual([b]);
    expect(r.body.messages[0].receivedAt).toBe(new Date(T0 + 2000).toISOString());
    const next = await call('GET', `/api/messages?state=quarantined&since=${new Date(T0 + 1000).toISOString()}&limit=1&before=${r.body.next}`, reader);
    expect(next.body.messages.map((m: { id: string }) => m.id)).toEqual([a]);
    expect((await call('GET', '/api/quarantine?stage=translate', reader)).body.messages.map((m: { id: string }) => m.id)).toContain(b);
    const bad = await call('GET', '/api/messages?state=lost&limit=9999', reader);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/state/);
    expect(bad.body.error.message).toMatch(/limit/);
  });

  it('masks the subject and the names unless asked, and traces the reveal with the token\'s name', async () => {
    const id = await quarantined('Résultats de Mme Martin');
    const masked = await call('GET', `/api/messages/${id}`, reader);
    expect(masked.body.headers).toEqual({ revealed: false, subject: '[masked]', from: 'labo@medical33.lnp.test', to: 'jean.dupont@medecin.mssante.fr', date: 'Tue, 1 Dec 2026 09:00:00 +0100' });
    expect(JSON.stringify(masked.body)).not.toMatch(/Martin|Dr Jean|Bénédicte|Laboratoire/);
    expect(masked.body.events.some((e: { stage: string }) => e.stage === 'audit')).toBe(false);
    const shown = await call('GET', `/api/messages/${id}?reveal=true`, reader);
    expect(shown.body.headers).toMatchObject({ revealed: true, subject: 'Résultats de Mme Martin', from: '"Laboratoire Bénédicte" <labo@medical33.lnp.test>' });
    expect(shown.body.events.at(-1)).toMatchObject({ stage: 'audit', detail: 'subject and names revealed to supervision (reader) through the API' });
    expect((await call('GET', '/api/messages/01JZZZZZZZZZZZZZZZZZZZZZZZ?reveal=true', reader)).status).toBe(404);
  });

  it('releases and drops, one or many, each written in the trace with the operator\'s name', async () => {
    const one = await quarantined('One');
    const r = await call('POST', `/api/messages/${one}/release`, operator);
    expect(r.body).toEqual({ id: one, done: true, detail: 'released: the pipeline runs it again' });
    expect(woken).toBeGreaterThan(0);
    expect((await store.trace(one))!.events.at(-1)!.detail).toBe('released by an operator (astreinte): the pipeline runs again');
    expect((await call('POST', `/api/messages/${one}/release`, operator)).body).toMatchObject({ done: false, detail: 'the message is received, not quarantined' });

    const many = [await quarantined('Many 1', 'seal'), await quarantined('Many 2', 'seal')];
    const other = await quarantined('Other stage', 'open');
    const d = await call('POST', '/api/quarantine/drop', operator, { all: true, stage: 'seal' });
    expect(d.body.done.sort()).toEqual([...many].sort());
    for (const id of many) {
      expect((await store.message(id))?.state).toBe('dropped');
      expect((await store.trace(id))!.events.at(-1)!.detail).toBe('dropped by an operator (astreinte): raw bytes erased');
    }
    expect((await store.message(other))?.state).toBe('quarantined');
    const mixed = await call('POST', '/api/quarantine/release', operator, { ids: [other, many[0], '01JZZZZZZZZZZZZZZZZZZZZZZZ'] });
    expect(mixed.body.done).toEqual([other]);
    expect(mixed.body.skipped).toEqual([
      { id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', reason: 'no such message' },
      { id: many[0], reason: 'the message is dropped, not quarantined' },
    ]);
    expect((await call('POST', '/api/quarantine/release', operator, {})).status).toBe(400);
  });

  it('retries now the queued deliveries of a message', async () => {
    const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@medical33.lnp.test', recipients: ['b@medecin.mssante.fr'], messageId: null, raw: raw('Retry') }, T0);
    await store.recordRouting(id, { routes: [{ recipient: 'b@medecin.mssante.fr', network: 'mssante', address: 'b@medecin.mssante.fr' }], failures: [], events: [] }, T0);
    const [d] = await store.claimDue(T0, 1, { owner: 'n/1', leaseMs: 1000 });
    await store.recordOutcomes(id, [{ deliveryId: d!.id, state: 'queued', nextAttemptAt: T0 + 3_600_000, reply: '451 4.4.1 later' }], [], T0);
    const r = await call('POST', `/api/messages/${id}/retry`, operator);
    expect(r.body).toEqual({ id, done: true, detail: '1 deliveries due now' });
    expect((await store.deliveries(id))[0]!.nextAttemptAt).toBe(T0 + 60_000);
  });
});

describe('holds and trust', () => {
  it('holds the deliveries to a network for every node (an operator), and releases them', async () => {
    expect((await call('POST', '/api/networks/legacy/hold', reader)).status).toBe(403);
    const held = await call('POST', '/api/networks/legacy/hold', operator);
    expect(held.status).toBe(200);
    expect(held.body.networks).toContainEqual({ network: 'legacy', held: true, since: new Date(T0 + 60_000).toISOString(), by: 'astreinte' });
    expect(await store.holds()).toEqual([{ network: 'legacy', since: T0 + 60_000, by: 'astreinte' }]);
    expect((await call('GET', '/api/networks', reader)).body.networks).toContainEqual(expect.objectContaining({ network: 'legacy', held: true }));
    expect((await call('POST', '/api/networks/nowhere/hold', operator)).status).toBe(400);
    const before = woken;
    const released = await call('POST', '/api/networks/legacy/release', operator);
    expect(released.body.networks).toContainEqual({ network: 'legacy', held: false, since: null, by: null });
    expect(woken).toBe(before + 1);
  });

  it('answers the trust status it is given, and an empty one without a national side', async () => {
    const r = await call('GET', '/api/trust', reader);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ trustList: null, crls: [], certificates: [] });
  });
});

describe('tokens and configuration', () => {
  it('keeps tokens as SHA-256 in a file, read again when it changes, malformed lines refused by number', async () => {
    const file = join(dir, 'api-tokens');
    const t = await addToken(file, 'supervision', 'reader');
    await expect(addToken(file, 'supervision', 'operator')).rejects.toThrow(/exists already/);
    const list = tokensFromFile(file, silentLogger);
    expect(list().map((x) => [x.name, x.role])).toEqual([['supervision', 'reader']]);
    expect((await import('node:fs')).readFileSync(file, 'utf8')).not.toContain(t);
    expect(() => parseTokens('ok reader ' + 'a'.repeat(64) + '\nbroken line\n', 'f')).toThrow('f, line 2: expected "NAME reader|operator SHA256HEX"');
    writeFileSync(file, tokenLine({ name: 'x', role: 'operator', sha256: 'b'.repeat(64) }));
    expect(list().map((x) => x.name)).toEqual(['supervision']); // checked at most every 2 s
  });

  it('masks every secret of the configuration, URL passwords included', () => {
    expect(maskSecrets({ http: { token: 'abc', port: 8025 }, legacy: { relay: { password: 'pw', user: 'u' } }, database: 'postgres://gw:s3cret@db/passerelle' }))
      .toEqual({ http: { token: '[masked]', port: 8025 }, legacy: { relay: { password: '[masked]', user: 'u' } }, database: 'postgres://gw:[masked]@db/passerelle' });
  });
});
