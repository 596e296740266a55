/**
 * MDNs in the national guide's form (CI-SIS "Volet Transmission au LPS de documents CDA
 * provenant d'un courriel MSSanté", pages "Structure du MDN" and "Codes erreurs"), on top of
 * RFC 8098: `processed/Error: CODE^LABEL`, the code and label in the human part, the
 * KO subject, Original-Recipient and Original-Message-ID always, the original as
 * message/rfc822 and its files given back; and the table from gateway failures to codes.
 */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildMdn, KO_PREFIX } from '../../adapters/mssante/mdn.js';
import { GUIDE_ERROR_CODES, MDN_ERROR_RULES, kindOfReply, mdnErrorFor } from '../../adapters/mssante/mdn-guide.js';
import { mdnRecipient } from '../../adapters/mssante/notification-rules.js';
import { MssanteAdapter } from '../../adapters/mssante/mssante-adapter.js';
import { REPLY_CODES, type ErrorKind } from '../../core/errors/reply-codes.js';
import { headerBag } from '../../core/pipeline/header-peek.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import type { Envelope } from '../../core/model/envelope.js';

const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const SENDER = 'dr.martin@medecin.mssante.fr';
const FINAL = 'jean.dupont@passerelle-test.mssante.fr';
const ZIP = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]); // an empty ZIP
const PDF = new TextEncoder().encode('%PDF-1.4\n%%EOF\n');

function original(o: { headers?: Record<string, string>; files?: boolean } = {}): Uint8Array {
  return writeMime({
    headers: {
      From: `Dr Martin <${SENDER}>`, To: FINAL, Subject: 'XDM/1.0/DDM+CR biologie TESTPATIENT Camille 01/02/1970',
      'Message-ID': '<orig-1@medecin.mssante.fr>', Date: 'Mon, 23 Nov 2026 04:00:00 +0000',
      'Disposition-Notification-To': `<${SENDER}>`, 'X-MSS-CODECDA': '11502-2', ...o.headers,
    },
    text: 'Compte rendu de Mme TESTPATIENT Camille.\n',
    attachments: o.files === false ? [] : [
      { filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: ZIP },
      { filename: 'cr-bio.pdf', contentType: 'application/pdf', data: PDF },
    ],
  });
}

function mdnFor(raw: Uint8Array, over: Partial<Parameters<typeof buildMdn>[0]> = {}) {
  return buildMdn({
    originalHeaders: headerBag(raw), originalSender: SENDER, originalMessageId: '<orig-1@medecin.mssante.fr>',
    finalRecipient: FINAL, from: 'postmaster@passerelle-test.mssante.fr', reportingUa: 'mx.passerelle-test.mssante.fr; Passerelle/0.1',
    originalRaw: raw, disposition: 'processed', date: new Date('2026-11-23T04:05:00Z'), ...over,
  })!;
}

/** The top-level parts of a multipart/report: content type and body, in order. */
function parts(raw: Uint8Array): { type: string; headers: string; body: string }[] {
  const text = new TextDecoder('latin1').decode(raw);
  const boundary = /boundary="([^"]+)"/.exec(text)![1];
  const chunks = text.split(`--${boundary}`);
  expect(chunks[chunks.length - 1]).toBe('--\r\n'); // closed
  return chunks.slice(1, -1).map((c) => {
    const body = c.replace(/^\r\n/, '');
    const end = body.indexOf('\r\n\r\n');
    const headers = body.slice(0, end);
    return { type: /Content-Type: ([^;\r\n]+)/i.exec(headers)![1], headers, body: body.slice(end + 4) };
  });
}

/** The machine-readable fields, in order. */
function fields(raw: Uint8Array): [string, string][] {
  const mdn = parts(raw).find((p) => p.type === 'message/disposition-notification')!;
  return mdn.body.split('\r\n').filter(Boolean).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()];
  });
}

