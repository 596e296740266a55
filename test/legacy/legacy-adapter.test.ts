import { describe, it, expect } from 'vitest';
import { LegacyAdapter, type LegacySubmitter } from '../../adapters/legacy/legacy-adapter.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { parseLnpMail } from '../../adapters/legacy/lnp-mail.js';
import { fixtureStore, NOW } from './fixtures.js';
import type { OutboundMessage } from '../../core/model/message.js';

const submitter: LegacySubmitter = { submit: async () => [], close: async () => {} };
const adapter = new LegacyAdapter({ keys: fixtureStore(), domain: 'lnp.test', gatewayLocal: 'passerelle', gatewayZone: 'gateway', submitter, now: () => NOW });

const base: OutboundMessage = {
  sourceId: '01JD2Z6Q7XK3M9V4T8B2C5D7FG', target: 'legacy', from: 'jean.dupont.med@interop.lnp.test',
  to: ['dr.alice.martin@medical33.lnp.test'], cc: [], subject: 'Mme TESTPATIENT Camille, résultats', priority: 'normal',
  content: { kind: 'letter', text: 'Le cœur va bien — 5 €.\r\n', attachments: [] }, headers: {},
};

describe('LegacyAdapter.seal', () => {
  it('records what transliteration changed, for the trace', async () => {
    const sealed = await adapter.seal(base);
    expect(sealed.notes).toHaveLength(1);
    expect(sealed.notes![0]).toContain('"œ"→"oe" ×1');
    expect(sealed.notes![0]).toContain('"€"→"EUR" ×1');
    const opened = await openLnpMail(fixtureStore(), sealed.raw, { now: NOW, holder: 'passerelle' });
    expect(opened.text).toBe('Le coeur va bien - 5 EUR.\r\n');
  });

  it('never writes the received subject: a neutral one, with an alert tag when urgent', async () => {
    const sealed = await adapter.seal({ ...base, priority: 'urgent', content: { kind: 'lab-report', hprim: 'x\r\n', text: 'x', attachments: [] } });
    const head = new TextDecoder('latin1').decode(sealed.raw).split('\r\n\r\n')[0];
    expect(head).not.toMatch(/TESTPATIENT|Camille/);
    expect(parseLnpMail(sealed.raw).subject).toBe('Compte rendu de biologie [URGENT] - réf. B2C5D7FG');
    expect(sealed.mailFrom).toBe('passerelle@gateway.lnp.test');
  });

  it('refuses to seal for an address outside the network, or an interop address', async () => {
    await expect(adapter.seal({ ...base, to: ['someone@medecin.mssante.fr'] })).rejects.toMatchObject({ kind: 'NO_ROUTE' });
    await expect(adapter.seal({ ...base, to: ['x@interop.lnp.test'] })).rejects.toMatchObject({ kind: 'NO_ROUTE' });
  });
});
