/**
 * CRLs from files or URLs, cached. A CRL is fetched again once its `nextUpdate` has passed
 * or after `maxAgeMs`, whichever comes first; when a refresh fails the last good copy is
 * kept (and its age reported) until `nextUpdate` + `graceMs`, after which it is dropped and
 * the failure surfaces. Node edge (reads files).
 */
import { readFile } from 'node:fs/promises';
import type * as pkijs from 'pkijs';
import { parseCrl } from './chain-validator.js';
import { looksLikePem, pemBlocks } from './pem.js';

export interface CrlSourceOptions {
  /** File paths or `http(s)://` URLs; each may hold one DER CRL or PEM `X509 CRL` blocks. */
  locations: string[];
  /** Refetch at least this often (default 1 h). */
  maxAgeMs?: number;
  /** How long past `nextUpdate` a stale CRL may still be used when refresh fails (default 0). */
  graceMs?: number;
  /** Fetch timeout for URLs (default 10 s). */
  timeoutMs?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  now?: () => number;
}

interface Entry {
  crls: pkijs.CertificateRevocationList[];
  fetchedAt: number;
  nextUpdate: number | null;
  lastError?: string;
}

/** Parses DER or PEM bytes holding one or more CRLs. */
export function parseCrls(bytes: Uint8Array): pkijs.CertificateRevocationList[] {
  if (looksLikePem(bytes)) {
    return pemBlocks(new TextDecoder().decode(bytes)).filter((b) => b.label === 'X509 CRL').map((b) => parseCrl(b.der));
  }
  return [parseCrl(bytes)];
}

/**
 * @example
 * const crls = new CrlSource({ locations: ['/etc/passerelle/igc-sante.crl', 'http://crl.example/ac.crl'] });
 * const list = await crls.get(); // pkijs CRLs, refreshed when due
 */
export class CrlSource {
  private readonly cache = new Map<string, Entry>();
  private readonly opts: Required<Omit<CrlSourceOptions, 'fetch'>> & { fetch: typeof fetch };

  constructor(opts: CrlSourceOptions) {
    this.opts = {
      maxAgeMs: 3_600_000,
      graceMs: 0,
      timeoutMs: 10_000,
      now: Date.now,
      ...opts,
      fetch: opts.fetch ?? fetch,
    };
  }

  private async load(location: string): Promise<Uint8Array> {
    if (/^https?:\/\//i.test(location)) {
      const res = await this.opts.fetch(location, { signal: AbortSignal.timeout(this.opts.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    }
    return new Uint8Array(await readFile(location));
  }

  private due(e: Entry | undefined, now: number): boolean {
    if (!e) return true;
    if (now - e.fetchedAt >= this.opts.maxAgeMs) return true;
    return e.nextUpdate !== null && now >= e.nextUpdate;
  }

  /** All CRLs, refreshing those that are due. Throws when a location has no usable copy. */
  async get(): Promise<pkijs.CertificateRevocationList[]> {
    const now = this.opts.now();
    const out: pkijs.CertificateRevocationList[] = [];
    for (const loc of this.opts.locations) {
      let e = this.cache.get(loc);
      if (this.due(e, now)) {
        try {
          const crls = parseCrls(await this.load(loc));
          const next = crls.map((c) => c.nextUpdate?.value.getTime()).filter((t): t is number => t !== undefined);
          e = { crls, fetchedAt: now, nextUpdate: next.length ? Math.min(...next) : null };
          this.cache.set(loc, e);
        } catch (err) {
          const why = `CRL from ${loc} could not be refreshed: ${(err as Error).message}`;
          if (!e || (e.nextUpdate !== null && now > e.nextUpdate + this.opts.graceMs)) throw new Error(why);
          e.lastError = why;
        }
      }
      out.push(...e!.crls);
    }
    return out;
  }

  /** Age in ms of each cached CRL location (for health reports). */
  ages(): Record<string, { ageMs: number; lastError?: string }> {
    const now = this.opts.now();
    return Object.fromEntries([...this.cache].map(([k, e]) => [k, { ageMs: now - e.fetchedAt, lastError: e.lastError }]));
  }
}
