/**
 * `passerelle keys check DIR`: every file of a legacy key folder with owner, year, serial and
 * OK, or its error code and reason (never a secret). Exit 1 when any file fails.
 *
 * `passerelle keys generate-test DIR OWNER… [--years 2025,2026]`: random TEST keys (0600)
 * for Master and each owner, with a README saying they are test keys.
 */
import type { Command, CommandIO } from '../command.js';
import { loadKeyFolder, writeTestKeyFolder } from '../../../adapters/legacy/key-folder.js';
import { LOCAL_PATTERN, keyFileName, parseKeyFileName } from '../../../adapters/legacy/key-file.js';
import { cliContext, parseCommand } from '../context.js';

const USAGE = [
  'Usage: passerelle keys check [DIR] [--config FILE] [--json]',
  '       passerelle keys generate-test DIR OWNER... [--years 2025,2026]',
  '',
  'check          list each key file of DIR (default: the configuration\'s legacy.keyDir):',
  '               owner, year, serial, OK or error code and reason',
  '               (exit 1 when any file fails; warnings such as loose permissions do not fail)',
  'generate-test  write random TEST keys (mode 0600) for Master and each OWNER, for each year',
  '               (default: last year and this year), plus README-TEST-KEYS.txt',
].join('\n');

async function check(dir: string, io: CommandIO, json = false): Promise<number> {
  let loaded;
  try {
    loaded = await loadKeyFolder(dir);
  } catch (err) {
    io.err(`passerelle keys: cannot read folder ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})\n`);
    return 1;
  }
  const { store, problems, files } = loaded;
  const keys = new Map(store.list().map((k) => [keyFileName(k.owner, k.year), k]));
  const width = Math.max(12, ...files.map((f) => f.length));
  let failed = 0;
  if (json) {
    // Names, owners, years, serials and problem codes: never key material.
    const report = files.map((file) => {
      const k = keys.get(file);
      const mine = problems.filter((p) => p.file === file);
      const ok = !!k && mine.every((p) => p.warning);
      if (!ok) failed++;
      return {
        file, ok, ...(k ? { owner: k.owner, year: k.year, serial: k.serial } : {}),
        problems: mine.map((p) => ({ code: p.code, message: p.message, warning: !!p.warning })),
      };
    });
    io.out(JSON.stringify({ dir, files: report, years: store.years(), masterless: store.years().filter((y) => !store.has('Master', y)) }, null, 2) + '\n');
    return failed > 0 ? 1 : 0;
  }
  for (const file of files) {
    const mine = problems.filter((p) => p.file === file);
    const errors = mine.filter((p) => !p.warning);
    const k = keys.get(file);
    let id = '';
    if (k) id = `owner=${k.owner} year=${k.year} serial=${k.serial}`;
    else {
      try {
        const n = parseKeyFileName(file);
        id = `owner=${n.owner} year=${n.year}`;
      } catch {
        id = '';
      }
    }
    if (errors.length === 0 && k) {
      io.out(`${file.padEnd(width)}  ${id.padEnd(52)}  OK\n`);
    } else {
      failed++;
      for (const p of errors.length > 0 ? errors : [{ code: 'NOT_LOADED', message: `${file}: not loaded` }]) {
        io.out(`${file.padEnd(width)}  ${id.padEnd(52)}  ${p.code}  ${p.message}\n`);
      }
    }
    for (const w of mine.filter((p) => p.warning)) io.out(`${' '.repeat(width)}  WARNING ${w.code}  ${w.message}\n`);
  }
  const years = store.years();
  const masterless = years.filter((y) => !store.has('Master', y));
  io.out(`\n${files.length} file(s), ${store.list().length} key(s) loaded, ${failed} failed; years: ${years.join(', ') || 'none'}\n`);
  if (masterless.length > 0) io.out(`warning: no Master key for ${masterless.join(', ')}: payloads of those years cannot be sealed or opened\n`);
  return failed > 0 ? 1 : 0;
}

async function generate(rest: string[], yearsOption: string | undefined, io: CommandIO): Promise<number> {
  let years: number[] | undefined;
  if (yearsOption !== undefined) {
    years = yearsOption.split(',').map((s) => Number(s.trim()));
    if (years.length === 0 || years.some((y) => !Number.isInteger(y) || y < 1900 || y > 2899)) {
      io.err(`passerelle keys: --years takes years like 2025,2026\n`);
      return 2;
    }
  }
  const [dir, ...owners] = rest;
  if (!dir || owners.length === 0) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const bad = owners.filter((o) => o !== 'Master' && !LOCAL_PATTERN.test(o));
  if (bad.length > 0) {
    io.err(`passerelle keys: not a valid LOCAL: ${bad.join(', ')}\n`);
    return 2;
  }
  const y = new Date().getUTCFullYear();
  try {
    const written = await writeTestKeyFolder(dir, owners, years ?? [y - 1, y]);
    io.out(`wrote ${written.length} TEST key file(s) to ${dir}: ${written.join(', ')}\n`);
    io.out('these are generated test keys: never use them with real data\n');
    return 0;
  } catch (err) {
    io.err(`passerelle keys: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'a key file already exists (never overwritten)' : (err as Error).message}\n`);
    return 1;
  }
}

const keys: Command = {
  summary: 'check a legacy key folder, or generate test keys',
  usage: USAGE,
  async run(args, io) {
    const a = parseCommand(args, { years: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } }, io, USAGE);
    if (!a) return 2;
    const [sub, ...rest] = a.positionals;
    if (sub === 'check' && rest.length <= 1 && a.values.years === undefined) {
      return check(rest[0] ?? cliContext(a.values, io).config().legacy.keyDir, io, a.values.json === true);
    }
    if (sub === 'generate-test') return generate(rest, a.values.years, io);
    io.err(`${USAGE}\n`);
    return 2;
  },
};
export default keys;
