import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildXdm, readXdm, readZipSafely, XdmError, ZipSafetyError, XDS_CODES, cxPatientId, type XdmDocument } from '../../mappings/xdm/index.js';

const enc = new TextEncoder();
const NOW = new Date('2026-11-20T10:15:00Z');
const cda = enc.encode('<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Compte rendu</title></ClinicalDocument>');
const pdf = enc.encode('%PDF-1.7 fake pdf for packing');
const docs: XdmDocument[] = [
  { data: cda, mimeType: 'text/xml', uniqueId: '2.25.1.3^abc', ...XDS_CODES.crBio, title: 'Compte rendu', creationTime: NOW, author: { institution: 'Labo Bio 33' } },
  { data: pdf, mimeType: 'application/pdf', uniqueId: '2.25.1.3.2', ...XDS_CODES.pdf, title: 'Copie PDF', creationTime: NOW },
];
const patientId = cxPatientId('2.25.1.2', 'LAB0000033/0000423187');

function tmp(name: string, data: Uint8Array): string {
  const f = join(mkdtempSync(join(tmpdir(), 'xdm-')), name);
  writeFileSync(f, data);
  return f;
}

describe('IHE XDM build', () => {
  it('builds INDEX.HTM, README.TXT, METADATA.XML and DOC0001.XML… that an independent unzip reads', async () => {
    const zip = await buildXdm(docs, { patientId, now: NOW });
    const file = tmp('IHE_XDM.ZIP', zip);
    const listing = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.endsWith('/'));
    expect(listing.sort()).toEqual(['IHE_XDM/SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/DOC0002.PDF', 'IHE_XDM/SUBSET01/METADATA.XML', 'INDEX.HTM', 'README.TXT']);
    expect(execFileSync('unzip', ['-tq', file], { encoding: 'utf8' })).toMatch(/No errors/);
    const doc1 = execFileSync('unzip', ['-p', file, 'IHE_XDM/SUBSET01/DOC0001.XML']);
    expect(new Uint8Array(doc1)).toEqual(cda);
  });

  it('METADATA.XML carries every DocumentEntry attribute, with an SHA-1 that an independent hash agrees with', async () => {
    const zip = await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1' });
    const meta = execFileSync('unzip', ['-p', tmp('IHE_XDM.ZIP', zip), 'IHE_XDM/SUBSET01/METADATA.XML'], { encoding: 'utf8' });
    expect(meta).toContain('<lcm:SubmitObjectsRequest');
    expect(meta).toContain(`<rim:Value>${createHash('sha1').update(cda).digest('hex')}</rim:Value>`);
    expect(meta).toContain(`<rim:Value>${cda.length}</rim:Value>`);
    expect(meta).toContain('<rim:Value>20261120101500</rim:Value>');
    expect(meta).toContain('<rim:Value>DOC0001.XML</rim:Value>');
    expect(meta).toContain('nodeRepresentation="urn:ihe:lab:xd-lab:2008"');
    expect(meta).toContain('nodeRepresentation="urn:ihe:iti:xds-sd:pdf:2008"');
    expect(meta).toContain('nodeRepresentation="11502-2"');
    expect(meta).toContain('value="2.25.1.3^abc"');
    expect(meta).toContain(`value="${patientId.replace(/&/g, "&amp;")}"`);
    expect(meta).toContain('<rim:Value>Labo Bio 33</rim:Value>');
  });
});

