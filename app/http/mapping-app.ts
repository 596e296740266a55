/**
 * The clinical mappings over HTTP (Hono, Web APIs only): what a message becomes on the other
 * network, for admins and integrators. Runs on Node beside the gateway or alone on
 * Cloudflare Workers (`app/workers/worker.ts`, `wrangler.toml`).
 *
 * - `POST /map/hprim-to-cda` (body: HPRIM, ISO-8859-1 bytes) → the CR-BIO XML;
 * - `POST /map/hprim-to-xdm` → `IHE_XDM.ZIP` with the CR-BIO and the PDF copy;
 * - `POST /map/cda-to-hprim` (body: CDA XML) → HPRIM text (ISO-8859-1);
 * - `POST /map/xdm-to-hprim` (body: `IHE_XDM.ZIP`) → HPRIM or plain text.
 *
 * The documents carry patient data, so every `/map/` route needs `Authorization: Bearer
 * <token>` (401 without it, compared in constant time): the token is `options.token`, or on
 * Workers the `MAPPING_API_TOKEN` secret of the environment (`wrangler secret put
 * MAPPING_API_TOKEN`); with neither, the routes answer 503 (closed, never open).
 *
 * @example
 * const res = await mappingApp({ token }).request('/map/hprim-to-cda', {
 *   method: 'POST', body: hprimBytes, headers: { authorization: `Bearer ${token}` } });
 */
import { Hono } from 'hono';
import { decodeLatin1, encodeLatin1 } from '../../mappings/transliteration/latin1.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { xdmToLegacy } from '../../mappings/bridge/xdm-to-legacy.js';
import { cdaToLegacy } from '../../mappings/cda/read-cda.js';
import { bearerToken } from './bearer-token.js';

/** The Workers environment the API reads its token from (a secret, or a var in `.dev.vars`). */
export interface MappingEnv { MAPPING_API_TOKEN?: string }

export interface MappingAppOptions {
  /** Bearer token of the `/map/` routes; when absent, `MAPPING_API_TOKEN` of the Workers environment. */
  token?: string;
}

/** Largest body accepted, bytes. */
const MAX_BODY = 20 * 1024 * 1024;

async function body(req: Request): Promise<Uint8Array> {
  const len = Number(req.headers.get('content-length') ?? 0);
  if (len > MAX_BODY) throw new HttpError(413, 'body too large');
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY) throw new HttpError(413, 'body too large');
  return bytes;
}

class HttpError extends Error {
  constructor(readonly status: 400 | 413 | 422, message: string) {
    super(message);
  }
}

export function mappingApp(options: MappingAppOptions = {}): Hono<{ Bindings: MappingEnv }> {
  const app = new Hono<{ Bindings: MappingEnv }>();
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ error: err.message }, err.status);
    return c.json({ error: 'the document could not be mapped', detail: err.message.slice(0, 200) }, 422);
  });
  app.use('/map/*', bearerToken((c) => options.token ?? (c.env as MappingEnv | undefined)?.MAPPING_API_TOKEN, 'passerelle-mappings'));
  app.post('/map/hprim-to-cda', async (c) => {
    const out = await hprimToNational(decodeLatin1(await body(c.req.raw)));
    if (!out.cda) return c.json({ error: 'not a readable HPRIM lab report', issues: out.issues }, 422);
    return c.body(out.cda.xml, 200, { 'content-type': 'text/xml; charset=utf-8', 'x-mss-codecda': out.cda.code, 'x-alert': out.alert });
  });
  app.post('/map/hprim-to-xdm', async (c) => {
    const out = await hprimToNational(decodeLatin1(await body(c.req.raw)));
    if (!out.xdm) return c.json({ error: 'not a readable HPRIM lab report', issues: out.issues }, 422);
    return c.body(out.xdm as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="IHE_XDM.ZIP"' });
  });
  app.post('/map/cda-to-hprim', async (c) => {
    const out = cdaToLegacy(new TextDecoder().decode(await body(c.req.raw)));
    return c.body(encodeLatin1(out.hprim ?? out.text).bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'text/plain; charset=iso-8859-1' });
  });
  app.post('/map/xdm-to-hprim', async (c) => {
    const out = await xdmToLegacy(await body(c.req.raw));
    const text = out.hprim.length ? out.hprim.join('') : out.text;
    return c.body(encodeLatin1(text).bytes as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'text/plain; charset=iso-8859-1', 'x-alert': out.alert });
  });
  app.get('/', (c) => c.text('Passerelle mappings: POST /map/hprim-to-cda | hprim-to-xdm | cda-to-hprim | xdm-to-hprim (Authorization: Bearer TOKEN)\n'));
  return app;
}
