/**
 * A national operator on loopback for the national tests, holding a test-PKI identity: the
 * generic `startNationalOperator` simulator wired to the test PKI's anchors, CRLs and trust
 * list.
 *
 * @example
 * const peer = await startOperatorPeer({ pki, identity: pki.medecin, serves: (a) => a.endsWith('@medecin.mssante.fr') });
 * // route 'medecin.mssante.fr' → { host: '127.0.0.1', port: peer.port, tlsName: 'mx.medecin.mssante.fr' }
 * await peer.close();
 */
import { parseTrustList, type TrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import type { TestIdentity, TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';
import { startNationalOperator, type NationalOperator, type ReceivedMessage } from '../simulators/national-operator.js';

export type { ReceivedMessage };
export type OperatorPeer = NationalOperator;

export function startOperatorPeer(opts: {
  pki: TestPki;
  identity: TestIdentity;
  serves: (address: string) => boolean | Promise<boolean>;
  trustList?: TrustList;
}): Promise<OperatorPeer> {
  return startNationalOperator({
    keyFile: opts.identity.keyFile,
    certFile: opts.identity.chainFile,
    anchorsFile: opts.pki.anchorsFile,
    crlPem: [opts.pki.crlPem],
    trustList: opts.trustList ?? parseTrustList(trustListXml(opts.pki)),
    serves: opts.serves,
  });
}
