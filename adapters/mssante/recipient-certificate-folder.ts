/**
 * The folder of recipients' encryption certificates (`mssante.recipientCertificates.dir`):
 * read at start, read again on a schedule. A reload that cannot read the folder keeps the
 * previous set; a file that cannot be read or parsed this time keeps its previous
 * certificate (a file being rewritten); certificates refused by a rule are skipped and
 * reported. Node edge (files, timers). Matching rules: `smime/recipient-certificates.ts`.
 *
 * @example
 * const folder = new RecipientCertificateFolder({ dir: '/etc/passerelle/recipients', reloadMs: 300_000, onReload: (st, r) => log… });
 * await folder.start();
 * folder.forAddress('jean.dupont@medecin.mssante.fr', new Date())?.pem;
 * folder.stop();
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  RECIPIENT_CERTIFICATE_RULES, RecipientCertificateSet,
  type BuildReport, type ReadFile, type RecipientCertificate, type RecipientCertificateSource,
} from './smime/recipient-certificates.js';

export interface RecipientCertificateFolderOptions {
  dir: string;
  /** Reload period in ms; 0 disables the schedule (call `reload()` yourself). */
  reloadMs: number;
  /** Called after each reload attempt with its report (null when the folder could not be read). */
  onReload?: (status: RecipientCertificateFolderStatus, report: BuildReport | null) => void;
  now?: () => Date;
}

export interface RecipientCertificateFolderStatus {
  /** When the set in use was built (epoch ms), or null. */
  loadedAt: number | null;
  files: number;
  addresses: number;
  domains: number;
  /** Why the last reload failed (the previous set was kept), or null. */
  lastError: string | null;
}

/** The configured folder could not be read at start. */
export class RecipientCertificateFolderError extends Error {
  override name = 'RecipientCertificateFolderError';
}

export class RecipientCertificateFolder implements RecipientCertificateSource {
  private set = RecipientCertificateSet.EMPTY;
  private loadedAt: number | null = null;
  private lastError: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inflight: Promise<RecipientCertificateFolderStatus> | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: RecipientCertificateFolderOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  forAddress(address: string, at: Date): RecipientCertificate | undefined {
    return this.set.forAddress(address, at);
  }

  forDomain(domain: string, at: Date): RecipientCertificate | undefined {
    return this.set.forDomain(domain, at);
  }

  /** First load (throws `RecipientCertificateFolderError` when the folder cannot be read), then the schedule. */
  async start(): Promise<RecipientCertificateFolderStatus> {
    const st = await this.reload();
    if (this.loadedAt === null) throw new RecipientCertificateFolderError(`recipient certificates: ${st.lastError ?? 'not loaded'}`);
    if (this.opts.reloadMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.reload(), this.opts.reloadMs);
      this.timer.unref?.();
    }
    return st;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the folder now; keeps the previous set when the folder cannot be read. */
  reload(): Promise<RecipientCertificateFolderStatus> {
    this.inflight ??= this.doReload().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  status(): RecipientCertificateFolderStatus {
    return { loadedAt: this.loadedAt, ...this.set.size, lastError: this.lastError };
  }

  private async doReload(): Promise<RecipientCertificateFolderStatus> {
    let report: BuildReport | null = null;
    try {
      const files = await readFolder(this.opts.dir);
      const built = RecipientCertificateSet.build(files, this.now(), this.set);
      this.set = built.set;
      report = built.report;
      this.loadedAt = this.now().getTime();
      this.lastError = null;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.lastError = `folder ${this.opts.dir} could not be read (${e.code ?? e.name})`;
    }
    const st = this.status();
    this.opts.onReload?.(st, report);
    return st;
  }
}

/** Every certificate file of the folder (by extension), read, or marked unreadable / too large. */
async function readFolder(dir: string): Promise<ReadFile[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.') && RECIPIENT_CERTIFICATE_RULES.extensions.some((e) => n.toLowerCase().endsWith(e)));
  const out: ReadFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      if (st.size > RECIPIENT_CERTIFICATE_RULES.maxFileBytes) {
        out.push({ name, problem: 'too-large' });
        continue;
      }
      out.push({ name, bytes: new Uint8Array(await readFile(path)) });
    } catch {
      out.push({ name, problem: 'unreadable' });
    }
  }
  return out;
}
