#!/usr/bin/env node
// Launcher. Runs the compiled CLI (`dist/`, written by `npm run build`) when it is there and
// no source file has changed since it was built; otherwise the TypeScript through tsx, so a
// fresh clone needs no build step and a stale build never runs in place of edited code.
// PASSERELLE_FROM_SOURCE=1 forces the TypeScript. Production starts `node dist/app/cli/main.js`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/app/cli/main.js', import.meta.url);

function builtAndCurrent() {
  if (process.env.PASSERELLE_FROM_SOURCE === '1' || !existsSync(compiled)) return false;
  let info;
  try {
    info = JSON.parse(readFileSync(new URL('../dist/build-info.json', import.meta.url), 'utf8'));
  } catch {
    return true; // a dist/ copied without its build information (an installed package): run it
  }
  for (const file of info.sources) {
    let mtime;
    try { mtime = statSync(root + file).mtimeMs; } catch { continue; } // no source beside dist/
    if (mtime > info.builtAt) {
      process.stderr.write(`passerelle: ${file} changed after the last build: running the source through tsx (npm run build refreshes dist/)\n`);
      return false;
    }
  }
  return true;
}

if (builtAndCurrent()) {
  await import(compiled.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch {
    process.stderr.write('passerelle: dist/ is not built and tsx (a development package) is not installed: run `npm run build`, or `npm ci` for the development packages\n');
    process.exit(1);
  }
  tsx.register();
  await import('../app/cli/main.ts');
}
