/**
 * `npm run bench [NAME…]`: runs every `bench/*.bench.ts` (or the named ones) in turn.
 * Each bench file default-exports an async function that prints its own figures.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();
for (const f of files) {
  process.stdout.write(`\n== ${f.replace(/\.bench\.ts$/, '')}\n`);
  const mod = (await import(join(here, f))) as { default: () => Promise<void> };
  await mod.default();
}
process.exit(0);
