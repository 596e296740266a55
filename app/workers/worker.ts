/**
 * Cloudflare Workers entry (`wrangler.toml`): the clinical mappings over HTTP, behind the
 * `MAPPING_API_TOKEN` secret (a bearer token; see `app/http/mapping-app.ts`). Everything it
 * imports uses Web APIs only; the bundle check in `test/core/worker-bundle.test.ts` proves
 * no Node built-in is pulled in, and `test/workers/` runs it in workerd itself.
 */
import { mappingApp } from '../http/mapping-app.js';

export default mappingApp();
