import { describe, expect, it } from 'vitest';
import type { Content } from '../../core/model/content.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { createClinicalTranslator } from '../../mappings/bridge/translator.js';
import { readHprim } from '../../mappings/hprim/index.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { readXdm } from '../../mappings/xdm/index.js';
import { sampleHprim } from './fixtures.js';

const generated = new GeneratedDocuments();
const translate = createClinicalTranslator({ now: () => new Date('2026-11-20T10:15:00Z') });

function opened(content: Content, source: 'legacy' | 'mssante'): OpenedMessage {
  return {
    envelope: { id: 'm1', source, mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m1@x>', receivedAt: 0, size: 1, rawRef: 'r' },
    from: 'a@x', to: ['b@y'], cc: [], subject: '', content, meta: {},
  };
}

describe('clinical translator (pipeline plug-in)', () => {
  it('legacy HPRIM → national: XDM attached, hprim kept for the original, urgent, neutral tagged subject, X-MSS-CODECDA', async () => {
    const text = sampleHprim();
    const out = await translate(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), { network: 'mssante', recipients: ['dr@mssante.test'], from: 'labo@gw.test', messageId: '<t1@gw>' });
    expect(out.priority).toBe('urgent');
    expect(out.subject).toBe('[ALERTE RESULTAT CRITIQUE] Compte rendu de biologie');
    expect(out.subject).not.toContain('TESTPATIENT');
    expect(out.headers).toEqual({ 'Message-ID': '<t1@gw>', 'X-MSS-CODECDA': '11502-2' });
    expect(out.content.kind).toBe('lab-report');
    if (out.content.kind !== 'lab-report') throw new Error('kind');
    expect(out.content.hprim).toBe(text);
    expect(out.content.text).toContain('Potassium');
    const zip = out.content.attachments.find((a) => a.filename === 'IHE_XDM.ZIP')!;
    const xdm = await readXdm(zip.data);
    generated.keep(new TextDecoder().decode(xdm.documents[0].data), 'translator');

    const back = await translate(opened({ kind: 'letter', text: 'Ci-joint le CR.', attachments: [zip] }, 'mssante'), { network: 'legacy', recipients: ['dr.alice.martin'], from: 'x', messageId: '<t2@gw>' });
    expect(back.content.kind).toBe('lab-report');
    if (back.content.kind !== 'lab-report') throw new Error('kind');
    expect(readHprim(back.content.hprim!).report!.results).toEqual(readHprim(text).report!.results);
    expect(back.content.attachments.map((a) => a.filename)).toEqual(['pdf-copie.pdf', 'IHE_XDM.ZIP']);
    expect(back.priority).toBe('urgent');
  });

  it('letters both ways; an unreadable XDM travels as it came', async () => {
    const toLegacy = await translate(opened({ kind: 'letter', text: '', html: '<p>Bonjour</p><p>Confraternellement</p>', attachments: [] }, 'mssante'), { network: 'legacy', recipients: ['x'], from: 'y', messageId: '<a>' });
    expect(toLegacy.content).toEqual({ kind: 'letter', text: 'Bonjour\n\nConfraternellement', attachments: [] });
    const toNational = await translate(opened({ kind: 'letter', text: 'Bonjour,\r\nà vous', attachments: [] }, 'legacy'), { network: 'mssante', recipients: ['x'], from: 'y', messageId: '<b>' });
    expect(toNational.content.kind === 'letter' && toNational.content.html).toContain('<p>Bonjour,<br>\nà vous</p>');
    const broken = { filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: new Uint8Array([1, 2, 3]) };
    const kept = await translate(opened({ kind: 'letter', text: 'x', attachments: [broken] }, 'mssante'), { network: 'legacy', recipients: ['x'], from: 'y', messageId: '<c>' });
    expect(kept.content.attachments).toEqual([broken]);
  });

  it('the CR-BIO it produced validates', () => {
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
  });
});
