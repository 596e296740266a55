/**
 * `passerelle directory …`: the federated address book from the command line (Node edge).
 */
import { createReadStream, readFileSync, statSync, openSync, writeSync, fsyncSync, closeSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command, CommandIO } from '../command.js';
import type { DirectoryConfig, ImportReport, Feed } from '../../../storage/sqlite/directory.js';
import { directoryExists, openDirectoryStore } from '../../node/open-storage.js';
import { publishDirectory } from '../publish-directory.js';
import { writeSyntheticNational, writeSyntheticLegacy } from '../../../directory/synthetic/write-file.js';
import { DEFAULT_LEGACY_LINES, DEFAULT_NATIONAL_LINES } from '../../../directory/synthetic/generate.js';
import { COMMON_OPTIONS, cliContext, parseCommand, progressLine, type CliContext } from '../context.js';
import { DEFAULTS } from '../../config/defaults.js';

const USAGE = `passerelle directory import national|legacy FILE [--force] [--json]
passerelle directory export interop|operator [--diff] [--out FILE] [--no-commit]
passerelle directory search WORDS... [--limit N] [--json]
passerelle directory resolve ADDRESS [--json]
passerelle directory stats
passerelle directory issues [RUN]
passerelle directory publish --url URL --token-file FILE [--full] [--json]
  (to the address book's copy on Workers + D1: what changed since its last publication;
   the token file holds the Worker's DIRECTORY_PUBLISH_TOKEN)
passerelle directory generate national|legacy --out FILE [--lines N] [--seed N] [--change-rate R] [--national-lines N]
Common options: --config FILE, --database PATH (default: the configuration's database,
  PASSERELLE_DATABASE or <dataDir>/passerelle.db; only import creates it),
  --legacy-domain DOMAIN, --national-domain DOMAIN (default: the configuration's legacy.domain, mssante.domain)`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  out: { type: 'string' }, limit: { type: 'string' }, url: { type: 'string' }, 'token-file': { type: 'string' }, full: { type: 'boolean' }, lines: { type: 'string' }, seed: { type: 'string' },
  'change-rate': { type: 'string' }, 'national-lines': { type: 'string' },
  'legacy-domain': { type: 'string' }, 'national-domain': { type: 'string' },
  force: { type: 'boolean' }, json: { type: 'boolean' }, diff: { type: 'boolean' }, 'no-commit': { type: 'boolean' },
} as const;

type Values = NonNullable<ReturnType<typeof parseCommand<typeof OPTIONS>>>['values'];

function configFor(v: Values, ctx: CliContext): DirectoryConfig {
  const cfg = ctx.config();
  return {
    legacyDomain: v['legacy-domain'] || cfg.legacy.domain,
    nationalDomain: v['national-domain'] || cfg.mssante.domain,
    reservedLocals: [cfg.legacy.gatewayLocal, 'postmaster', 'abuse'],
  };
}

