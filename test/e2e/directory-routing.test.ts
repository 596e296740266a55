/**
 * The running gateway routes through the federated address book: once the shared national
 * sample and a legacy annuaire are imported, a legacy subscriber reaches a national mailbox
 * by its generated interop alias, with no static alias configured for it; a suspended
 * subscriber is refused at RCPT with its reason.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { simpleParser } from 'mailparser';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { SAMPLE_LINES, importNational, importLegacy } from '../directory/helpers.js';

describe('routing through the federated address book', () => {
  let w: LegacyWorld;
  beforeAll(async () => {
    w = await startLegacyWorld({ aliases: {} });
    await importNational(w.gw.directory, SAMPLE_LINES.slice(1), 'Extraction_Correspondance_MSSante_202611200400.txt');
    await importLegacy(w.gw.directory, [
      'cab.dupuis@medical33.lnp.test;DUPUIS;Marc;Médecin;Médecine générale;;;;33000;BORDEAUX;2026;A',
      'dr.suspendu@medical33.lnp.test;SUSPENDU;Paul;Médecin;;;;;33000;BORDEAUX;2026;S',
    ], 'annuaire-20261120.csv');
  });
  afterAll(async () => {
    await w.close();
  });

  it('a legacy subscriber reaches a national mailbox by the alias the directory gave it', async () => {
    const alias = await w.gw.resolver.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy');
    expect(alias).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}@interop\.lnp\.test$/);
    await submitToRelay(w.relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: [alias!], text: 'Bonjour\r\n' });
    await w.peer.waitFor(1);
    const got = w.peer.received[0];
    expect(got.recipients).toEqual(['jean.dupont@medecin.mssante.fr']);
    expect((await simpleParser(got.raw)).from?.value[0].address).toBe('cab.dupuis@passerelle.mssante.test');
  });

  it('resolves a suspended legacy subscriber with its status (the pipeline refuses such routes)', async () => {
    const route = await w.gw.resolver.resolve('dr.suspendu@passerelle.mssante.test');
    expect(route?.status).toBe('suspended');
  });

  it('serves the directory API behind its bearer token', async () => {
    const token = (await import('node:fs')).readFileSync(`${w.root}/http-token`, 'utf8').trim();
    const url = `http://127.0.0.1:${w.gw.ports.http}/directory/resolve?address=${encodeURIComponent('jean.dupont@medecin.mssante.fr')}`;
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBeLessThan(500);
  });
});
