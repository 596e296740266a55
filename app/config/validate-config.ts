/**
 * The checks that span several settings (each setting's own type and values are the schema's,
 * `./schema.ts`). They run even when the schema found problems, on the configuration as far
 * as it could be read, so every problem is reported at once: each guard skips a value of the
 * wrong type (the schema reports it).
 */
import type { GatewayConfig } from './defaults.js';
import { ADDRESS, LOCAL } from './schema.js';

const isStr = (v: unknown): v is string => typeof v === 'string';

/** Every cross-setting problem of a configuration, each naming its settings. Empty when all is well. */
export function validateConfig(c: GatewayConfig): string[] {
  const p: string[] = [];
  if (isStr(c.database) && /^postgres(ql)?:/i.test(c.database)) {
    let url: URL | null = null;
    try {
      url = new URL(c.database);
    } catch {
      /* reported below */
    }
    // Never echo the URL: it may carry a password.
    if (!url || !/^postgres(ql)?:$/i.test(url.protocol) || !url.hostname) p.push('database: not a valid postgres://USER@HOST[:PORT]/DATABASE URL');
  }
  const listen = c.legacy?.listen;
  if (listen && !!listen.tlsKey !== !!listen.tlsCert) p.push('legacy.listen.tlsKey, legacy.listen.tlsCert: give both or neither');
  const id = c.mssante?.identity;
  if (id) {
    if (id.pkcs12 && (id.key || id.cert)) p.push('mssante.identity: give a PKCS#12 file or a key and certificate, not both');
    if (!!id.key !== !!id.cert) p.push('mssante.identity.key, mssante.identity.cert: give both or neither');
  }
  if (c.testMaterial === false && c.mssante?.transport === 'mtls') {
    if (!c.mssante.anchors) p.push('mssante.anchors: required without testMaterial (IGC-Santé PEM bundle or .p7b)');
    if (id && !id.pkcs12 && !id.key) p.push('mssante.identity: required without testMaterial (pkcs12, or key and cert)');
    if (!c.mssante.trustList) p.push('mssante.trustList: required without testMaterial (file or https URL)');
  }
  const legacyDomain = isStr(c.legacy?.domain) ? c.legacy.domain.toLowerCase() : '';
  const aliases = c.aliases && typeof c.aliases === 'object' ? c.aliases : {};
  for (const [from, to] of Object.entries(aliases)) {
    const [local, dom] = from.toLowerCase().split('@');
    if (!LOCAL.test(local ?? '') || dom !== `interop.${legacyDomain}`) p.push(`aliases: '${from}': expected LOCAL@interop.${legacyDomain}`);
    if (!isStr(to) || !ADDRESS.test(to)) p.push(`aliases.${from}: '${String(to)}' is not an address`);
  }
  for (const a of Array.isArray(c.legacySubscribers) ? c.legacySubscribers : []) {
    const [local, dom] = String(a).toLowerCase().split('@');
    if (!LOCAL.test(local ?? '') || !dom || !(dom === legacyDomain || dom.endsWith(`.${legacyDomain}`)) || dom === `interop.${legacyDomain}`) {
      p.push(`legacySubscribers: '${String(a)}': expected a subscriber address LOCAL@ZONE.${legacyDomain}`);
    }
  }
  return p;
}