function progressBar(total: number, io: CommandIO): { tick(bytes: number): void; done(): void } {
  if (!total) return { tick() {}, done() {} };
  if (!process.stderr.isTTY) {
    // Cron, systemd: a plain line every few seconds with the rate and the time left.
    const line = progressLine(io, 'import (bytes)', total);
    return { tick: (bytes) => line(bytes), done() {} };
  }
  let last = -1;
  const t0 = Date.now();
  return {
    tick(bytes) {
      const pct = Math.min(100, Math.floor((bytes / total) * 100));
      if (pct === last) return;
      last = pct;
      const width = 30;
      const full = Math.round((pct / 100) * width);
      io.err(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(pct).padStart(3)}%  ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
    done() {
      io.err('\r\x1b[K');
    },
  };
}

function printReport(r: ImportReport, io: CommandIO): void {
  io.out(
    `${r.source} import, run ${r.run}${r.fileName ? ` (${r.fileName})` : ''}: ${r.lines} lines, ${r.inserted} new, ${r.updated} changed, ` +
      `${r.unchanged} unchanged, ${r.removed} marked removed, ${r.rejected} rejected${r.skipped ? `, ${r.skipped} interop lines skipped` : ''}; ` +
      `${r.aliasesAssigned} aliases given${r.aliasConflicts ? ` (${r.aliasConflicts} conflicts)` : ''}; ` +
      `legacy links: ${r.link.linked} linked, ${r.link.unlinked} unlinked, ${r.link.ambiguous} ambiguous; ${(r.elapsedMs / 1000).toFixed(1)} s\n`,
  );
  for (const i of r.issues.slice(0, 20)) io.out(`  ${i.kind}: ${i.detail}${i.address && !i.detail.includes(i.address) ? ` (${i.address})` : ''}\n`);
  if (r.issueCount > 20) io.out(`  … ${r.issueCount - 20} more issues (passerelle directory issues ${r.run})\n`);
}

const directory: Command = {
  summary: 'federated address book: import, export, search, resolve, stats, publish, generate',
  usage: USAGE,
  async run(args, io) {
    const a = parseCommand(args, OPTIONS, io, USAGE);
    if (!a) return 2;
    const v = a.values;
    const has = (flag: 'force' | 'json' | 'diff' | 'no-commit') => v[flag] === true;
    const [sub, ...rest] = a.positionals;
    if (!sub) {
      io.err(`${USAGE}\n`);
      return 2;
    }
    if (sub === 'generate') return generate(rest, v, io);
    const ctx = cliContext(v, io);
    // Only an import may create the database; every other subcommand reads an existing one.
    const open = () => openDirectoryStore(ctx.dbPath(), configFor(v, ctx), ctx.config());
    // The address book's own file, or an older database that still holds it.
    const openExisting = async () => (directoryExists(ctx.dbPath()) || ctx.existingDatabase() !== null ? open() : null);

    if (sub === 'import') {
      const [source, file] = rest;
      if ((source !== 'national' && source !== 'legacy') || !file) {
        io.err('usage: passerelle directory import national|legacy FILE\n');
        return 2;
      }
      let size = 0;
      try {
        size = statSync(file).size;
      } catch {
        io.err(`passerelle: cannot read ${file}\n`);
        return 1;
      }
      const dir = await open();
      const bar = progressBar(size, io);
      try {
        const input = createReadStream(file, { highWaterMark: 1 << 20 });
        const opts = { fileName: basename(file), force: has('force'), onProgress: (b: number) => bar.tick(b) };
        const report = source === 'national' ? await dir.importNational(input, opts) : await dir.importLegacy(input, opts);
        bar.done();
        if (has('json')) io.out(JSON.stringify({ ...report, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
        else printReport(report, io);
        return 0;
      } catch (e) {
        bar.done();
        io.err(`passerelle: ${source} import of ${file} failed: ${(e as Error).message}\n`);
        return 1;
      } finally {
        await dir.close();
      }
    }

    if (sub === 'export') {
      const feed = rest[0] as Feed;
      if (feed !== 'interop' && feed !== 'operator') {
        io.err('usage: passerelle directory export interop|operator [--diff] [--out FILE]\n');
        return 2;
      }
      const dir = await openExisting();
      if (!dir) return 1;
      try {
        const out = v.out;
        const mode = has('diff') ? 'diff' : 'full';
        let summary;
        if (out) {
          const tmp = `${out}.part`;
          const fd = openSync(tmp, 'w');
          try {
            summary = await dir.exportFeed(feed, mode, (c) => void writeSync(fd, c));
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
          renameSync(tmp, out);
        } else {
          summary = await dir.exportFeed(feed, mode, (c) => void process.stdout.write(c));
        }
        if (!has('no-commit')) await dir.commitExport(summary);
        io.err(`${feed} ${mode} export: ${summary.count} entries (changes of runs ${summary.sinceRun + 1}..${summary.uptoRun})${has('no-commit') ? ', not committed' : ''}\n`);
        return 0;
      } finally {
        await dir.close();
      }
    }

    if (!['search', 'resolve', 'stats', 'issues', 'publish'].includes(sub)) {
      io.err(`passerelle: unknown directory subcommand '${sub}'\n${USAGE}\n`);
      return 2;
    }
    const dir = await openExisting();
    if (!dir) return 1;
    try {
      if (sub === 'search') {
        const entries = await dir.search(rest.join(' '), Number(v.limit ?? 20) || 20);
        if (has('json')) io.out(JSON.stringify(entries, null, 2) + '\n');
        else
          for (const e of entries) {
            io.out(`${e.name || '(no name)'}${e.partyKey ? `  [${e.partyKey}]` : ''}\n`);
            for (const m of e.mailboxes)
              io.out(`  ${m.network.padEnd(7)} ${m.address}  alias ${m.alias ?? '-'}  ${m.status}${m.linkState ? `  ${m.linkState}` : ''}\n`);
          }
        return 0;
      }
      if (sub === 'resolve') {
        if (!rest[0]) {
          io.err('usage: passerelle directory resolve ADDRESS\n');
          return 2;
        }
        const route = await dir.resolve(rest[0]);
        if (has('json')) io.out(JSON.stringify(route) + '\n');
        else if (!route) io.out(`${rest[0]}: not served by the gateway\n`);
        else io.out(`${rest[0]} → ${route.network} ${route.address} (${route.status})${route.displayName ? `  ${route.displayName}` : ''}\n`);
        return route ? 0 : 1;
      }
      if (sub === 'stats') {
        io.out(JSON.stringify(await dir.stats(), null, 2) + '\n');
        return 0;
      }
      if (sub === 'publish') {
        if (!v.url || !v['token-file']) {
          io.err('usage: passerelle directory publish --url URL --token-file FILE [--full]\n');
          return 2;
        }
        let token: string;
        try {
          token = readFileSync(v['token-file'], 'utf8').trim();
        } catch {
          io.err(`passerelle: cannot read the token file ${v['token-file']}\n`);
          return 1;
        }
        try {
          const s = await publishDirectory(dir, { url: v.url, token, full: v.full === true });
          if (has('json')) io.out(JSON.stringify(s) + '\n');
          else io.out(`published runs ${s.sinceRun + 1}–${s.uptoRun}: ${s.mailboxes} mailboxes in ${s.pages} requests\n`);
          return 0;
        } catch (err) {
          io.err(`passerelle: publication failed: ${(err as Error).message}\n`);
          return 1;
        }
      }
      if (sub === 'issues') {
        for (const i of await dir.issues(rest[0] ? Number(rest[0]) : undefined, 1000)) io.out(`run ${i.run} ${i.kind}${i.line ? ` line ${i.line}` : ''}: ${i.detail}\n`);
        return 0;
      }
      io.err(`passerelle: unknown directory subcommand '${sub}'\n${USAGE}\n`);
      return 2;
    } finally {
      await dir.close();
    }
  },
};

async function generate(rest: string[], v: Values, io: CommandIO): Promise<number> {
  const [kind] = rest;
  const out = v.out;
  if ((kind !== 'national' && kind !== 'legacy') || !out) {
    io.err('usage: passerelle directory generate national|legacy --out FILE [--lines N] [--seed N]\n');
    return 2;
  }
  const seed = Number(v.seed ?? 1);
  const nationalLines = Number(v['national-lines'] ?? DEFAULT_NATIONAL_LINES);
  const t0 = Date.now();
  const n =
    kind === 'national'
      ? await writeSyntheticNational(out, {
          seed,
          lines: Number(v.lines ?? DEFAULT_NATIONAL_LINES),
          changeRate: Number(v['change-rate'] ?? 0),
          changeSeed: seed,
        })
      : await writeSyntheticLegacy(out, {
          seed,
          lines: Number(v.lines ?? DEFAULT_LEGACY_LINES),
          nationalLines,
          domain: v['legacy-domain'] || DEFAULTS.legacy.domain,
        });
  io.err(`wrote ${n} lines to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

export default directory;
