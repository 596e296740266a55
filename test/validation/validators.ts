/**
 * The two validators every generated CR-BIO must pass: the CDA R2 schema with the French
 * extensions (`xmllint --schema`) and the official CR-BIO 2024.01 schematron (compiled by
 * `schematron-compiler.ts`, run with Saxon-HE). Material is read from
 * `../shared/national/cda` beside the repository, never copied.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { compileSchematron } from './schematron-compiler.js';

export const CDA_DIR = resolve(process.cwd(), '../shared/national/cda');
export const XSD = join(CDA_DIR, 'infrastructure/cda/CDA_extended.xsd');
export const SCHEMATRON = join(CDA_DIR, 'schematrons/CI-SIS_BIO-CR-BIO_2024.01.sch');
const SAXON_CANDIDATES = ['/usr/share/java/Saxon-HE.jar', '/usr/share/java/saxon9he.jar'];

/**
 * @example
 * saxonJar() // '/usr/share/java/Saxon-HE.jar'
 */
export function saxonJar(): string | undefined {
  return SAXON_CANDIDATES.find((p) => existsSync(p));
}

export interface SchematronFailure { pattern: string; location: string; message: string }

/**
 * `xmllint --noout --schema CDA_extended.xsd FILE`: the error lines, empty when valid.
 *
 * @example
 * validateXsd('doc.xml') // [] when valid
 */
export function validateXsd(file: string): string[] {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status === 0) return [];
  return r.stderr.split('\n').filter((l) => l.trim() && !/ validates$/.test(l));
}

/**
 * `xmllint --schema` on many files in one run: the error lines of each invalid file.
 *
 * @example
 * validateXsdMany(['a.xml', 'b.xml']).size // 0 when all are valid
 */
export function validateXsdMany(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const CHUNK = 200;
  for (let i = 0; i < files.length; i += CHUNK) {
    const part = files.slice(i, i + CHUNK);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, ...part], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status === 0) continue;
    for (const f of part) {
      const errs = r.stderr.split('\n').filter((l) => l.startsWith(`${f}:`) || l === `${f} fails to validate`);
      if (errs.length) out.set(f, errs);
    }
  }
  return out;
}

let compiledPath: string | undefined;
function compiled(): string {
  if (compiledPath && existsSync(compiledPath)) return compiledPath;
  const dir = mkdtempSync(join(tmpdir(), 'crbio-sch-'));
  compiledPath = join(dir, 'crbio.xsl');
  writeFileSync(compiledPath, compileSchematron(SCHEMATRON).xslt);
  return compiledPath;
}

/**
 * Run the CR-BIO schematron on several files in one JVM start; returns the failures of each file.
 *
 * @example
 * const failures = validateSchematron(['doc.xml']).get('doc.xml'); // [] when it passes
 */
export function validateSchematron(files: string[]): Map<string, SchematronFailure[]> {
  const jar = saxonJar();
  if (!jar) throw new Error('Saxon-HE not found: apt-get install libsaxonhe-java');
  const work = mkdtempSync(join(tmpdir(), 'crbio-run-'));
  const inDir = join(work, 'in');
  const outDir = join(work, 'out');
  mkdirSync(inDir);
  mkdirSync(outDir);
  const names = files.map((f, i) => `${String(i).padStart(4, '0')}-${basename(f)}`);
  files.forEach((f, i) => writeFileSync(join(inDir, names[i]), readFileSync(f)));
  try {
    execFileSync('java', ['-cp', jar, 'net.sf.saxon.Transform', `-s:${inDir}`, `-xsl:${compiled()}`, `-o:${outDir}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const result = new Map<string, SchematronFailure[]>();
    const produced = new Set(readdirSync(outDir));
    files.forEach((f, i) => {
      if (!produced.has(names[i])) throw new Error(`schematron run produced no report for ${f}`);
      const text = readFileSync(join(outDir, names[i]), 'utf8');
      result.set(f, text.split('\n').filter((l) => l.startsWith('FAILED\t')).map((l) => {
        const [, pattern, location, message] = l.split('\t');
        return { pattern, location, message: message.trim() };
      }));
    });
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
