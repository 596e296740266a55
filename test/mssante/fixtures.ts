/** Shared fixtures of the national tests: a trust list naming the test PKI's operators. */
import type { TestPki } from '../pki/test-pki.js';

export function trustListXml(pki: TestPki): string {
  const entry = (dom: string, dn: string) => `  <Domaine>
    <Nom>${dom}</Nom>
    <Description>test</Description>
    <DNCertificatOperateur>${dn}</DNCertificatOperateur>
    <ResponsableContact>r@${dom}</ResponsableContact>
    <SupportContact>s@${dom}</SupportContact>
    <DateMAJ>2026-01-12 10:00:00</DateMAJ>
  </Domaine>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">
  <DateDeGeneration>2026-11-20 04:00:00</DateDeGeneration>
${[
  entry('medecin.mssante.fr', pki.medecin.subject),
  entry('ch-test.mssante.fr', pki.chTest.subject),
  entry('passerelle-test.mssante.fr', pki.gateway.subject),
  entry('expire.mssante.fr', pki.expired.subject),
  entry('revoque.mssante.fr', pki.revoked.subject),
].join('\n')}
</ListeBlanche>
`;
}