describe('MDN structure (RFC 8098 + the national guide)', () => {
  it('processed: three parts in order, the guide\'s fields, the whole original and its files given back', async () => {
    const raw = original();
    const mdn = mdnFor(raw, { files: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: ZIP }, { filename: 'cr-bio.pdf', contentType: 'application/pdf', data: PDF }] });
    expect(mdn.to).toBe(SENDER);
    expect(mdn.mailFrom).toBe('');
    const text = dec(mdn.raw);
    expect(text).toMatch(/^Content-Type: multipart\/report; report-type=disposition-notification; boundary="/m);
    expect(parts(mdn.raw).map((p) => p.type)).toEqual(['text/plain', 'message/disposition-notification', 'message/rfc822', 'application/zip', 'application/pdf']);
    expect(fields(mdn.raw)).toEqual([
      ['Reporting-UA', 'mx.passerelle-test.mssante.fr; Passerelle/0.1'],
      ['Original-Recipient', `rfc822;${FINAL}`],
      ['Final-Recipient', `rfc822;${FINAL}`],
      ['Original-Message-ID', '<orig-1@medecin.mssante.fr>'],
      ['Disposition', 'automatic-action/MDN-sent-automatically; processed'],
    ]);
    // The third part is the original byte for byte.
    const third = parts(mdn.raw)[2];
    expect(third.body.startsWith(new TextDecoder('latin1').decode(raw))).toBe(true);
    const parsed = await simpleParser(Buffer.from(mdn.raw));
    expect(parsed.subject).toBe('XDM/1.0/DDM');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.inReplyTo).toBe('<orig-1@medecin.mssante.fr>');
    const files = parsed.attachments.filter((a) => a.contentType !== 'message/rfc822' && a.contentType !== 'message/disposition-notification');
    expect(files.map((a) => [a.filename, a.content.length])).toEqual([['IHE_XDM.ZIP', ZIP.length], ['cr-bio.pdf', PDF.length]]);
    expect(parsed.text).toContain('a été traité par la passerelle');
  });

  it('processed/Error: the exact Disposition syntax, code and label in every part, the KO subject, for several codes', async () => {
    const cases: [string, string][] = [
      ['906', "Erreur 'Autre'"],
      ['902', 'Identifiant patient inconnu'],
      ['904', "L'INS transmis ne correspond pas exactement à celui stocké dans la base du consommateur"],
    ];
    for (const [code, label] of cases) {
      const mdn = mdnFor(original(), { disposition: 'processed/error', error: { code, label }, errorText: '550 5.6.0 Message could not be opened' });
      const ascii = label.normalize('NFD').replace(/\p{M}/gu, '');
      const f = Object.fromEntries(fields(mdn.raw));
      expect(f.Disposition).toBe(`automatic-action/MDN-sent-automatically; processed/Error: ${code}^${ascii}`);
      expect(f.Error).toBe(`${code}^${ascii}; 550 5.6.0 Message could not be opened`);
      expect(f['Original-Message-ID']).toBe('<orig-1@medecin.mssante.fr>');
      expect(f['Final-Recipient']).toBe(`rfc822;${FINAL}`);
      // The machine part is US-ASCII (RFC 8098), the human part carries the label as the table spells it.
      expect(/^[\x20-\x7e\r\n]*$/.test(parts(mdn.raw)[1].body)).toBe(true);
      const parsed = await simpleParser(Buffer.from(mdn.raw));
      expect(parsed.subject).toBe(`${KO_PREFIX}[${code}] XDM/1.0/DDM`);
      expect(parsed.text).toContain(`pour la raison suivante : ${label} (code ${code})`);
      expect(parsed.text).toContain(`l'erreur ${code}^${label}`);
    }
  });

  it('defaults to 906 when no code is given; a message without CDA gets a neutral subject', async () => {
    const mdn = mdnFor(original({ headers: { 'X-MSS-CODECDA': '' }, files: false }), { disposition: 'processed/error' });
    expect(Object.fromEntries(fields(mdn.raw)).Disposition).toBe("automatic-action/MDN-sent-automatically; processed/Error: 906^Erreur 'Autre'");
    expect((await simpleParser(Buffer.from(mdn.raw))).subject).toBe(`${KO_PREFIX}[906] Accusé de traitement`);
  });

  it('Original-Recipient comes from the original\'s field when it has one', () => {
    const mdn = mdnFor(original({ headers: { 'Original-Recipient': 'rfc822;alias@passerelle-test.mssante.fr' } }));
    expect(Object.fromEntries(fields(mdn.raw))['Original-Recipient']).toBe('rfc822;alias@passerelle-test.mssante.fr');
  });

  it('names no patient and no subject outside the returned original', () => {
    const mdn = mdnFor(original(), { disposition: 'processed/error', errorText: '550 5.7.5 Message could not be decrypted' });
    const [human, machine] = parts(mdn.raw);
    const head = dec(mdn.raw).slice(0, dec(mdn.raw).indexOf('\r\n\r\n'));
    for (const t of [human.body, machine.body, head]) {
      expect(t).not.toMatch(/TESTPATIENT|Camille|CR biologie|1970/);
    }
  });

  it('only to the return path (RFC 8098 §2.1, the guide): not when Disposition-Notification-To is another address', () => {
    const raw = original({ headers: { 'Disposition-Notification-To': 'secretariat@medecin.mssante.fr' } });
    expect(buildMdn({ originalHeaders: headerBag(raw), originalSender: SENDER, originalMessageId: null, finalRecipient: FINAL, from: 'p@x.fr', reportingUa: 'x', disposition: 'processed' })).toBeNull();
    expect(mdnRecipient({ 'Disposition-Notification-To': 'Dr Martin <DR.Martin@medecin.mssante.fr>' }, SENDER)).toBe('DR.Martin@medecin.mssante.fr');
    expect(mdnRecipient({ 'Disposition-Notification-To': 'secretariat@medecin.mssante.fr' }, SENDER, { requireSenderMatch: false })).toBe('secretariat@medecin.mssante.fr');
  });
});

