/**
 * The mappings API as Cloudflare runs it: the Workers entry of `wrangler.toml`, in workerd
 * (through @cloudflare/vitest-pool-workers, offline), with its `MAPPING_API_TOKEN` secret bound
 * as on Workers. It maps a lab report and refuses a request without the token.
 */
/// <reference types="@cloudflare/vitest-pool-workers/types" />
import { describe, it, expect } from 'vitest';
import { env, SELF } from 'cloudflare:test';
import seal from '../fixtures/legacy-network/seal.json' with { type: 'json' };
import { encodeLatin1 } from '../../mappings/transliteration/latin1.js';

const HPRIM = (seal as { name: string; text: string }[]).find((v) => v.name === 'hprim-lab-report')!.text;
const TOKEN = (env as { MAPPING_API_TOKEN: string }).MAPPING_API_TOKEN;

describe('mappings API on workerd', () => {
  it('runs in workerd, not in Node', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
  });

  it('maps an HPRIM lab report to a CR-BIO with the bearer token', async () => {
    const r = await SELF.fetch('http://mappings.test/map/hprim-to-cda', {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: encodeLatin1(HPRIM).bytes,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-mss-codecda')).toBe('11502-2');
    expect(r.headers.get('x-alert')).toBe('panic');
    const xml = await r.text();
    expect(xml).toContain('urn:hl7-org:v3');
    expect(xml).toContain('11502-2');
  });

  it('answers 401 without the token or with a wrong one, and maps nothing', async () => {
    const none = await SELF.fetch('http://mappings.test/map/hprim-to-cda', { method: 'POST', body: encodeLatin1(HPRIM).bytes });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="passerelle-mappings"');
    expect(await none.text()).not.toContain('urn:hl7-org:v3');
    const wrong = await SELF.fetch('http://mappings.test/map/hprim-to-xdm', {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}x` }, body: encodeLatin1(HPRIM).bytes,
    });
    expect(wrong.status).toBe(401);
  });
});
