/**
 * The XDM metadata's SHA-1 is an injected function: the Node runtime's (`node:crypto`,
 * synchronous) writes the same archive as the WebCrypto default, and reading checks hashes
 * with either.
 */
import { describe, expect, it } from 'vitest';
import { nodeSha1 } from '../../app/node/native-hash.js';
import { buildXdm, readXdm, XDS_CODES, cxPatientId, type XdmDocument } from '../../mappings/xdm/index.js';
import { sha1Hex, webCryptoSha1 } from '../../mappings/xdm/sha1.js';

const NOW = new Date('2026-11-20T10:15:00Z');
const docs: XdmDocument[] = [{
  data: new TextEncoder().encode('<ClinicalDocument xmlns="urn:hl7-org:v3"/>'),
  mimeType: 'text/xml', uniqueId: '2.25.1.2^DOC1', ...XDS_CODES.crBio, title: 'Compte rendu', creationTime: NOW,
}];
const patientId = cxPatientId('2.25.1.2', 'LAB1/42');

describe('XDM SHA-1', () => {
  it('hashes as WebCrypto does (FIPS 180 vector)', async () => {
    const abc = new TextEncoder().encode('abc');
    expect(await sha1Hex(abc)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(await sha1Hex(abc, nodeSha1)).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(await sha1Hex(new Uint8Array(0), webCryptoSha1)).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('builds the same archive byte for byte with the Node digest, and reads it back with either', async () => {
    const a = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1' });
    const b = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1', sha1: nodeSha1 });
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    for (const sha1 of [undefined, nodeSha1]) expect((await readXdm(b, {}, { sha1 })).issues).toEqual([]);
  });

  it('reports a document whose hash does not match, with the Node digest too', async () => {
    const zip = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1', sha1: () => new Uint8Array(20) });
    expect((await readXdm(zip, {}, { sha1: nodeSha1 })).issues.join('\n')).toMatch(/SHA-1 hash does not match/);
  });
});