describe('gateway failures → the guide\'s codes (a data table)', () => {
  it('every row names a code of the guide\'s tables, every code has its table and label', () => {
    for (const r of MDN_ERROR_RULES) expect(GUIDE_ERROR_CODES).toHaveProperty(r.code);
    expect(Object.keys(GUIDE_ERROR_CODES)).toEqual(['0', '100', '101', '102', '103', '198', '199', '200', '201', '202', '203', '207', '900', '901', '902', '903', '904', '905', '906']);
    expect(GUIDE_ERROR_CODES['906']).toMatchObject({ table: 'applicationErrorCondition', label: "Erreur 'Autre'" });
    expect(GUIDE_ERROR_CODES['207']).toMatchObject({ table: 'messageErrorCondition', label: 'Application error' });
  });

  it('recognises each kind from its reply line and maps it through its row', () => {
    for (const r of Object.values(REPLY_CODES)) {
      const reply = `${r.code} ${r.status} ${r.text} (detail)`;
      const k = kindOfReply(reply);
      // Kinds sharing one reply (STORE_UNAVAILABLE, WORKER_FAILED) are recognised as the first.
      expect(REPLY_CODES[k!]).toEqual(r);
      const row = MDN_ERROR_RULES.find((x) => x.kind === k);
      const e = mdnErrorFor(reply);
      if (row) expect(e.code).toBe(row.code);
      expect(GUIDE_ERROR_CODES[e.code as keyof typeof GUIDE_ERROR_CODES].label).toBe(e.label);
    }
    for (const kind of ['CANNOT_OPEN', 'DECRYPT_FAILED', 'SIGNATURE_INVALID', 'CANNOT_TRANSLATE', 'CANNOT_SEAL', 'UNKNOWN_RECIPIENT', 'NO_ROUTE', 'EXPIRED', 'REMOTE_PERMANENT', 'BAD_SENDER'] as ErrorKind[]) {
      expect(MDN_ERROR_RULES.some((x) => x.kind === kind), kind).toBe(true);
    }
  });

  it('falls back on the enhanced status for a peer\'s reply, then on 906', () => {
    expect(kindOfReply('554 5.7.1 refused by the relay')).toBeNull();
    expect(mdnErrorFor('554 5.7.1 refused by the relay')).toEqual({ code: '906', label: "Erreur 'Autre'" });
    expect(mdnErrorFor('550 5.6.9 some new content rule')).toEqual({ code: '906', label: "Erreur 'Autre'" });
    expect(mdnErrorFor('not a reply')).toEqual({ code: '906', label: "Erreur 'Autre'" });
    expect(mdnErrorFor(undefined)).toEqual({ code: '906', label: "Erreur 'Autre'" });
  });
});

