/**
 * A node's own line to the PostgreSQL server, beside the pool: one dedicated connection that
 *
 * - `LISTEN`s on the gateway's channel, so that work another node commits (deliveries due, a
 *   message released) wakes this node at once (`onWork`);
 * - tells whether the database is reachable (`availability`, `onAvailability`): it goes away
 *   when this connection breaks (the server stopped, restarted, was cut off), when a heartbeat
 *   gets no answer in time (a server that no longer answers), or when the store reports a query
 *   that failed for want of the server (`lost`); it comes back once the connection is made
 *   again, `LISTEN` issued again and a query answered (after a `lost`, once the line answers
 *   and a new session is accepted);
 * - reconnects with a growing delay (`reconnect.initialMs` doubled up to `reconnect.maxMs`,
 *   with a little jitter so that nodes do not knock in step), and after a reconnection tells
 *   its subscribers that work may have been missed meanwhile;
 * - may hold a session advisory lock on this node's id (`lockNode`), so that two running nodes
 *   can never share one id (the lock goes with the session: a node killed with SIGKILL frees it).
 *
 * Every 'error' event of the connection is handled: none ends the process.
 *
 * @example
 * const link = new PostgresLink({ url, channel: 'passerelle_work', onNotify: (p) => console.log(p) });
 * await link.start();
 * link.availability(); // { available: true }
 */
import pg from 'pg';
import { checkSchemaName, sqlState } from './sql-client.js';
import type { StoreAvailability } from '../../core/ports/message-store.js';

export interface LinkOptions {
  url: string;
  /** The channel of the gateway's notifications (one per schema). */
  channel: string;
  schema?: string;
  applicationName?: string;
  /** Called with the payload of every notification on the channel. */
  onNotify: (payload: string) => void;
  /** Called after a reconnection: notifications sent while the line was down were missed. */
  onReconnect?: () => void;
  /** Delays between attempts to reconnect (default 100 ms doubled up to 2 s). */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** How long connecting may take (default 3 s). */
  connectTimeoutMs?: number;
  /** A `SELECT 1` on the line when it has been quiet this long (default 5 s); 0: none. */
  heartbeatMs?: number;
  /** How long a heartbeat may wait for its answer before the server counts as away (default 5 s). */
  heartbeatTimeoutMs?: number;
  /** Milliseconds since the epoch (the time of `since`). */
  now?: () => number;
}

/**
 * Does this error mean the server is away (refused, reset, cut, shutting down), as opposed to an
 * error of the statement itself? Class 08 (connection exception), 57P01–57P03 (shutdown, crash,
 * cannot connect now), socket errors, and node-postgres' own messages for a broken connection.
 */
export function serverAway(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if ((err as { commitInDoubt?: unknown }).commitInDoubt === true) return true;
  const code = sqlState(err);
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  if (code && /^E[A-Z]+$/.test(code)) return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTDOWN', 'ENETDOWN'].includes(code);
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' &&
    /Connection terminated|connection error|Client was closed|Connection ended|not queryable|terminating connection|the database system is (shutting down|starting up|in recovery mode)/i.test(message);
}

/** A short reason for the log and `/health`: the error's message, without anything a URL could carry. */
export function reasonOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/postgres(ql)?:\/\/\S+/gi, 'postgres://…').slice(0, 200);
}

export class PostgresLink {
  private client: pg.Client | null = null;
  private state: StoreAvailability = { available: true };
  private readonly availabilityListeners = new Set<(a: StoreAvailability) => void>();
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  private reconnecting = false;
  private closed = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  /** How many times the database came back: a failure of a query begun before the last return is that outage's, not a new one. */
  private returns = 0;
  private nodeLock: string | null = null;
  private readonly now: () => number;

  constructor(private readonly o: LinkOptions) {
    this.now = o.now ?? (() => Date.now());
  }

  /** Connects and listens; rejects when the server cannot be reached now (a node does not start without its database). */
  async start(): Promise<void> {
    this.client = await this.connect();
    this.startHeartbeat();
  }

  availability(): StoreAvailability {
    return this.state;
  }

  onAvailability(fn: (a: StoreAvailability) => void): () => void {
    this.availabilityListeners.add(fn);
    return () => this.availabilityListeners.delete(fn);
  }

  /**
   * Holds a session advisory lock on this node's id for as long as the node lives (taken again
   * after each reconnection). Rejects when another running node holds it.
   */
  async lockNode(node: string): Promise<void> {
    const c = this.client;
    if (!c) throw new Error('the link is not connected');
    if (!(await this.tryLock(c, node))) throw new Error(`node id '${node}' is in use by another running node on this database (set node.id)`);
    this.nodeLock = node;
  }

