/**
 * The `IHE_XDM.ZIP` entries' CRC-32 is an injected function: the Node runtime's (zlib's, on
 * the pipeline threads) writes the same archive as the JavaScript default, and reading checks
 * every entry with either, a corrupted entry refused by both.
 */
import { describe, expect, it } from 'vitest';
import { zlibCrc32, zlibDeflateRaw } from '../../app/node/native-deflate.js';
import { buildXdm, readXdm, XDS_CODES, cxPatientId, type XdmDocument } from '../../mappings/xdm/index.js';
import { readZipSafely, ZipSafetyError } from '../../mappings/xdm/zip-read.js';

const NOW = new Date('2026-11-20T10:15:00Z');
const text = '<ClinicalDocument xmlns="urn:hl7-org:v3">' + '<component>Potassium 6,8 mmol/L</component>'.repeat(200) + '</ClinicalDocument>';
const docs: XdmDocument[] = [{
  data: new TextEncoder().encode(text),
  mimeType: 'text/xml', uniqueId: '2.25.1.2^DOC1', ...XDS_CODES.crBio, title: 'Compte rendu', creationTime: NOW,
}];
const patientId = cxPatientId('2.25.1.2', 'LAB1/42');

describe('XDM CRC-32', () => {
  it("builds the same archive byte for byte with zlib's CRC-32, and reads it back with either", async () => {
    const a = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1', deflateRaw: zlibDeflateRaw });
    const b = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1', deflateRaw: zlibDeflateRaw, crc32: zlibCrc32 });
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    for (const crc32 of [undefined, zlibCrc32]) expect((await readXdm(b, {}, { crc32 })).issues).toEqual([]);
  });

  it('refuses an entry whose stored CRC-32 does not match, with either', async () => {
    const zip = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1' });
    // The CRC-32 the central directory gives the first entry (INDEX.HTM, stored): what is checked.
    const bad = zip.slice();
    const dv = new DataView(bad.buffer);
    const eocd = bad.length - 22;
    expect(dv.getUint32(eocd, true)).toBe(0x06054b50);
    const firstEntry = dv.getUint32(eocd + 16, true);
    bad[firstEntry + 16] = bad[firstEntry + 16]! ^ 0xff;
    for (const crc32 of [undefined, zlibCrc32]) {
      const err = (() => {
        try {
          readZipSafely(bad, {}, undefined, crc32);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(ZipSafetyError);
      expect((err as ZipSafetyError).rule).toBe('zip-corrupt');
      expect((err as Error).message).toContain('fails its CRC-32 check');
    }
  });
});
