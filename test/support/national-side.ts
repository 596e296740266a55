/**
 * The national side of an end-to-end test world, from the test PKI: the gateway's mutual-TLS
 * configuration routing `medecin.mssante.fr` to a peer, and a national sender (an operator
 * with its own certificate) that reaches the gateway's national listener.
 *
 * @example
 * const w = await startLegacyWorld({ mssante: nationalConfig(pki, pki.dir, operator.port) });
 * const client = nationalSender(pki, w.gw.ports.national);
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { startOperatorPeer, type OperatorPeer } from '../mssante/operator-peer.js';
import { startLegacyWorld, type LegacyWorld } from './legacy-world.js';
import { trustListXml } from '../mssante/fixtures.js';

/** The gateway's national domain in the test PKI (its certificate: `mx.passerelle-test.mssante.fr`). */
let lists = 0;

export const GATEWAY_DOMAIN = 'passerelle-test.mssante.fr';

/**
 * The gateway's `mssante` settings: mTLS with the test PKI and its CRL, a trust list of the
 * PKI's domains written into `dir`, `medecin.mssante.fr` → `peerPort`.
 */
export function nationalConfig(pki: TestPki, dir: string, peerPort: number) {
  const trustListFile = join(dir, `trust-list-${process.pid}-${++lists}.xml`);
  writeFileSync(trustListFile, trustListXml(pki));
  return {
    domain: GATEWAY_DOMAIN,
    listen: { port: 0 },
    transport: 'mtls' as const,
    anchors: pki.anchorsFile,
    identity: { pkcs12: pki.gatewayP12, password: pki.p12Password },
    trustList: trustListFile,
    crls: [pki.crlFile],
    routes: { 'medecin.mssante.fr': { host: '127.0.0.1', port: peerPort, tlsName: 'mx.medecin.mssante.fr' } },
  };
}

/** The operator `medecin.mssante.fr` sending to the gateway's national listener over mutual TLS. */
export function nationalSender(pki: TestPki, gatewayNationalPort: number): OutboundClient {
  return new OutboundClient({
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile) }),
    trustList: () => parseTrustList(trustListXml(pki)),
    name: 'mx.medecin.mssante.fr',
    routes: { [GATEWAY_DOMAIN]: { host: '127.0.0.1', port: gatewayNationalPort, tlsName: `mx.${GATEWAY_DOMAIN}` } },
  });
}

export interface NationalWorld {
  pki: TestPki;
  /** The national operator `medecin.mssante.fr` the gateway delivers to (mutual TLS). */
  operator: OperatorPeer;
  /** The gateway between the relay simulator and the operator. */
  w: LegacyWorld;
  /** The operator as a sender to the gateway. */
  client: OutboundClient;
  close(): Promise<void>;
}

/**
 * Relay simulator ⇄ gateway ⇄ national operator, all on loopback with the test PKI.
 *
 * @example
 * const { w, operator, client, close } = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') });
 * // `over`: more settings for the gateway, e.g. `{ database: 'postgres://…' }`
 */
export async function startNationalWorld(o: { serves: (address: string) => boolean; over?: Record<string, unknown> }): Promise<NationalWorld> {
  const pki = await testPki();
  const operator = await startOperatorPeer({ pki, identity: pki.medecin, serves: o.serves });
  const w = await startLegacyWorld({ mssante: nationalConfig(pki, pki.dir, operator.port), ...o.over });
  const client = nationalSender(pki, w.gw.ports.national);
  return {
    pki, operator, w, client,
    async close() {
      await client.close();
      await w.close();
      await operator.close();
    },
  };
}