  /**
   * Resolves at once when the database is reachable, else when it is back; rejects with
   * `unavailable()`'s error after `maxWaitMs`.
   */
  ready(maxWaitMs: number, unavailable: () => Error): Promise<void> {
    if (this.state.available) return Promise.resolve();
    if (this.closed || maxWaitMs <= 0) return Promise.reject(unavailable());
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(unavailable());
        }, maxWaitMs),
      };
      this.waiters.add(w);
    });
  }

  /** Which return of the database a query begins in (pass it to `lost`). */
  epoch(): number {
    return this.returns;
  }

  /**
   * A query failed for want of the server: the database counts as away from now on, and the
   * line checks (a heartbeat at once) or reconnects, whichever brings it back first. A query
   * begun before the database last came back (`epoch`) failed in the outage already reported:
   * its late failure (a pooled connection cut then) does not count as a new one.
   */
  lost(err: unknown, epoch?: number): void {
    if (this.closed) return;
    if (epoch !== undefined && epoch !== this.returns) return;
    this.away(reasonOf(err));
    const c = this.client;
    if (!c) return; // reconnecting already
    // Back when the line answers and the server takes a new connection: a server shutting
    // down may still answer on a session it has not ended yet (for a few hundred ms), while
    // it refuses new ones, which is what the pool opens next.
    void (async () => {
      const ok = (await this.ping(c)) && (await this.acceptsNewConnections());
      if (ok && this.client === c) this.back();
      else this.drop(c, 'no answer from the server');
    })();
  }

  /** What a session of this line's (`role`: link, probe) connects with. */
  private session(role: string): pg.ClientConfig {
    return { connectionString: this.o.url, application_name: `${this.o.applicationName ?? 'passerelle'}-${role}`, connectionTimeoutMillis: this.o.connectTimeoutMs ?? 3000 };
  }

  /** Connects a new session, asks `SELECT 1` and ends it: whether the server takes work now. */
  private async acceptsNewConnections(): Promise<boolean> {
    const c = new pg.Client(this.session('probe'));
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('store is closed'));
    }
    this.waiters.clear();
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  // ---- the connection ----

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({
      ...this.session('link'),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(this.o.schema ? { options: `-c search_path=${checkSchemaName(this.o.schema)}` } : {}),
    });
    // Without a listener, an 'error' event would end the process.
    c.on('error', (err) => this.drop(c, reasonOf(err)));
    c.on('end', () => this.drop(c, 'the connection to the server ended'));
    c.on('notification', (n) => {
      this.lastHeard = this.now();
      if (n.channel === this.o.channel) this.o.onNotify(n.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${this.o.channel}`);
      if (this.nodeLock !== null && !(await this.tryLock(c, this.nodeLock))) {
        throw new Error(`node id '${this.nodeLock}' is in use by another running node on this database`);
      }
      await c.query('SELECT 1');
    } catch (err) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
      throw err;
    }
    this.lastHeard = this.now();
    return c;
  }

  private async tryLock(c: pg.Client, node: string): Promise<boolean> {
    const { rows } = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('passerelle node'), hashtext($1)) AS ok`,
      [`${this.o.schema ?? ''}/${node}`]);
    return rows[0]?.ok === true;
  }

  /** The line broke (or stopped answering): away, and reconnect. */
  private drop(c: pg.Client, reason: string): void {
    if (this.client !== c) return; // an old connection's last words
    this.client = null;
    c.removeAllListeners('end');
    c.on('error', () => undefined);
    void c.end().catch(() => undefined);
    // A connection that no longer answers may not even close: cut its socket.
    (c as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
    if (this.closed) return;
    this.away(reason);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting || this.closed) return;
    this.reconnecting = true;
    const initial = this.o.reconnect?.initialMs ?? 100;
    const max = this.o.reconnect?.maxMs ?? 2000;
    let delay = initial;
    try {
      while (!this.closed) {
        await new Promise((r) => setTimeout(r, delay * (0.8 + Math.random() * 0.4)));
        if (this.closed) return;
        try {
          const c = await this.connect();
          if (this.closed) {
            await c.end().catch(() => undefined);
            return;
          }
          this.client = c;
          this.back();
          this.o.onReconnect?.();
          return;
        } catch (err) {
          this.away(reasonOf(err));
          delay = Math.min(max, delay * 2);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private startHeartbeat(): void {
    const every = this.o.heartbeatMs ?? 5000;
    if (every <= 0) return;
    this.heartbeat = setInterval(() => {
      const c = this.client;
      if (!c || this.now() - this.lastHeard < every) return;
      void this.ping(c).then((ok) => {
        if (!ok) this.drop(c, `no answer from the server within ${this.o.heartbeatTimeoutMs ?? 5000} ms`);
      });
    }, Math.max(250, Math.floor(every / 2)));
    (this.heartbeat as { unref?: () => void }).unref?.();
  }

  /** `SELECT 1` on the line, within the heartbeat timeout. */
  private async ping(c: pg.Client): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const ok = await Promise.race([
        c.query('SELECT 1').then(() => true, () => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.o.heartbeatTimeoutMs ?? 5000))),
      ]);
      if (ok) this.lastHeard = this.now();
      return ok;
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- availability ----

  private away(reason: string): void {
    if (!this.state.available) return;
    this.state = { available: false, since: this.now(), reason };
    this.emit();
  }

  private back(): void {
    if (this.state.available) return;
    this.state = { available: true };
    this.returns++;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waiters.clear();
    this.emit();
  }

  private emit(): void {
    const s = this.state;
    for (const fn of this.availabilityListeners) {
      try {
        fn(s);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }
}
