/**
 * Metrics and readiness of a node, assembled from what `startGateway` holds: the store's
 * summary, the national setup (trust list, CRLs, the gateway's certificate and the anchors),
 * the directory's imports, the listeners. Returns the metrics (whose observer the pipeline
 * calls), the national listener's refusal hook, and the `/metrics` and `/ready` routes.
 *
 * @example
 * const obs = createObservability({ node: hostname(), store, national, directoryImports, trustListRefreshMs });
 * new Gateway({ …, observer: obs.metrics.observer });
 * healthApp({ …, mounts: { ...obs.routes(() => ({ legacy: l.listening() })) } });
 */
import type * as pkijs from 'pkijs';
import type { Hono } from 'hono';
import type { MessageStore } from '../../core/ports/message-store.js';
import { GatewayMetrics, type TrustListFigures, type WatchedCertificate } from './metrics.js';
import { checkReadiness } from './readiness.js';
import { metricsRoutes, readyRoutes } from '../http/observability-routes.js';
import type { NationalSetup } from './national-setup.js';

export interface ObservabilityOptions {
  node: string;
  store: Pick<MessageStore, 'summary'>;
  national?: Pick<NationalSetup, 'loader' | 'crls' | 'identity' | 'anchors'>;
  trustListRefreshMs?: number;
  /** When each directory source last finished an import (`DirectoryStore.lastImports`). */
  directoryImports?: () => Promise<Record<string, number>>;
  /** Node's default metrics (event-loop lag…); default true. */
  defaultMetrics?: boolean;
}

export interface Observability {
  metrics: GatewayMetrics;
  /** `/metrics` and `/ready`, to mount beside `/health`; `listeners` tells which listeners are bound. */
  routes(listeners: () => Record<string, boolean>): Record<string, Hono>;
  /** The trust list, the CRLs and the certificates the node holds, for the admin API (`/api/trust`). */
  trust(now?: number): TrustStatus;
  /** Loads the trust list again now (an operator's "refresh"); the last good copy stays when that fails. */
  refreshTrust(): Promise<TrustStatus>;
}

export interface TrustStatus {
  trustList: {
    ageSeconds: number | null; domains: number; refreshFailing: boolean; generatedAt: string | null;
    entries: { domain: string; description: string; operator: string; updated: string | null }[];
  } | null;
  crls: { nextUpdate: string }[];
  certificates: { role: 'gateway' | 'anchor'; name: string; notBefore: string; notAfter: string; daysToExpiry: number }[];
}

export function createObservability(o: ObservabilityOptions): Observability {
  const n = o.national;
  const trustList = n ? (): TrustListFigures => {
    const s = n.loader.status();
    return { ageMs: s.ageMs, domains: s.domains, failing: s.lastError !== null };
  } : undefined;
  const crlNextUpdates = n ? () => n.crls().map((c) => c.nextUpdate?.value.getTime()).filter((t): t is number => t !== undefined) : undefined;
  const certificates = n ? (): WatchedCertificate[] => [
    watched('gateway', n.identity.certificate),
    ...n.anchors.certificates.map((c) => watched('anchor', c)),
  ] : undefined;
  const metrics = new GatewayMetrics({
    node: o.node, summary: () => o.store.summary(), trustList, crlNextUpdates, certificates, directoryImports: o.directoryImports, defaultMetrics: o.defaultMetrics,
  });
  return {
    metrics,
    trust: (now = Date.now()) => {
      const t = trustList?.();
      const status = n?.loader.status();
      return {
        trustList: t && n ? {
          ageSeconds: t.ageMs === null ? null : Math.round(t.ageMs / 1000), domains: t.domains, refreshFailing: t.failing,
          generatedAt: status!.generatedAt,
          entries: status!.loadedAt === null ? [] : n.loader.current().domains()
            .map((d) => ({ domain: d.domain, description: d.description, operator: d.operatorDn, updated: d.updated ?? null })),
        } : null,
        crls: (crlNextUpdates?.() ?? []).map((at) => ({ nextUpdate: new Date(at).toISOString() })),
        certificates: (certificates?.() ?? []).map((c) => ({
          role: c.role, name: c.name, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(),
          daysToExpiry: Math.floor((c.notAfter.getTime() - now) / 86_400_000),
        })),
      };
    },
    async refreshTrust() {
      await n?.loader.refresh();
      return this.trust();
    },
    routes: (listeners) => ({
      '/metrics': metricsRoutes(metrics),
      '/ready': readyRoutes(() => checkReadiness({
        summary: () => metrics.summary(), listeners, trustList, trustListRefreshMs: o.trustListRefreshMs, crlNextUpdates, certificates,
        deferralsLast5m: () => metrics.deferralsLast5m(),
      })),
    }),
  };
}

const OID_CN = '2.5.4.3';

function watched(role: WatchedCertificate['role'], c: pkijs.Certificate): WatchedCertificate {
  const cn = c.subject.typesAndValues.find((t) => t.type === OID_CN)?.value.valueBlock.value;
  return { role, name: typeof cn === 'string' && cn ? cn : role, notBefore: c.notBefore.value, notAfter: c.notAfter.value };
}
