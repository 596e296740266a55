/**
 * `npm run build`: compiles the gateway into `dist/` for production (`node dist/app/cli/main.js`).
 *
 * Transpiles, does not bundle: every TypeScript file reachable from the entry points becomes
 * one JavaScript file at the same place under `dist/` (esbuild, ES2022 modules for Node 20,
 * linked source maps), so paths that code finds from its own location keep working:
 * - `storage/sqlite/database.ts` and `storage/postgres/database.ts` read their migrations at
 *   `../../drizzle`, `../../drizzle-directory` and `../../drizzle-pg`: the folders are copied into `dist/`;
 * - `app/node/pipeline-pool.ts` starts its worker threads from `pipeline-thread.js` beside
 *   itself when it runs compiled (under tsx it goes through `pipeline-worker.mjs`).
 * Packages (better-sqlite3, pg, hono…) stay external: they are loaded from `node_modules`
 * next to `dist/` (production: `npm ci --omit=dev`). `dist/` needs nothing else of the clone.
 *
 * Usage: `npm run build [-- --outdir DIR]` (default `dist/` in the clone, which git ignores).
 */
import { build } from 'esbuild';
import { cpSync, rmSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
/** What production starts: the CLI, and the worker threads' entries (loaded by URL, so not imports). */
const ENTRIES = ['app/cli/main.ts', 'app/node/pipeline-thread.ts', 'app/node/directory-import-thread.ts', 'app/node/line-keys-thread.ts', 'app/node/search-side-thread.ts'];
/** Folders read at run time, copied as they are. */
const ASSETS = ['drizzle', 'drizzle-directory', 'drizzle-pg'];

const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = resolve(values.outdir ?? join(ROOT, 'dist'));
const started = performance.now();

// Which source files the entries reach: a bundling pass that writes nothing, only its metafile.
const graph = await build({
  absWorkingDir: ROOT, entryPoints: ENTRIES, bundle: true, write: false, metafile: true, outdir,
  platform: 'node', format: 'esm', packages: 'external', logLevel: 'error',
});
const sources = Object.keys(graph.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
const strays = sources.filter((f) => !/\.(ts|mts|js|mjs)$/.test(f));
if (strays.length) throw new Error(`build: the code imports files that are not modules: ${strays.join(', ')}`);

const builtAt = Date.now();
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  absWorkingDir: ROOT, entryPoints: sources, outdir, outbase: ROOT, bundle: false,
  platform: 'node', format: 'esm', target: 'node20', sourcemap: 'linked', sourcesContent: false, logLevel: 'error',
});
for (const a of ASSETS) cpSync(join(ROOT, a), join(outdir, a), { recursive: true });
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
// ES modules wherever dist/ is copied, even without the project's package.json above it.
writeFileSync(join(outdir, 'package.json'), JSON.stringify({ name: 'passerelle-dist', version: pkg.version, type: 'module', private: true }, null, 2) + '\n');

// What bin/passerelle.js checks before it runs dist/: a source changed since then means dist/ is stale.
writeFileSync(join(outdir, 'build-info.json'), JSON.stringify({ builtAt, sources }) + '\n');

process.stdout.write(`built ${sources.length} modules into ${outdir} in ${Math.round(performance.now() - started)} ms\n`);
