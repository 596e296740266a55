/**
 * The Workers entry stays runnable on Workers: it bundles for a neutral platform (no Node
 * built-ins anywhere in its graph), and its API maps documents both ways.
 */
import { describe, it, expect } from 'vitest';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import worker from '../../app/workers/worker.js';
import { encodeLatin1 } from '../../mappings/transliteration/latin1.js';
import { readHprim } from '../../mappings/hprim/read.js';

const ROOT = join(import.meta.dirname, '../..');
const ENV = { MAPPING_API_TOKEN: 'test-mapping-token' };
const AUTH = { authorization: `Bearer ${ENV.MAPPING_API_TOKEN}` };
const HPRIM = (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;

describe('Workers entry', () => {
  it('bundles for a neutral platform: no Node built-in in its import graph', async () => {
    const r = await build({
      entryPoints: [join(ROOT, 'app/workers/worker.ts')], bundle: true, platform: 'neutral', format: 'esm', write: false,
      mainFields: ['module', 'main'], conditions: ['worker', 'browser'], logLevel: 'silent',
    });
    expect(r.errors).toEqual([]);
    const code = r.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
  }, 60_000);

  it('maps HPRIM to a CR-BIO, to IHE_XDM.ZIP, and the archive back to HPRIM with every result', async () => {
    const cda = await worker.request('/map/hprim-to-cda', { method: 'POST', headers: AUTH, body: encodeLatin1(HPRIM).bytes as Uint8Array<ArrayBuffer> }, ENV);
    expect(cda.status).toBe(200);
    expect(cda.headers.get('x-mss-codecda')).toBe('11502-2');
    expect(cda.headers.get('x-alert')).toBe('panic');
    expect(await cda.text()).toContain('urn:hl7-org:v3');
    const xdm = await worker.request('/map/hprim-to-xdm', { method: 'POST', headers: AUTH, body: encodeLatin1(HPRIM).bytes as Uint8Array<ArrayBuffer> }, ENV);
    const back = await worker.request('/map/xdm-to-hprim', { method: 'POST', headers: AUTH, body: await xdm.arrayBuffer() }, ENV);
    expect(back.status).toBe(200);
    const text = new TextDecoder('latin1').decode(await back.arrayBuffer());
    expect(readHprim(text).report!.results.map((r) => [r.code, r.value, r.flag])).toEqual(readHprim(HPRIM).report!.results.map((r) => [r.code, r.value, r.flag]));
  });

  it('answers 422 with a reason for what is not a lab report', async () => {
    const r = await worker.request('/map/hprim-to-cda', { method: 'POST', headers: AUTH, body: 'bonjour' }, ENV);
    expect(r.status).toBe(422);
    expect(((await r.json()) as { error: string }).error).toMatch(/HPRIM/);
  });

  it('refuses every /map/ route without the bearer token (401), and all of them when none is configured (503)', async () => {
    const body = encodeLatin1(HPRIM).bytes as Uint8Array<ArrayBuffer>;
    for (const route of ['hprim-to-cda', 'hprim-to-xdm', 'cda-to-hprim', 'xdm-to-hprim']) {
      const none = await worker.request(`/map/${route}`, { method: 'POST', body }, ENV);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const wrong = await worker.request(`/map/${route}`, { method: 'POST', body, headers: { authorization: 'Bearer test-mapping-tokeN' } }, ENV);
      expect(wrong.status).toBe(401);
      const prefix = await worker.request(`/map/${route}`, { method: 'POST', body, headers: { authorization: 'Bearer test-mapping-toke' } }, ENV);
      expect(prefix.status).toBe(401);
      const unset = await worker.request(`/map/${route}`, { method: 'POST', body, headers: AUTH }, {});
      expect(unset.status).toBe(503);
    }
    expect((await worker.request('/', {}, ENV)).status).toBe(200);
  });
});
