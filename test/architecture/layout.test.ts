/**
 * The layout is the architecture, and these rules keep it so:
 *
 * - `core/` uses Web APIs only: it imports nothing but `core/` and `lib/` (no Node built-in,
 *   no package), so the pipeline runs on Node, on Workers, anywhere;
 * - `lib/` (shared codecs) imports only `lib/` and a few pure packages;
 * - only `app/`, the composition root, names adapters and storage engines: nothing else
 *   outside `adapters/` and `storage/` imports them (tests and benches aside);
 * - DER is read and written by `lib/der/` alone: asn1js is imported by no production file
 *   (pkijs brings it for CMS, certificate paths and CRLs), node-forge only reads PKCS#12
 *   (`adapters/mssante/tls/identity.ts`) and makes test material (`app/test-material/`);
 * - `mappings/` and `directory/` are pure translation and address-book logic: they import
 *   `core/`, `lib/` and themselves (`directory/` also `mappings/` tables), never an adapter,
 *   an engine or `app/`.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const TOP = ['core', 'lib', 'storage', 'directory', 'mappings', 'adapters', 'app'] as const;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

interface Import { file: string; spec: string; target: string | null }

/** Every import of the production code: a relative one resolved to its top-level folder path. */
function imports(): Import[] {
  const out: Import[] = [];
  for (const top of TOP) {
    for (const file of files(top)) {
      const src = readFileSync(join(ROOT, file), 'utf8');
      for (const m of src.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        const target = spec.startsWith('.') ? normalize(relative(ROOT, join(ROOT, dirname(file), spec))) : null;
        out.push({ file, spec, target });
      }
    }
  }
  return out;
}

const ALL = imports();
const topOf = (p: string) => p.split(/[\\/]/)[0]!;
const ENGINES = /^(better-sqlite3|drizzle-orm\/better-sqlite3|pg|postgres)(\/|$)/;

describe('the layout rules', () => {
  it('finds the code it checks', () => {
    expect(ALL.filter((i) => topOf(i.file) === 'core').length).toBeGreaterThan(50);
  });

  it('core/ imports only core/ and lib/: no Node built-in, no package', () => {
    const bad = ALL.filter((i) => topOf(i.file) === 'core' && (i.target === null || !['core', 'lib'].includes(topOf(i.target))));
    expect(bad.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });

  it('lib/ imports only lib/ and pure packages', () => {
    const bad = ALL.filter((i) => topOf(i.file) === 'lib' && (i.target ? topOf(i.target) !== 'lib' : /^node:/.test(i.spec)));
    expect(bad.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });

  it('only app/ names adapters and storage engines', () => {
    const bad = ALL.filter((i) => {
      const from = topOf(i.file);
      if (from === 'app') return false;
      if (i.target) {
        const to = topOf(i.target);
        if (to === 'adapters') return from !== 'adapters';
        if (to === 'storage' && !i.target.startsWith('storage/contract')) return from !== 'storage';
        if (to === 'app') return true;
        return false;
      }
      return ENGINES.test(i.spec) && from !== 'storage';
    });
    expect(bad.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });

  it('mappings/ and directory/ import no adapter, engine or app/', () => {
    const bad = ALL.filter((i) => ['mappings', 'directory'].includes(topOf(i.file)) && i.target !== null
      && !['core', 'lib', 'mappings', 'directory'].includes(topOf(i.target)));
    expect(bad.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });

  it('one DER module: lib/der uses no package; asn1js in no production file; node-forge only for PKCS#12 and test material', () => {
    const bad = ALL.filter((i) => (i.file.startsWith('lib/der/') && i.target === null)
      || /^asn1js(\/|$)/.test(i.spec)
      || (/^node-forge(\/|$)/.test(i.spec) && i.file !== 'adapters/mssante/tls/identity.ts' && !i.file.startsWith('app/test-material/')));
    expect(bad.map((i) => `${i.file} → ${i.spec}`)).toEqual([]);
  });

  it('every top-level folder has a README saying what lives there and what it may import', () => {
    for (const top of TOP) expect(readFileSync(join(ROOT, top, 'README.md'), 'utf8')).toMatch(/may import/i);
  });
});
