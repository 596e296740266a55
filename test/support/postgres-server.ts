/**
 * A private PostgreSQL server for tests and benches: `initdb` into a temporary folder, then
 * `pg_ctl start` on 127.0.0.1 only (a free port), its unix socket inside that folder, `fsync`
 * and `synchronous_commit` on, trust authentication on loopback only. Stopped with
 * `pg_ctl stop -m fast` and the folder removed after.
 *
 * PostgreSQL refuses to run as root, and the tests run as root in CI: the server then runs as
 * the `postgres` user (`runuser`), which owns the temporary folder. Any other user runs it
 * as itself. Needs Debian's `postgresql` package (listed in `.ci/apt-packages.txt`); the
 * binaries are looked for in `PASSERELLE_PG_BIN`, else `/usr/lib/postgresql/<newest>/bin`.
 *
 * @example
 * const why = postgresUnavailable();
 * describe.skipIf(why !== null)('…', () => {
 *   let pg: PostgresServer;
 *   beforeAll(async () => { pg = await startPostgres(); });
 *   afterAll(() => pg.stop());
 *   it('…', async () => { const url = await pg.createDatabase(); … });
 * });
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The folder of `initdb`, `pg_ctl`, `postgres` and `psql`, or null when none is installed. */
export function postgresBinDir(): string | null {
  const env = process.env.PASSERELLE_PG_BIN;
  if (env) return existsSync(join(env, 'pg_ctl')) ? env : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres', 'psql'].every((b) => existsSync(join(bin, b)))) return bin;
  }
  return null;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => existsSync(p)) ?? null;

/** The uid and gid of the `postgres` user, from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === 'postgres') return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    /* no passwd file */
  }
  return null;
}

/** Why a private PostgreSQL cannot run here, or null when it can. */
export function postgresUnavailable(): string | null {
  if (postgresBinDir() === null) {
    const where = process.env.PASSERELLE_PG_BIN ? `PASSERELLE_PG_BIN=${process.env.PASSERELLE_PG_BIN}` : '/usr/lib/postgresql/*/bin';
    return `PostgreSQL is not installed (no initdb/pg_ctl in ${where}; Debian package 'postgresql', listed in .ci/apt-packages.txt)`;
  }
  if (isRoot()) {
    if (postgresUser() === null) return "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as";
    if (RUNUSER === null) return "running PostgreSQL as the 'postgres' user needs runuser (util-linux)";
  }
  return null;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** The temporary folder: `data/` (the cluster), the unix socket, `server.log`. */
  dir: string;
  /** A fresh, empty database on this server; resolves to its URL (about 0.3 s: prefer a schema per test). */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL through `psql` as the superuser (for tests that inspect or break things). */
  psql(sqlText: string, database?: string): Promise<string>;
  /** The server's log so far. */
  log(): string;
  /**
   * Stops the server as an outage would (`pg_ctl stop -m fast`: sessions cut, the port closed),
   * keeping its data: `start()` brings it back on the same port.
   */
  halt(): Promise<void>;
  /** Starts again a server stopped by `halt()`, same data, same port. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`, then the folder is removed. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Extra `postgresql.conf` settings (e.g. `{ max_connections: '50' }`). */
  settings?: Record<string, string>;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let serial = 0;

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = postgresBinDir()!;
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const user = isRoot() ? postgresUser() : null;
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  /** Runs a PostgreSQL binary as the server's user, from inside the temporary folder. */
  const as = (file: string, args: string[]) => {
    const [cmd, argv] = user ? [RUNUSER!, ['-u', 'postgres', '--', join(bin, file), ...args]] : [join(bin, file), args];
    return run(cmd, argv, { cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, timeout: 60_000 });
  };

  // `--no-sync`: initdb does not flush the files it writes (a throw-away cluster); the server itself runs with fsync on.
  await as('initdb', ['-D', data, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth=trust', '--no-sync', '--no-instructions']);
  // Trust on loopback and on the private socket only: no other address is even listened on.
  writeFileSync(join(data, 'pg_hba.conf'), [
    '# private test server: the socket lives in a 0700 folder, TCP is 127.0.0.1 only',
    'local all all trust',
    'host all all 127.0.0.1/32 trust',
    '',
  ].join('\n'));

  let stopped = false;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const settings: Record<string, string> = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${dir}'`,
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      max_connections: '100',
      shared_buffers: '64MB',
      logging_collector: 'off',
      log_min_messages: 'warning',
      ...opts.settings,
    };
    // Appended last, so these win over initdb's defaults.
    appendFileSync(join(data, 'postgresql.conf'), `\n# passerelle test server (attempt ${attempt})\n` +
      Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
    try {
      await as('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-s']);
      break;
    } catch (err) {
      // Another process took the port between freePort() and the bind: try another one.
      if (attempt >= 3) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
      }
    }
  }

  // Should the test process end without calling stop(), do not leave a server behind.
  const onExit = () => {
    if (stopped) return;
    try {
      const stop = [join(bin, 'pg_ctl'), 'stop', '-D', data, '-m', 'immediate', '-s'];
      const [cmd, argv] = user ? [RUNUSER!, ['-u', 'postgres', '--', ...stop]] : [stop[0]!, stop.slice(1)];
      execFileSync(cmd, argv, { stdio: 'ignore', cwd: dir });
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const psql = async (sqlText: string, database = 'postgres') => {
    const { stdout } = await as('psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', database, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sqlText]);
    return stdout;
  };
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;

  return {
    url: url('postgres'),
    port,
    dir,
    psql,
    async createDatabase(name = `t${process.pid}_${++serial}`) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      // Through a client rather than psql: spawning psql as another user costs more than the statement.
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async halt() {
      await as('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60', '-s']);
    },
    async start() {
      await as('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-s']);
    },
    async stop() {
      if (stopped) return;
      try {
        await as('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60', '-s']);
      } finally {
        stopped = true;
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
