/**
 * Cloudflare Workers entry (`wrangler.toml`): the clinical mappings over HTTP. Everything it
 * imports uses Web APIs only; the bundle check in `test/core/worker-bundle.test.ts` proves
 * no Node built-in is pulled in.
 */
import { mappingApp } from '../http/mapping-app.js';

export default mappingApp();