describe('IHE XDM read', () => {
  it('reads back documents with their metadata, hash and size checked', async () => {
    const x = await readXdm(await buildXdm(docs, { patientId, now: NOW, submissionSetId: '2.25.1.8.1' }));
    expect(x.issues).toEqual([]);
    expect(x.patientId).toBe(patientId);
    expect(x.submissionSetId).toBe('2.25.1.8.1');
    expect(x.documents.map((d) => [d.path, d.metadata.mimeType, d.metadata.uniqueId, d.metadata.formatCode?.code, d.metadata.typeCode?.code])).toEqual([
      ['IHE_XDM/SUBSET01/DOC0001.XML', 'text/xml', '2.25.1.3^abc', 'urn:ihe:lab:xd-lab:2008', '11502-2'],
      ['IHE_XDM/SUBSET01/DOC0002.PDF', 'application/pdf', '2.25.1.3.2', 'urn:ihe:iti:xds-sd:pdf:2008', '11502-2'],
    ]);
    expect(x.documents[0].data).toEqual(cda);
  });

  it('reports a document whose hash does not match its metadata', async () => {
    const good = readZipSafely(await buildXdm(docs, { patientId, now: NOW }));
    const files = Object.fromEntries(good.map((e) => [e.name, e.data]));
    files['IHE_XDM/SUBSET01/DOC0001.XML'] = enc.encode('<ClinicalDocument xmlns="urn:hl7-org:v3">tampered</ClinicalDocument>');
    const x = await readXdm(zipSync(files));
    expect(x.issues.join('\n')).toMatch(/Document01: size .* differs|Document01: size \d+ in metadata/);
    expect(x.issues.join('\n')).toMatch(/SHA-1 hash does not match/);
  });

  it('refuses an archive without METADATA.XML', async () => {
    await expect(readXdm(zipSync({ 'README.TXT': enc.encode('hi') }))).rejects.toThrow(XdmError);
  });

  it('refuses path traversal, absolute and backslash names', () => {
    for (const name of ['../evil.txt', 'IHE_XDM/../../etc/passwd', '/abs.txt', 'a\\..\\b.txt', 'C:/x.txt']) {
      const zip = zipSync({ [name]: enc.encode('x') });
      expect(() => readZipSafely(zip), name).toThrow(expect.objectContaining({ reason: 'path-traversal' }));
    }
  });

  it('refuses a zip bomb (compression ratio) and oversize entries, limits passed as options', () => {
    const bomb = zipSync({ 'IHE_XDM/SUBSET01/DOC0001.XML': new Uint8Array(30 << 20) }, { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => readZipSafely(bomb)).toThrow(expect.objectContaining({ reason: 'entry-too-large' }));
    expect(() => readZipSafely(bomb, { maxEntryBytes: 64 << 20, maxTotalBytes: 64 << 20 })).toThrow(expect.objectContaining({ reason: 'ratio' }));
    const small = zipSync({ 'A.TXT': new Uint8Array(5000).fill(65) }, { level: 0 });
    expect(() => readZipSafely(small, { maxEntryBytes: 4096 })).toThrow(ZipSafetyError);
    expect(() => readZipSafely(zipSync({ 'A.TXT': new Uint8Array(3000), 'B.TXT': new Uint8Array(3000) }, { level: 0 }), { maxTotalBytes: 5000 })).toThrow(expect.objectContaining({ reason: 'total-too-large' }));
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`F${i}.TXT`, enc.encode('x')]));
    expect(() => readZipSafely(zipSync(many), { maxEntries: 5 })).toThrow(expect.objectContaining({ reason: 'too-many-entries' }));
  });

  it('stops inflating an entry that lies about its size (never trusts declared sizes)', () => {
    const zip = zipSync({ 'BIG.XML': new Uint8Array(8 << 20).fill(32) }, { level: 9 });
    const lying = zip.slice();
    const dv = new DataView(lying.buffer);
    let cd = -1;
    for (let i = lying.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x06054b50) { cd = dv.getUint32(i + 16, true); break; }
    dv.setUint32(cd + 24, 1000, true); // declared uncompressed size: 1000 bytes, in the directory
    dv.setUint32(22, 1000, true); // and in the local header, so that both agree and only inflating can tell
    expect(() => readZipSafely(lying, { maxRatio: 1e9 })).toThrow(expect.objectContaining({ reason: 'entry-too-large' }));
  });

  it('refuses garbage and truncated archives with a typed error', () => {
    expect(() => readZipSafely(enc.encode('not a zip at all'))).toThrow(expect.objectContaining({ reason: 'corrupt' }));
    const zip = zipSync({ 'A.TXT': enc.encode('hello hello hello') });
    const broken = zip.slice();
    broken[40] ^= 0xff;
    expect(() => readZipSafely(broken)).toThrow(ZipSafetyError);
  });
});

describe('content safety rules', async () => {
  const { assertSafeXml, decodeDocumentBase64 } = await import('../../mappings/safety/content-rules.js');
  it('refuses every markup declaration and hidden NULs before any parser, and base64 that does not decode', () => {
    for (const bad of ['<!DOCTYPE a><a/>', '<?xml version="1.0"?><! ENTITY x "y"><a/>', '<!ELEMENT a ANY><a/>', '<\u0000!\u0000D\u0000O\u0000C\u0000T\u0000Y\u0000P\u0000E']) {
      expect(() => assertSafeXml(bad), bad).toThrow(expect.objectContaining({ rule: 'xml-doctype', kind: 'UNSAFE_CONTENT' }));
    }
    expect(() => assertSafeXml('<a>' + 'x'.repeat(100) + '</a>', 50)).toThrow(expect.objectContaining({ rule: 'xml-too-large' }));
    expect(() => assertSafeXml('<?xml version="1.0"?><!-- fine --><a><![CDATA[<x>]]></a>')).not.toThrow();
    expect(decodeDocumentBase64('AQID\nBA==')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(() => decodeDocumentBase64('!!not base64')).toThrow(expect.objectContaining({ rule: 'cda-base64', kind: 'UNREADABLE_CONTENT' }));
  });
});
