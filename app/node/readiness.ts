/**
 * Readiness: whether this node should be sent mail now, and if not, why. `/ready` answers
 * 200 when every check passes, 503 with the reasons otherwise; either way with what an alert
 * needs (the oldest queued message's age, deferrals in the last five minutes). The limits
 * are data (`READINESS_POLICY`), documented in `docs/operations.md`.
 *
 * @example
 * const r = await checkReadiness(sources);
 * r.ready; r.reasons; // ['trust list is 13h old (limit 12h: twice its refresh period)']
 */
import type { QueueSummary } from '../../core/ports/message-store.js';
import type { TrustListFigures, WatchedCertificate } from './metrics.js';

export const READINESS_POLICY = {
  /** The store must answer its summary within this time. */
  storeTimeoutMs: 2000,
  /** The trust list in use may be this many refresh periods old (one missed refresh tolerated). */
  trustListMaxAgeRefreshes: 2,
  /** A certificate expiring within this many days is named in `warnings` (still ready). */
  certificateWarnDays: 30,
};

export interface ReadinessSources {
  summary: () => Promise<QueueSummary>;
  /** Each listener by name: bound and accepting. */
  listeners: () => Record<string, boolean>;
  trustList?: () => TrustListFigures;
  /** The trust list's refresh period, ms. */
  trustListRefreshMs?: number;
  crlNextUpdates?: () => number[];
  certificates?: () => WatchedCertificate[];
  deferralsLast5m: () => number;
  now?: () => number;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
  warnings: string[];
  /** Age of the oldest message with a delivery still to make, seconds (null when none, or the store did not answer). */
  oldestQueuedAgeSeconds: number | null;
  deferralsLast5m: number;
  listeners: Record<string, boolean>;
  trustList?: { ageSeconds: number | null; domains: number; refreshFailing: boolean };
}

export async function checkReadiness(s: ReadinessSources): Promise<Readiness> {
  const now = (s.now ?? Date.now)();
  const reasons: string[] = [];
  const warnings: string[] = [];
  let oldest: number | null = null;
  try {
    const summary = await withTimeout(s.summary(), READINESS_POLICY.storeTimeoutMs);
    oldest = summary.oldestOpenAt === null ? null : Math.max(0, Math.round((now - summary.oldestOpenAt) / 1000));
  } catch (err) {
    reasons.push(`store unreachable: ${(err as Error).message}`);
  }
  const listeners = s.listeners();
  for (const [name, up] of Object.entries(listeners)) if (!up) reasons.push(`listener ${name} is not bound`);
  let trustList: Readiness['trustList'];
  if (s.trustList) {
    const t = s.trustList();
    trustList = { ageSeconds: t.ageMs === null ? null : Math.round(t.ageMs / 1000), domains: t.domains, refreshFailing: t.failing };
    const limit = (s.trustListRefreshMs ?? 6 * 3_600_000) * READINESS_POLICY.trustListMaxAgeRefreshes;
    if (t.ageMs === null) reasons.push('no trust list loaded');
    else if (t.ageMs > limit) reasons.push(`trust list is ${hours(t.ageMs)} old (limit ${hours(limit)}: ${READINESS_POLICY.trustListMaxAgeRefreshes} refresh periods)`);
    else if (t.failing) warnings.push('the last trust list refresh failed: the previous copy is in use');
  }
  const overdue = (s.crlNextUpdates?.() ?? []).filter((t) => t < now).length;
  if (overdue) reasons.push(`${overdue} CRL(s) past their nextUpdate`);
  for (const c of s.certificates?.() ?? []) {
    const what = c.role === 'gateway' ? "the gateway's certificate" : `anchor ${c.name}`;
    if (now > c.notAfter.getTime()) reasons.push(`${what} expired on ${c.notAfter.toISOString()}`);
    else if (now < c.notBefore.getTime()) reasons.push(`${what} is not valid before ${c.notBefore.toISOString()}`);
    else if (c.notAfter.getTime() - now < READINESS_POLICY.certificateWarnDays * 86_400_000) warnings.push(`${what} expires on ${c.notAfter.toISOString()}`);
  }
  return {
    ready: reasons.length === 0, reasons, warnings, oldestQueuedAgeSeconds: oldest, deferralsLast5m: s.deferralsLast5m(), listeners, trustList,
  };
}

function hours(ms: number): string {
  return `${Math.round(ms / 360_000) / 10}h`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
