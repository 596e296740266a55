/**
 * The saved copy of the known national mailboxes, in a file beside the address book's
 * (`<file>.known`): what a national re-import must know of every mailbox (its address as two
 * hashes, id, line hash, removed or not; `SAVED_ROW_NUMBERS` numbers a row), read in tens of
 * milliseconds instead of a scan of the table (1.75 s at 1,000,000 rows, most of a 1 %
 * re-import's reading).
 *
 * It is a cache. Each national import writes it beside the database while it runs, and puts
 * it in place after its commit (fsync, then rename: never half a file). An import uses it
 * only when it was written by the last finished national import; else (no file, an import
 * that failed or was interrupted since, a database restored without it or from another
 * date, another byte order) it reads the table as before. National mailboxes change only in
 * national imports, each one transaction: an unfinished one changed nothing the copy would
 * miss. (A hand edit of the table's national rows is not seen: remove the file after one.)
 *
 * Layout: `u32` magic, `u32` version, `f64` run, `f64` rows, then the rows' numbers as
 * `f64`, all in the platform's byte order (a file from a machine of the other order fails the
 * magic). No personal data: hashes, ids and line hashes only. Mode 0600 as the database.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { SAVED_ROW_NUMBERS, type SavedRowSink } from '../../directory/import-plan.js';

const MAGIC = 0x4e4b5350;
const VERSION = 1;
const HEAD = 24;
/** Rows written at a time. */
const CHUNK_ROWS = 16_384;

/** Where the copy of the address book at `databaseFile` lives. */
export function savedRowsFile(databaseFile: string): string {
  return `${databaseFile}.known`;
}

/** The saved rows, if the file at `path` was written by the import `run` (and is whole); else null (the caller reads the table). */
export function readSavedRows(path: string, run: number): Float64Array | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < HEAD || size % 8 !== 0) return null;
    // Read straight into the numbers (the header is three numbers' worth): no copy.
    const all = new Float64Array(size / 8);
    const bytes = new Uint8Array(all.buffer);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) return null;
      at += n;
    }
    const head = new Uint32Array(all.buffer, 0, 2);
    const rows = all[2]!;
    if (head[0] !== MAGIC || head[1] !== VERSION || all[1] !== run || size !== HEAD + rows * SAVED_ROW_NUMBERS * 8) return null;
    return all.subarray(HEAD / 8);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new copy while an import runs (`sink`), then `finish` (the import's run, flushed
 * and synced to disk) and, after the import's commit, `commit` (renamed into place); `abort`
 * removes it. It never throws: a copy that cannot be written (a full disk) is dropped, and
 * the next import reads the table.
 */
export class SavedRowsWriter {
  private readonly tmp: string;
  private fd: number | null;
  private readonly buf = new Float64Array(CHUNK_ROWS * SAVED_ROW_NUMBERS);
  private n = 0;
  private rows = 0;
  private pos = HEAD;
  private failed = false;

  constructor(private readonly path: string) {
    this.tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      this.fd = openSync(this.tmp, 'w', 0o600);
    } catch {
      this.fd = null;
      this.failed = true;
    }
  }

  readonly sink: SavedRowSink = (h1, h2, id, lineHashOrRemoved) => {
    if (this.failed) return;
    const b = this.buf;
    let n = this.n;
    b[n++] = h1;
    b[n++] = h2;
    b[n++] = id;
    b[n++] = lineHashOrRemoved;
    this.n = n;
    this.rows++;
    if (n === b.length) this.drain();
  };

  /** Everything written, the header last, synced: ready to be put in place. */
  finish(run: number): void {
    this.drain();
    if (this.failed) return;
    try {
      const head = new Uint8Array(HEAD);
      new Uint32Array(head.buffer, 0, 2).set([MAGIC, VERSION]);
      new Float64Array(head.buffer, 8, 2).set([run, this.rows]);
      writeSync(this.fd!, head, 0, HEAD, 0);
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
    } catch {
      this.failed = true;
    }
  }

  /** After the import's commit: the new copy replaces the old one (else the old one stays, stale, and is not used). */
  commit(): void {
    if (!this.failed && this.fd === null) {
      try {
        renameSync(this.tmp, this.path);
        return;
      } catch {
        /* dropped below */
      }
    }
    this.abort();
  }

  /** The import failed (or the copy could not be written): nothing of this copy stays. */
  abort(): void {
    this.failed = true;
    try {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      rmSync(this.tmp, { force: true });
    } catch {
      /* nothing more to do */
    }
  }

  private drain(): void {
    if (this.n === 0 || this.failed) return;
    const bytes = new Uint8Array(this.buf.buffer, 0, this.n * 8);
    try {
      writeSync(this.fd!, bytes, 0, bytes.length, this.pos);
    } catch {
      this.abort();
    }
    this.pos += bytes.length;
    this.n = 0;
  }
}