describe('MssanteAdapter.dispositionNotice (the policy)', () => {
  const transport = { send: async () => [], close: async () => {} };
  const env = (raw: Uint8Array): Envelope => ({
    id: '01JD2Z6Q7X0000000000000000', source: 'mssante', mailFrom: SENDER, recipients: [FINAL],
    messageId: '<orig-1@medecin.mssante.fr>', receivedAt: Date.now(), size: raw.length, rawRef: 'db:x',
  });

  it('gives the original and its IHE_XDM.ZIP and PDF back, with the code for the failure', async () => {
    const raw = original();
    const a = new MssanteAdapter({ domain: 'passerelle-test.mssante.fr', nil: 'Passerelle/0.1', transport });
    const out = (await a.dispositionNotice({ original: env(raw), originalRaw: raw, recipient: FINAL, disposition: 'processed/error', errorText: '550 5.7.5 Message could not be decrypted' }))!;
    expect(out.to).toEqual([SENDER]);
    expect(parts(out.wire!).map((p) => p.type)).toEqual(['text/plain', 'message/disposition-notification', 'message/rfc822', 'application/zip', 'application/pdf']);
    expect(Object.fromEntries(fields(out.wire!)).Disposition).toBe("automatic-action/MDN-sent-automatically; processed/Error: 906^Erreur 'Autre'");
  });

  it('gives nothing back from inside an encrypted original', async () => {
    const raw = new TextEncoder().encode(
      `From: ${SENDER}\r\nTo: ${FINAL}\r\nMessage-ID: <orig-1@medecin.mssante.fr>\r\nDisposition-Notification-To: ${SENDER}\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\r\n',
    );
    const a = new MssanteAdapter({ domain: 'passerelle-test.mssante.fr', nil: 'Passerelle/0.1', transport });
    const out = (await a.dispositionNotice({ original: env(raw), originalRaw: raw, recipient: FINAL, disposition: 'processed/error', errorText: '550 5.7.5 Message could not be decrypted' }))!;
    expect(parts(out.wire!).map((p) => p.type)).toEqual(['text/plain', 'message/disposition-notification', 'message/rfc822']);
  });

  it('returns only the header section of an original above the size limit, or on request', async () => {
    const raw = original();
    for (const mdn of [{ fullOriginalMaxBytes: 100 }, { original: 'headers' as const }]) {
      const a = new MssanteAdapter({ domain: 'passerelle-test.mssante.fr', nil: 'Passerelle/0.1', transport, mdn });
      const out = (await a.dispositionNotice({ original: env(raw), originalRaw: raw, recipient: FINAL, disposition: 'processed' }))!;
      const p = parts(out.wire!);
      expect(p.map((x) => x.type)).toEqual(['text/plain', 'message/disposition-notification', 'text/rfc822-headers']);
      expect(p[2].body).not.toMatch(/Compte rendu/);
      expect(Buffer.from(p[0].body, 'latin1').toString('utf8')).toContain("dont l'en-tête figure ci-dessous");
    }
  });
});
