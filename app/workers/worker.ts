/**
 * Cloudflare Workers entry (`wrangler.toml`). Everything it imports uses Web APIs only; the
 * bundle check in `test/core/worker-bundle.test.ts` proves no Node built-in is pulled in, and
 * `test/workers/` runs it in workerd itself.
 *
 * - `/map/…`: the clinical mappings over HTTP, behind the `MAPPING_API_TOKEN` secret
 *   (`app/http/mapping-app.ts`);
 * - `/directory/search`, `/directory/resolve`: the address book's public professional data
 *   (never messages) from D1 (binding `DIRECTORY`), the gateway's own lookup and search routes
 *   in their read-only form, behind the `DIRECTORY_API_TOKEN` secret;
 * - `/directory/publish…`: what the gateway's `passerelle directory publish` feeds the copy
 *   with, behind the `DIRECTORY_PUBLISH_TOKEN` secret (readers cannot write).
 */
import { Hono } from 'hono';
import { mappingApp, type MappingEnv } from '../http/mapping-app.js';
import { directoryRoutes } from '../http/directory-routes.js';
import { directoryPublishRoutes } from '../http/directory-publish-routes.js';
import { bearerToken } from '../http/bearer-token.js';
import { D1DirectoryStore } from '../../storage/d1/directory-store.js';
import type { D1Database } from '../../storage/d1/d1-types.js';

export interface WorkerEnv extends MappingEnv {
  /** The address book's D1 database (`[[d1_databases]]`, migrations `drizzle-directory/`). */
  DIRECTORY?: D1Database;
  DIRECTORY_API_TOKEN?: string;
  DIRECTORY_PUBLISH_TOKEN?: string;
  /** The legacy network's domain and the gateway's national domain (`[vars]`): aliases are read with them. */
  LEGACY_DOMAIN?: string;
  NATIONAL_DOMAIN?: string;
}

type Ctx = { env: WorkerEnv };

function store(c: Ctx): D1DirectoryStore {
  const env = c.env;
  if (!env.DIRECTORY || !env.LEGACY_DOMAIN || !env.NATIONAL_DOMAIN) throw new Error('the directory needs DIRECTORY, LEGACY_DOMAIN and NATIONAL_DOMAIN');
  return new D1DirectoryStore(env.DIRECTORY, { legacyDomain: env.LEGACY_DOMAIN, nationalDomain: env.NATIONAL_DOMAIN });
}

const app = new Hono<{ Bindings: WorkerEnv }>();
app.use('/directory/publish', bearerToken((c) => (c.env as WorkerEnv).DIRECTORY_PUBLISH_TOKEN, 'passerelle-directory-publish'));
app.use('/directory/publish/*', bearerToken((c) => (c.env as WorkerEnv).DIRECTORY_PUBLISH_TOKEN, 'passerelle-directory-publish'));
app.route('/directory', directoryPublishRoutes(store));
app.use('/directory/*', bearerToken((c) => (c.env as WorkerEnv).DIRECTORY_API_TOKEN, 'passerelle-directory'));
app.route('/directory', directoryRoutes(store, { mountedBehindAuth: true }, { lookupOnly: true }));
app.route('/', mappingApp());

export default app;
