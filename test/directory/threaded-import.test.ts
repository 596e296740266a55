/**
 * Issue 15, item 1: a national extraction synced into a running gateway is imported on a
 * thread of its own, so the listeners keep answering. A 100,000-line upload goes to the
 * started gateway's `/directory/sync/national` while a client times EHLO on the legacy
 * listener and GET /health: the event loop's delay stays under 100 ms at the 99th percentile,
 * EHLO answers within 100 ms of what it takes without an import, and the gateway's own
 * connection reads what the thread wrote. Errors found on the thread come back as the route's
 * 400 and 409. The thread answers once the import is committed, then folds its write-ahead
 * log into the file before it ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { writeSyntheticNational } from '../../directory/synthetic/write-file.js';
import { ThreadedImportDirectory } from '../../app/node/threaded-directory.js';
import { ehloTime } from '../support/smtp-probe.js';

const LINES = Number(process.env.THREADED_IMPORT_LINES ?? 100_000);
const TOKEN = 'threaded-import-test-token';


const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const p99 = (xs: number[]) => pct(xs, 0.99);

describe('a directory sync into a running gateway', () => {
  let w: LegacyWorld;
  let file = '';
  beforeAll(async () => {
    w = await startLegacyWorld({ http: { port: 0, token: TOKEN } });
    file = join(w.root, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await writeSyntheticNational(file, { seed: 7, lines: LINES });
  }, 60_000);
  afterAll(() => w?.close());

  const url = (path: string) => `http://127.0.0.1:${w.gw.ports.http}${path}`;
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it('imports on its own thread: the event loop waits under 100 ms (p99), EHLO and /health answer as without an import', async () => {
    expect(w.gw.directory).toBeInstanceOf(ThreadedImportDirectory);
    // The same probes before the import: the machine's own latency, for comparison.
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push(await ehloTime(w.gw.ports.legacy));
    const loop = monitorEventLoopDelay({ resolution: 5 });
    const ehlo: number[] = [];
    const health: number[] = [];
    let importing = true;
    const probe = (async () => {
      while (importing) {
        ehlo.push(await ehloTime(w.gw.ports.legacy));
        const t = performance.now();
        expect((await fetch(url('/health'))).status).toBeLessThan(600);
        health.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    loop.enable();
    const t0 = performance.now();
    const res = await fetch(url(`/directory/sync/national?fileName=${encodeURIComponent('Extraction_Correspondance_MSSante_202611010300.txt')}`), {
      method: 'POST', headers: auth, body: Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 16 })) as ReadableStream, duplex: 'half',
    } as RequestInit);
    const report = await res.json() as { inserted: number; lines: number; run: number };
    const elapsed = performance.now() - t0;
    importing = false;
    await probe;
    loop.disable();
    console.log(`threaded import: ${LINES} lines in ${(elapsed / 1000).toFixed(1)} s into a running gateway; before it EHLO p90 ${pct(idle, 0.9).toFixed(1)} p99 ${p99(idle).toFixed(1)} ms; during it ${ehlo.length} EHLO p50 ${pct(ehlo, 0.5).toFixed(1)} p90 ${pct(ehlo, 0.9).toFixed(1)} p99 ${p99(ehlo).toFixed(1)} ms, ` +
      `/health p99 ${p99(health).toFixed(1)} ms, event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
    expect(res.status).toBe(200);
    expect(report.inserted).toBe(LINES);
    expect(ehlo.length, 'probes ran during the import').toBeGreaterThan(5);
    // Off the event loop: it never waits long (the import's CPU and writes are on the thread).
    expect(loop.percentile(99) / 1e6).toBeLessThan(100);
    // The listeners answer as they do without an import, within 100 ms more. EHLO includes
    // smtp-server's fixed 100 ms pause before its greeting (it catches early talkers), and
    // with 20 to 50 probes a p99 is their slowest one, so EHLO is held at its 90th
    // percentile (the event loop's delay above is the gateway's own p99).
    expect(pct(ehlo, 0.9)).toBeLessThan(pct(idle, 0.9) + 100);
    expect(p99(health)).toBeLessThan(200);
    // What the thread wrote, the gateway's own connection reads.
    const stats = await w.gw.directory.stats();
    expect(stats.mailboxes.mssante?.total).toBe(LINES);
  }, 120_000);

  it('answers 400 for a malformed file and 409 for an older one, found on the thread', async () => {
    const bad = await fetch(url('/directory/sync/national'), { method: 'POST', headers: auth, body: 'not|a|header|\n' });
    expect(bad.status).toBe(400);
    expect((await bad.json() as { error: string }).error).toMatch(/header/i);
    const stale = await fetch(url('/directory/sync/national?fileName=Extraction_Correspondance_MSSante_202501010300.txt'), {
      method: 'POST', headers: auth, body: 'x\n',
    });
    expect(stale.status).toBe(409);
  });
});

describe('the write-ahead log of a threaded import', () => {
  it('is folded into the file by the import thread after it answers, before close resolves', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-fold-'));
    const path = join(root, 'x.directory.db');
    const file = join(root, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await writeSyntheticNational(file, { seed: 3, lines: 5000 });
    const store = ThreadedImportDirectory.open(path, { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' });
    // A connection of another process (the gateway's, while a CLI imports): the last one to
    // close would fold the log itself; held open, only the import thread can have done it.
    const other = new Database(path);
    try {
      const report = await store.importNational(createReadStream(file), { fileName: basename(file) });
      expect(report.inserted).toBe(5000);
      // Committed: read through the log by any connection as soon as the report is out.
      expect(other.prepare(`SELECT count(*) FROM directory_mailboxes`).pluck().get()).toBe(5000);
      await store.close();
      const pages = other.pragma('page_count', { simple: true }) as number;
      const pageSize = other.pragma('page_size', { simple: true }) as number;
      // Every page of the database is in the file itself, not only in the log.
      expect(statSync(path).size).toBe(pages * pageSize);
      expect(pages * pageSize).toBeGreaterThan(1 << 20);
    } finally {
      other.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('an upload in small pieces', () => {
  it('reaches the import thread gathered a megabyte at a time, and imports as the same file read whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-pieces-'));
    const file = join(root, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await writeSyntheticNational(file, { seed: 5, lines: 20_000 });
    const bytes = readFileSync(file);
    const config = { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' };
    const rows = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare(`SELECT id, address, alias, party_key, record, line_hash FROM directory_mailboxes ORDER BY id`).raw().all();
      } finally {
        db.close();
      }
    };
    try {
      // As an HTTP body comes: a few KB at a time (4,001 bytes: pieces that cut lines and characters anywhere).
      const small = ThreadedImportDirectory.open(join(root, 'small.directory.db'), config);
      const progress: number[] = [];
      const pieces = Readable.from((function* () {
        for (let at = 0; at < bytes.length; at += 4001) yield bytes.subarray(at, Math.min(bytes.length, at + 4001));
      })());
      const a = await small.importNational(pieces, { fileName: basename(file), onProgress: (b) => progress.push(b) });
      await small.close();
      const whole = ThreadedImportDirectory.open(join(root, 'whole.directory.db'), config);
      const b = await whole.importNational(Readable.from([bytes]), { fileName: basename(file) });
      await whole.close();
      expect(a.inserted).toBe(20_000);
      expect(b.inserted).toBe(20_000);
      expect(rows(join(root, 'small.directory.db'))).toEqual(rows(join(root, 'whole.directory.db')));
      // The thread tells its progress at the end of the pieces it reads: a megabyte apart at
      // least, but for the last piece (the rest of the upload).
      expect(progress.length).toBeGreaterThan(2);
      for (let k = 1; k < progress.length - 1; k++) expect(progress[k]! - progress[k - 1]!).toBeGreaterThanOrEqual(1 << 20);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the threads of an import', () => {
  it('are named for the operating system (top -H, ps -L) while they run; the search side build yields the CPU (nice 10)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-names-'));
    const path = join(root, 'x.directory.db');
    const file = join(root, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await writeSyntheticNational(file, { seed: 4, lines: 3000 });
    const store = ThreadedImportDirectory.open(path, { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' });
    const threads = () => readdirSync('/proc/self/task').flatMap((t) => {
      try {
        const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
        return [{ name: readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) }];
      } catch {
        return []; // ended meanwhile
      }
    });
    const names = () => threads().map((t) => t.name);
    let during: Array<{ name: string; nice: number }> = [];
    try {
      const bytes = readFileSync(file);
      const half = bytes.indexOf(10, bytes.length >> 1) + 1;
      // The upload's first half, a pause while the threads work on it, then the rest.
      async function* upload() {
        yield bytes.subarray(0, half);
        for (let i = 0; i < 50 && !names().includes('pass-search'); i++) await new Promise((r) => setTimeout(r, 20));
        during = threads();
        yield bytes.subarray(half);
      }
      expect((await store.importNational(upload(), { fileName: basename(file) })).inserted).toBe(3000);
    } finally {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    }
    // Relative to the process's own nice value (0 unless the test runner was started niced).
    const base = threads()[0]!.nice;
    expect(during).toContainEqual({ name: 'pass-import', nice: base });
    expect(during).toContainEqual({ name: 'pass-search', nice: Math.min(19, base + 10) });
    expect(threads().every((t) => t.nice === base)).toBe(true); // the process and its listeners as they were
    expect(names()).not.toContain('pass-import'); // ended with the import
  });
});
