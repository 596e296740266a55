import { describe, expect, it } from 'vitest';
import { StaticResolver } from '../../directory/static-resolver.js';
import type { RouteResolver } from '../../core/ports/route-resolver.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { headerAddresses, replyAddress } from '../../core/pipeline/header-addresses.js';
import { passThroughTranslator } from '../../core/ports/translator.js';
import { createClinicalTranslator } from '../../mappings/bridge/translator.js';

const resolver = new StaticResolver({
  legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test',
  aliases: { 'jean.dupont.med@interop.lnp.test': 'jean.dupont@medecin.mssante.fr', 'camille.roux.med@interop.lnp.test': 'camille.roux@medecin.mssante.fr' },
  legacySubscribers: ['dr.alice.martin@medical33.lnp.test', 'cab.dupuis@medical33.lnp.test'],
});

function opened(source: 'legacy' | 'mssante', to: string[], cc: string[]): OpenedMessage {
  return {
    envelope: { id: '01JD2Z6Q7XK3M9V4T8B2C5D7FG', source, mailFrom: 'x@y', recipients: [], messageId: null, receivedAt: 0, size: 0, rawRef: 'test' },
    from: 'x@y', to, cc, subject: '', content: { kind: 'letter', text: 'x', attachments: [] }, meta: {},
  };
}

describe('header addresses for the target network', () => {
  it('writes each address as the target reader can reply to it, both ways', async () => {
    expect(await replyAddress(resolver, 'Jean.Dupont.Med@interop.lnp.test', 'mssante')).toBe('jean.dupont@medecin.mssante.fr');
    expect(await replyAddress(resolver, 'cab.dupuis@medical33.lnp.test', 'mssante')).toBe('cab.dupuis@passerelle.mssante.test');
    expect(await replyAddress(resolver, 'dr.alice.martin@passerelle.mssante.test', 'legacy')).toBe('dr.alice.martin@medical33.lnp.test');
    expect(await replyAddress(resolver, 'camille.roux@medecin.mssante.fr', 'legacy')).toBe('camille.roux.med@interop.lnp.test');
    expect(await replyAddress(resolver, 'inconnu@hopital.mssante.fr', 'legacy')).toBeNull();
    expect(await replyAddress(resolver, 'inconnu.med@interop.lnp.test', 'mssante')).toBeNull();
  });

  it('legacy → national: To and Cc mapped, duplicates dropped, addresses without a form counted', async () => {
    const m = opened('legacy',
      ['jean.dupont.med@interop.lnp.test', 'nobody.known@interop.lnp.test'],
      ['camille.roux.med@interop.lnp.test', 'cab.dupuis@medical33.lnp.test', 'JEAN.DUPONT.MED@interop.lnp.test']);
    expect(await headerAddresses(resolver, m, 'mssante', ['jean.dupont@medecin.mssante.fr'])).toEqual({
      to: ['jean.dupont@medecin.mssante.fr'],
      cc: ['camille.roux@medecin.mssante.fr', 'cab.dupuis@passerelle.mssante.test'],
      omitted: 1,
    });
  });

  it('national → legacy: a co-recipient without an interop address is left out; To never ends empty', async () => {
    const m = opened('mssante', ['autre@hopital.mssante.fr'], ['camille.roux@medecin.mssante.fr']);
    expect(await headerAddresses(resolver, m, 'legacy', ['dr.alice.martin@medical33.lnp.test'])).toEqual({
      to: ['dr.alice.martin@medical33.lnp.test'], cc: ['camille.roux.med@interop.lnp.test'], omitted: 1,
    });
    // Everything in Cc, the recipient among them: it stands in To alone.
    const onlyCc = opened('mssante', [], ['dr.alice.martin@passerelle.mssante.test']);
    expect(await headerAddresses(resolver, onlyCc, 'legacy', ['dr.alice.martin@medical33.lnp.test'])).toEqual({
      to: ['dr.alice.martin@medical33.lnp.test'], cc: [], omitted: 0,
    });
  });

  it('a resolver that fails counts as no form: display never fails a delivery', async () => {
    const broken: RouteResolver = { resolve: async () => { throw new Error('down'); }, aliasFor: async () => null };
    expect(await headerAddresses(broken, opened('legacy', ['a@interop.lnp.test'], []), 'mssante', ['a@medecin.mssante.fr']))
      .toEqual({ to: ['a@medecin.mssante.fr'], cc: [], omitted: 1 });
  });

  it('both translators keep the envelope apart from the headers they are given', async () => {
    const m = opened('legacy', ['jean.dupont.med@interop.lnp.test'], ['camille.roux.med@interop.lnp.test']);
    const target = { network: 'mssante' as const, recipients: ['jean.dupont@medecin.mssante.fr'], from: 'x@passerelle.mssante.test', messageId: '<m@gw>', to: ['jean.dupont@medecin.mssante.fr'], cc: ['camille.roux@medecin.mssante.fr'] };
    for (const translate of [passThroughTranslator, createClinicalTranslator()]) {
      const out = await translate(m, target);
      expect({ to: out.to, cc: out.cc, recipients: out.recipients }).toEqual({ to: target.to, cc: target.cc, recipients: target.recipients });
      const bare = await translate(m, { ...target, to: undefined, cc: undefined });
      expect({ to: bare.to, cc: bare.cc, recipients: bare.recipients }).toEqual({ to: target.recipients, cc: [], recipients: target.recipients });
    }
  });
});
