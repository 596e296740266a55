/**
 * Keeps the trust list current: loads it from a file or an HTTPS URL, refreshes it on a
 * schedule, keeps the last good copy when a refresh fails (bad HTTP status, unreadable
 * XML, bad signature), and reports its age. Node edge (files, timers).
 */
import { readFile } from 'node:fs/promises';
import type * as pkijs from 'pkijs';
import { parseTrustListDetailed, type TrustList } from './trust-list.js';
import { verifyTrustListSignature } from './signature.js';

export interface TrustListLoaderOptions {
  /** File path or `https://` URL of the XML list. */
  source: string;
  /** Refresh period; default 6 h. 0 disables the schedule (call `refresh()` yourself). */
  refreshMs?: number;
  /** Optional signature check: where the detached `.p7s` is, and the certificate that must have made it. */
  signature?: { source: string; signer: pkijs.Certificate };
  /** Fetch timeout; default 30 s. */
  timeoutMs?: number;
  /** Refuse a refresh that shrinks the list below this fraction of the last good copy (default 0.5). */
  minKeepRatio?: number;
  /** Called after each refresh attempt (for logs and metrics; never holds list contents). */
  onRefresh?: (status: TrustListStatus) => void;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface TrustListStatus {
  /** When the copy in use was loaded (epoch ms), or null when none. */
  loadedAt: number | null;
  /** Age of the copy in use in ms, or null. */
  ageMs: number | null;
  /** `DateDeGeneration` of the copy in use. */
  generatedAt: string | null;
  domains: number;
  lastAttemptAt: number | null;
  /** Why the last attempt failed, when it did. */
  lastError: string | null;
}

/** No copy of the trust list is available at all. */
export class TrustListUnavailableError extends Error {
  constructor(why: string) {
    super(`Trust list unavailable: ${why}`);
    this.name = 'TrustListUnavailableError';
  }
}

/**
 * @example
 * const loader = new TrustListLoader({ source: 'https://espacedeconfiance.mssante.fr/listeblanchemssante.xml', refreshMs: 6 * 3600_000 });
 * await loader.start();             // first load (throws when it fails)
 * loader.current().has('medecin.mssante.fr');
 * loader.status().ageMs;            // for health checks
 * loader.stop();
 */
export class TrustListLoader {
  private list: TrustList | null = null;
  private loadedAt: number | null = null;
  private lastAttemptAt: number | null = null;
  private lastError: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inflight: Promise<TrustListStatus> | null = null;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: TrustListLoaderOptions) {
    this.now = opts.now ?? Date.now;
    this.fetchFn = opts.fetch ?? fetch;
  }

  private async read(source: string): Promise<Uint8Array> {
    if (/^https?:\/\//i.test(source)) {
      if (/^http:\/\//i.test(source) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(source)) {
        throw new Error('plain http is refused for the trust list (use https)');
      }
      const res = await this.fetchFn(source, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${source}`);
      return new Uint8Array(await res.arrayBuffer());
    }
    return new Uint8Array(await readFile(source));
  }

  /** Loads now; keeps the previous copy when this fails. Resolves to the status either way. */
  refresh(): Promise<TrustListStatus> {
    if (!this.inflight) {
      this.inflight = this.doRefresh().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async doRefresh(): Promise<TrustListStatus> {
    this.lastAttemptAt = this.now();
    try {
      const bytes = await this.read(this.opts.source);
      if (this.opts.signature) {
        const sig = await this.read(this.opts.signature.source);
        await verifyTrustListSignature(bytes, sig, this.opts.signature.signer);
      }
      const { list } = parseTrustListDetailed(new TextDecoder().decode(bytes), this.opts.source);
      const keep = this.opts.minKeepRatio ?? 0.5;
      if (this.list && list.size < this.list.size * keep) {
        throw new Error(`new copy has ${list.size} domains against ${this.list.size} before; kept the previous copy`);
      }
      this.list = list;
      this.loadedAt = this.now();
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
    }
    const st = this.status();
    this.opts.onRefresh?.(st);
    return st;
  }

  /** First load, then the schedule. Throws `TrustListUnavailableError` when the first load fails. */
  async start(): Promise<TrustListStatus> {
    const st = await this.refresh();
    if (!this.list) throw new TrustListUnavailableError(st.lastError ?? 'not loaded');
    const every = this.opts.refreshMs ?? 6 * 3_600_000;
    if (every > 0 && !this.timer) {
      this.timer = setInterval(() => void this.refresh(), every);
      this.timer.unref?.();
    }
    return st;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The copy in use. Throws `TrustListUnavailableError` when none was ever loaded. */
  current(): TrustList {
    if (!this.list) throw new TrustListUnavailableError(this.lastError ?? 'not loaded yet');
    return this.list;
  }

  status(): TrustListStatus {
    return {
      loadedAt: this.loadedAt,
      ageMs: this.loadedAt === null ? null : this.now() - this.loadedAt,
      generatedAt: this.list?.generatedAt ?? null,
      domains: this.list?.size ?? 0,
      lastAttemptAt: this.lastAttemptAt,
      lastError: this.lastError,
    };
  }
}
