import type { GatewayConfig } from './defaults.js';
import { parseDuration } from '../../core/queue/duration.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';

const LOCAL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every problem of a configuration, each naming its setting. Empty when all is well. */
export function validateConfig(c: GatewayConfig): string[] {
  const p: string[] = [];
  const port = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) p.push(`${name}: ${String(v)} is not a TCP port (0–65535)`);
  };
  const str = (name: string, v: unknown, allowEmpty = true) => {
    if (typeof v !== 'string') p.push(`${name}: must be text`);
    else if (!allowEmpty && !v) p.push(`${name}: must not be empty`);
  };
  const duration = (name: string, v: unknown) => {
    try {
      parseDuration(String(v));
    } catch (e) {
      p.push(`${name}: ${(e as Error).message}`);
    }
  };
  str('dataDir', c.dataDir, false);
  str('database', c.database, false);
  if (typeof c.database === 'string' && /^postgres(ql)?:/i.test(c.database)) {
    let url: URL | null = null;
    try {
      url = new URL(c.database);
    } catch {
      /* reported below */
    }
    // Never echo the URL: it may carry a password.
    if (!url || !/^postgres(ql)?:$/i.test(url.protocol) || !url.hostname) p.push('database: not a valid postgres://USER@HOST[:PORT]/DATABASE URL');
  }
  if (typeof c.postgres?.schema !== 'string' || (c.postgres.schema !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(c.postgres.schema))) {
    p.push(`postgres.schema: '${String(c.postgres?.schema)}' must be empty or a plain lowercase name (a-z, 0-9, _)`);
  }
  if (!Number.isInteger(c.postgres?.poolSize) || c.postgres.poolSize < 1 || c.postgres.poolSize > 500) p.push(`postgres.poolSize: ${String(c.postgres?.poolSize)} must be a whole number from 1 to 500`);
  if (!['on', 'remote_write', 'remote_apply'].includes(c.postgres?.synchronousCommit)) {
    p.push(`postgres.synchronousCommit: '${String(c.postgres?.synchronousCommit)}' must be on, remote_write or remote_apply (a commit is durable before 250)`);
  }
  if (typeof c.node?.id !== 'string' || (c.node.id !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(c.node.id))) {
    p.push(`node.id: '${String(c.node?.id)}' must be empty (the host name) or letters, digits, '.', '_', '-' (no '/'), at most 63`);
  }
  if (c.durability !== 'FULL' && c.durability !== 'NORMAL') p.push(`durability: '${String(c.durability)}' must be FULL or NORMAL`);
  if (typeof c.testMaterial !== 'boolean') p.push('testMaterial: must be true or false');
  if (!['debug', 'info', 'warn', 'error'].includes(c.log.level)) p.push(`log.level: '${c.log.level}' must be debug, info, warn or error`);
  str('http.host', c.http.host, false);
  port('http.port', c.http.port);
  if (!DOMAIN.test(c.legacy.domain)) p.push(`legacy.domain: '${c.legacy.domain}' is not a domain name`);
  if (!LOCAL.test(c.legacy.gatewayLocal)) p.push(`legacy.gatewayLocal: '${c.legacy.gatewayLocal}' is not a valid LOCAL (a-z, 0-9, '.', '_', '-', ≤ 64)`);
  if (!/^[a-z0-9-]+$/.test(c.legacy.gatewayZone) || c.legacy.gatewayZone === 'interop') p.push(`legacy.gatewayZone: '${c.legacy.gatewayZone}' must be a plain zone name other than 'interop'`);
  port('legacy.listen.port', c.legacy.listen.port);
  if (!Number.isInteger(c.legacy.listen.maxSize) || c.legacy.listen.maxSize < 1024) p.push('legacy.listen.maxSize: must be a whole number of bytes, at least 1024');
  if (!Array.isArray(c.legacy.listen.allowedRelays)) p.push('legacy.listen.allowedRelays: must be a list of addresses');
  if (!!c.legacy.listen.tlsKey !== !!c.legacy.listen.tlsCert) p.push('legacy.listen.tlsKey and tlsCert: give both or neither');
  str('legacy.relay.host', c.legacy.relay.host, false);
  port('legacy.relay.port', c.legacy.relay.port);
  str('legacy.relay.password', c.legacy.relay.password);
  if (!DOMAIN.test(c.mssante.domain)) p.push(`mssante.domain: '${c.mssante.domain}' is not a domain name`);
  str('mssante.nil', c.mssante.nil, false);
  if (c.mssante.transport !== 'mtls' && c.mssante.transport !== 'plain') p.push(`mssante.transport: '${String(c.mssante.transport)}' must be mtls or plain`);
  port('mssante.listen.port', c.mssante.listen.port);
  const id = c.mssante.identity;
  if (id.pkcs12 && (id.key || id.cert)) p.push('mssante.identity: give a PKCS#12 file or a key and certificate, not both');
  if (!!id.key !== !!id.cert) p.push('mssante.identity.key and .cert: give both or neither');
  if (!c.testMaterial && c.mssante.transport === 'mtls') {
    if (!c.mssante.anchors) p.push('mssante.anchors: required without testMaterial (IGC-Santé PEM bundle or .p7b)');
    if (!id.pkcs12 && !id.key) p.push('mssante.identity: required without testMaterial (PKCS#12, or key and cert)');
    if (!c.mssante.trustList) p.push('mssante.trustList: required without testMaterial (file or https URL)');
  }
  duration('mssante.trustListRefresh', c.mssante.trustListRefresh);
  duration('mssante.crlRefresh', c.mssante.crlRefresh);
  if (!Array.isArray(c.mssante.crls)) p.push('mssante.crls: must be a list of files or URLs');
  if (!Array.isArray(c.mssante.tls?.extraCiphers)) p.push('mssante.tls.extraCiphers: must be a list of OpenSSL TLS 1.2 suite names');
  else {
    for (const name of c.mssante.tls.extraCiphers) {
      // one suite per entry: no cipher-string keywords (ALL, HIGH, DEFAULT) nor operators (!, +, @); OpenSSL checks the name at start
      if (typeof name !== 'string' || !/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(name)) p.push(`mssante.tls.extraCiphers: '${String(name)}' is not an OpenSSL suite name (e.g. ECDHE-RSA-AES256-SHA)`);
    }
  }
  if (!['rsa-pkcs1v15', 'rsa-pss'].includes(c.mssante.smime.signature)) p.push('mssante.smime.signature: rsa-pkcs1v15 or rsa-pss');
  if (!['detached', 'opaque'].includes(c.mssante.smime.form)) p.push('mssante.smime.form: detached or opaque');
  if (!['aes-256-cbc', 'aes-256-gcm'].includes(c.mssante.smime.cipher)) p.push('mssante.smime.cipher: aes-256-cbc or aes-256-gcm');
  if (!['implicit-rejection', 'refuse'].includes(c.mssante.smime.pkcs1v15)) p.push('mssante.smime.pkcs1v15: implicit-rejection or refuse');
  str('mssante.recipientCertificates.dir', c.mssante.recipientCertificates.dir);
  duration('mssante.recipientCertificates.reloadEvery', c.mssante.recipientCertificates.reloadEvery);
  try {
    if (parseDuration(String(c.mssante.recipientCertificates.reloadEvery)) <= 0) p.push('mssante.recipientCertificates.reloadEvery: must be longer than 0');
  } catch {
    /* reported above */
  }
  for (const [dom, hp] of Object.entries(c.mssante.routes ?? {})) {
    const ok = typeof hp === 'string' ? /^[^:\s]+:\d{1,5}$/.test(hp) : !!hp && typeof hp.host === 'string' && Number.isInteger(hp.port);
    if (!ok) p.push(`mssante.routes.${dom}: ${JSON.stringify(hp)} must be host:port or { host, port, tlsName }`);
  }
  for (const [from, to] of Object.entries(c.aliases ?? {})) {
    const [local, dom] = from.toLowerCase().split('@');
    if (!LOCAL.test(local ?? '') || dom !== `interop.${c.legacy.domain}`) p.push(`aliases: '${from}' must be LOCAL@interop.${c.legacy.domain}`);
    if (!ADDRESS.test(to)) p.push(`aliases.${from}: '${to}' is not an address`);
  }
  for (const a of c.legacySubscribers ?? []) {
    const [local, dom] = a.toLowerCase().split('@');
    if (!LOCAL.test(local ?? '') || !dom || !(dom === c.legacy.domain || dom.endsWith(`.${c.legacy.domain}`)) || dom === `interop.${c.legacy.domain}`) {
      p.push(`legacySubscribers: '${a}' must be a subscriber address LOCAL@ZONE.${c.legacy.domain}`);
    }
  }
  try {
    RetrySchedule.from(c.queue.retry);
  } catch (e) {
    p.push(`queue.retry: ${(e as Error).message}`);
  }
  if (!Number.isInteger(c.queue.concurrency) || c.queue.concurrency < 1) p.push('queue.concurrency: must be a whole number ≥ 1');
  if (!Number.isInteger(c.queue.translateWorkers) || c.queue.translateWorkers < 0 || c.queue.translateWorkers > 64) p.push('queue.translateWorkers: must be a whole number from 0 to 64');
  duration('queue.lease', c.queue.lease);
  duration('queue.pollInterval', c.queue.pollInterval);
  return p;
}
