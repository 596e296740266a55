/**
 * Fuzzing targets: each is one reader of untrusted input as the gateway runs it, the
 * inputs it is fed (structure-aware generators and mutations of real samples, `corpus.ts`,
 * `mutate.ts`), and the error classes it may throw (`errors.ts`). Every input is bytes; a
 * target decodes them as its stage does (ISO-8859-1 for LNP/1 and HPRIM, UTF-8 for XML).
 *
 * `area` says whose code a finding points at: `xdm`, `cda` and `bridge` findings are kept
 * as known-failing fixtures until the XDM/CDA safety work lands (see `fuzz.test.ts`).
 */
import { concatBytes } from '../../lib/bytes.js';
import fc from 'fast-check';
import { zipSync, type Zippable } from 'fflate';
import { armour, dearmour } from '../../adapters/legacy/armour.js';
import { decodeBody } from '../../adapters/legacy/body.js';
import { decodeContainer } from '../../adapters/legacy/container.js';
import { parseKeyFile } from '../../adapters/legacy/key-file.js';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { LegacyAdapter, type LegacySubmitter } from '../../adapters/legacy/legacy-adapter.js';
import { isLegacyError } from '../../adapters/legacy/legacy-error.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { buildLnpMail } from '../../adapters/legacy/lnp-mail.js';
import { openPayload, readSealHeader, sealPayload } from '../../adapters/legacy/seal.js';
import { encodeBase64 } from '../../lib/base64.js';
import { LNP_ALPHABET } from '../../adapters/legacy/armour.js';
import { readCertificate } from '../../adapters/mssante/smime/certificate-cache.js';
import { DerReader, TagClass, UniversalTag, encodeLength, type BerElement } from '../../lib/der/index.js';
import { readSmimeEntity } from '../../adapters/mssante/smime/mime.js';
import { verifySignedData } from '../../adapters/mssante/smime/verify.js';
import { MssanteAdapter, type NationalTransport } from '../../adapters/mssante/mssante-adapter.js';
import { parseAnchors } from '../../adapters/mssante/tls/anchors.js';
import { checkCertificate } from '../../adapters/mssante/tls/chain-validator.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { xdmToLegacy } from '../../mappings/bridge/xdm-to-legacy.js';
import { cdaToLegacy, readCda } from '../../mappings/cda/read-cda.js';
import { readHprim, readHprimStrict } from '../../mappings/hprim/read.js';
import { readZipSafely } from '../../mappings/xdm/zip-read.js';
import { writeHprim } from '../../mappings/hprim/write.js';
import { headerBag, isNotification, peekHeader } from '../../core/pipeline/header-peek.js';
import { crc32 } from '../../lib/crc32.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { KnownErrorName } from './errors.js';
import {
  CMS_CONTENT, LEGACY_NOW, PKI_AT, RELAY_BOUNCE, cdaCorpus, cmsCorpus, decryptor, fuzzPki, hprimCorpus, legacyCorpus,
  legacyStore, nationalMimeCorpus, trustListCorpus, xdmCorpus,
} from './corpus.js';
import { DER_DICTIONARY, DER_WRAPPERS, applyMutations, bytesOf, latin1Bytes, mutatedArb, mutationArb, pair, type MutationContext } from './mutate.js';

/** Whose code a target exercises. */
export type FuzzArea = 'legacy' | 'mime' | 'hprim' | 'cms' | 'certificate' | 'cda' | 'xdm' | 'bridge';

/** Areas another piece of work owns for now: their findings are known-failing fixtures. */
export const DEFERRED_AREAS: readonly FuzzArea[] = ['cda', 'xdm', 'bridge'];

export interface FuzzTarget {
  name: string;
  /** What the target runs, in a line. */
  description: string;
  area: FuzzArea;
  /** The error classes the stage may throw; anything else is a finding. */
  allowed: readonly KnownErrorName[];
  /** Extra heap + external memory an input may leave behind: `base` + `perByte` × its size. */
  memory: { base: number; perByte: number };
  /** Inputs of the bounded run in `npm test`. */
  boundedRuns: number;
  /** The inputs: generators and mutated samples. */
  arbitrary(): Promise<fc.Arbitrary<Uint8Array>>;
  /** Unmutated samples (each must pass on its own). */
  samples(): Promise<Uint8Array[]>;
  /** Runs one input through the stage. */
  run(input: Uint8Array): Promise<unknown>;
}

const MiB = 1024 * 1024;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder();
const MAX_INPUT = 512 * 1024;

function ctx(samples: Uint8Array[], dictionary: readonly (string | Uint8Array)[], wrappers: readonly (readonly [Uint8Array, Uint8Array])[] = [], maxSize = MAX_INPUT): MutationContext {
  return {
    donors: samples,
    dictionary: dictionary.map((d) => (typeof d === 'string' ? latin1Bytes(d) : d)),
    wrappers,
    maxSize,
  };
}

/** Generated inputs and mutated samples, mixed. */
function mix(generated: fc.Arbitrary<Uint8Array>[], samples: Uint8Array[], c: MutationContext, sampleWeight = 3): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: sampleWeight, arbitrary: mutatedArb(samples, c) },
    ...generated.map((g) => ({ weight: 1, arbitrary: g })),
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  );
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

// ---- LNP/1 ----

const LNP_DICT = ['#BINASCII1#', '#ENDBINASCII1#', '\r\n', '\n', '\r', '=', '==', '00000000', 'FFFFFFFF', ' ', '\t', '-', '+', '$LNP1', '#DESTBEGIN#', ',,#DESTEND#', ',', '\u00e9', '\u0000'];

const passerelleSubmitter: LegacySubmitter = { submit: async () => [], close: async () => {} };
let legacyAdapterCache: LegacyAdapter | null = null;
function legacyAdapter(): LegacyAdapter {
  legacyAdapterCache ??= new LegacyAdapter({ keys: legacyStore(), domain: 'lnp.test', gatewayLocal: 'passerelle', gatewayZone: 'gateway', submitter: passerelleSubmitter, now: () => LEGACY_NOW });
  return legacyAdapterCache;
}

function envelope(over: Partial<Envelope>): Envelope {
  return { id: '01JFUZZ0000000000000000000', source: 'legacy', mailFrom: 'labo.bio33@medical33.lnp.test', recipients: ['jean.dupont.med@interop.lnp.test'], messageId: null, receivedAt: LEGACY_NOW.getTime(), size: 0, rawRef: 'db:fuzz', ...over };
}

/** An armour around random bytes, its length and CRC lines right or wrong. */
const armourArb: fc.Arbitrary<Uint8Array> = fc
  .record({ data: fc.uint8Array({ maxLength: 300 }), lengthDelta: fc.oneof(fc.constant(0), fc.integer({ min: -3, max: 3 })), crcOk: fc.boolean(), lineLength: fc.integer({ min: 1, max: 80 }), eol: fc.constantFrom('\r\n', '\n') })
  .map(({ data, lengthDelta, crcOk, lineLength, eol }) => {
    const b64 = encodeBase64(data, LNP_ALPHABET);
    const lines = ['#BINASCII1#', hex8(data.length + lengthDelta)];
    for (let i = 0; i < b64.length; i += lineLength) lines.push(b64.slice(i, i + lineLength));
    lines.push(hex8(crcOk ? crc32(data) : crc32(data) ^ 1), '#ENDBINASCII1#');
    return latin1Bytes(lines.join(eol));
  });

/** A sealed payload's shape around random bytes: version, year, holder, IV, ciphertext, tag. */
const sealedArb: fc.Arbitrary<Uint8Array> = fc
  .record({ version: fc.oneof(fc.constant(1), fc.nat({ max: 255 })), year: fc.oneof(fc.constantFrom(2025, 2026, 2027, 1900), fc.nat({ max: 0xffff })), holder: fc.oneof(fc.constantFrom('passerelle', 'Master', 'cab.dupuis', ''), fc.string({ maxLength: 70 })), rest: fc.uint8Array({ maxLength: 200 }) })
  .map(({ version, year, holder, rest }) => {
    const h = latin1Bytes(holder);
    return new Uint8Array([version, year >> 8, year & 0xff, h.length & 0xff, ...h, ...rest]);
  });

/** A body plaintext: text, then a destination block well or badly formed. */
const bodyArb: fc.Arbitrary<Uint8Array> = fc
  .record({ text: fc.string({ maxLength: 200 }), dests: fc.array(fc.oneof(fc.constantFrom('jean.dupont.med', 'passerelle', 'a', ''), fc.string({ maxLength: 70 })), { maxLength: 5 }), end: fc.constantFrom(',,#DESTEND#', ',#DESTEND#', ',,#DESTEND#\r\n', '') })
  .map(({ text, dests, end }) => latin1Bytes(`${text}#DESTBEGIN#${dests.join(',')}${end}`));

/** A container: entries with names, flags, sizes and data, consistent or not. */
const containerArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    count: fc.oneof(fc.constant(-1), fc.nat({ max: 0xffff })),
    entries: fc.array(fc.record({
      name: fc.oneof(fc.constantFrom('cr.pdf', '../../etc/passwd', '', '.hidden', 'a\u0000b'), fc.string({ maxLength: 40 })),
      flag: fc.oneof(fc.constantFrom(0, 1), fc.nat({ max: 255 })),
      data: fc.uint8Array({ maxLength: 200 }),
      original: fc.oneof(fc.constant(-1), fc.nat(), fc.constantFrom(64 * MiB, 64 * MiB + 1, 0xffffffff)),
      stored: fc.oneof(fc.constant(-1), fc.nat({ max: 400 })),
    }), { maxLength: 4 }),
    trailing: fc.uint8Array({ maxLength: 4 }),
  })
  .map(({ count, entries, trailing }) => {
    const parts: number[] = [0x4c, 0x50, 0x5a, 0x31];
    const n = count < 0 ? entries.length : count;
    parts.push(n >> 8 & 0xff, n & 0xff);
    for (const e of entries) {
      const name = bytesOf(e.name);
      const original = e.original < 0 ? e.data.length : e.original;
      const stored = e.stored < 0 ? e.data.length : e.stored;
      parts.push(name.length >> 8 & 0xff, name.length & 0xff, ...name, e.flag, original >>> 24 & 0xff, original >>> 16 & 0xff, original >>> 8 & 0xff, original & 0xff, stored >>> 24 & 0xff, stored >>> 16 & 0xff, stored >>> 8 & 0xff, stored & 0xff, ...e.data);
    }
    parts.push(...trailing);
    return new Uint8Array(parts);
  });

const MIME_DICT = [
  'Content-Type: multipart/mixed; boundary="b"\r\n', 'Content-Type: text/plain; charset=ISO-8859-1\r\n', 'Content-Type: application/octet-stream\r\n',
  'Content-Transfer-Encoding: base64\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n', 'Content-Transfer-Encoding: x-uuencode\r\n',
  'Content-Disposition: attachment; filename="a.pdf.lpz"\r\n', "filename*=utf-8''%C3%A9%FF.lpz", 'name="=?UTF-8?B?w6k=?="',
  '\r\n--b\r\n', '\r\n--b--\r\n', '--', '\r\n\r\n', '\r\n ', '\r\n\t', ':', ';', '"', '\\', '<', '>', '@', ',', '(', ')',
  '=?UTF-8?B?', '=?ISO-8859-1?Q?', '=?x-unknown?B?AAAA?=', '?=', '=\r\n', '=FF', '=0', 'From: <a@b.c>\r\n', 'To: a@interop.lnp.test\r\n',
  'X-LNP-Transit: relay1\r\n', '$LNP1\r\n', '#BINASCII1#\r\n', '#ENDBINASCII1#\r\n', 'multipart/report; report-type=delivery-status; boundary=B1',
  'Content-Type: message/delivery-status\r\n', 'Final-Recipient: rfc822; a@b.c\r\n', 'Action: failed\r\n', 'Status: 5.1.1\r\n',
];
const MIME_WRAPPERS = [
  pair('Content-Type: multipart/mixed; boundary="n"\r\n\r\n--n\r\n', '\r\n--n--\r\n'),
  pair('--b\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n', '\r\n--b--\r\n'),
  pair('Content-Type: message/rfc822\r\n\r\n', '\r\n'),
];

// ---- national MIME, S/MIME ----

let nationalAdapterCache: Promise<MssanteAdapter> | null = null;
function nationalAdapter(): Promise<MssanteAdapter> {
  nationalAdapterCache ??= (async () => {
    const pki = fuzzPki();
    const transport: NationalTransport = { send: async () => [], close: async () => {} };
    return new MssanteAdapter({
      domain: 'passerelle-test.mssante.fr', nil: 'Fuzz/1.0', transport,
      smime: { decryptor: await decryptor(), anchors: pki.anchors, crls: () => pki.crls },
      now: () => PKI_AT,
    });
  })();
  return nationalAdapterCache;
}

// ---- DER ----

/** A random BER tree: tags, definite or indefinite lengths, primitive leaves. */
function berTree(depth: number): fc.Arbitrary<Uint8Array> {
  const leaf = fc.record({ tag: fc.oneof(fc.constantFrom(0x02, 0x04, 0x05, 0x06, 0x17, 0x18, 0x0c, 0x03, 0x80, 0x81), fc.nat({ max: 255 })), body: fc.uint8Array({ maxLength: 20 }) })
    .map(({ tag, body }) => new Uint8Array([tag & ~0x20, ...encodeLength(body.length), ...body]));
  if (depth <= 0) return leaf;
  const node = fc.record({ tag: fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa3, 0x24), indefinite: fc.boolean(), kids: fc.array(berTree(depth - 1), { maxLength: 4 }) })
    .map(({ tag, indefinite, kids }) => {
      const body = concatBytes(...kids);
      return indefinite ? new Uint8Array([tag, 0x80, ...body, 0, 0]) : new Uint8Array([tag, ...encodeLength(body.length), ...body]);
    });
  return fc.oneof({ weight: 1, arbitrary: leaf }, { weight: 2, arbitrary: node });
}


/** Reads every element the way the CMS readers do: children, octets, OIDs, times, integers. */
function walkBer(r: DerReader, el: BerElement, depth = 0): number {
  let n = 1;
  if (el.cls === TagClass.universal && el.tag === UniversalTag.octetString) r.octets(el);
  if (el.constructed) {
    for (const c of r.children(el, depth)) n += walkBer(r, c, depth + 1);
  } else if (el.cls === TagClass.universal) {
    if (el.tag === UniversalTag.oid) r.oid(el);
    else if (el.tag === UniversalTag.integer && r.content(el).length <= 6 && !(r.content(el)[0]! & 0x80)) r.smallInt(el);
    else if (el.tag === UniversalTag.utcTime || el.tag === UniversalTag.generalizedTime) r.time(el);
    r.raw(el);
  }
  return n;
}

// ---- HPRIM ----

const HPRIM_DICT = ['****LAB****', '****FIN****', '****FINFICHIER****', 'RES|', 'TEX|', '|', '||', '\r\n', '\n', '\r', '01/02/1970', '1234567890123 45', '31/12/2026 23h59', '|N|', '|A|', '|C|', '|HH|', '|F|', '\u00e9', '\u0000', '<=1.0', '>5'];

const resLineArb = fc.array(fc.oneof(fc.constantFrom('', 'N', 'A', 'C', 'H', 'HH', 'L', 'F', 'R', '6.9', 'mmol/l', 'K', 'Potassium', '<=1.0', '1-3'), fc.string({ maxLength: 12 })), { minLength: 0, maxLength: 16 })
  .map((f) => `RES|${f.join('|')}`);

/** An HPRIM text: header lines, maybe a report date, free text, a LAB block, end markers. */
const hprimArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    header: fc.array(fc.oneof(fc.constantFrom('', 'DUPONT', 'Jean', '01/02/1970', '1234567890123 45', 'LABO33 Laboratoire', 'MED1 Dr Martin'), fc.string({ maxLength: 30 })), { minLength: 0, maxLength: 14 }),
    reportDate: fc.option(fc.constantFrom('23/11/2026', '23/11/2026 10h15', '23/11/2026 10:15:00')),
    free: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
    lab: fc.array(fc.oneof(resLineArb, fc.string({ maxLength: 30 }).map((s) => `TEX|${s}`), fc.constantFrom('****LAB****', '****FIN****', '')), { maxLength: 8 }),
    open: fc.boolean(), close: fc.boolean(), end: fc.boolean(), eol: fc.constantFrom('\r\n', '\n', '\r'),
  })
  .map((h) => latin1Bytes([
    ...h.header, ...(h.reportDate ? [h.reportDate] : []), ...h.free, ...(h.open ? ['****LAB****'] : []), ...h.lab, ...(h.close ? ['****FIN****'] : []), ...(h.end ? ['****FINFICHIER****'] : []),
  ].join(h.eol)));

// ---- XML ----

const XML_DICT = [
  '<!DOCTYPE ClinicalDocument [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>', '<!DOCTYPE x SYSTEM "file:///etc/passwd">', '&a;', '&b;', '&lt;', '&#0;', '&#x110000;', '&unknown;',
  '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>', '<?pi x?>', 'xmlns="urn:hl7-org:v3"', 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
  'xsi:type="PQ"', 'xsi:type="IVL_PQ"', 'xsi:type="CD"', 'xsi:type="ST"', '<value xsi:type="PQ" value="1" unit="g/L"/>', '<low value="1" inclusive="false"/>', '<high value="5"/>',
  '<observationMedia ID="m"><value mediaType="application/pdf" representation="B64">JVBERi0=</value></observationMedia>', 'representation="B64"', 'mediaType="image/png"',
  'ID="x"', '<reference value="#x"/>', '<reference value="#"/>', '<templateId root="1.3.6.1.4.1.19376.1.3.3"/>', '<code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/>',
  '<effectiveTime value="20261123"/>', 'value="99999999999999999999"', '<', '>', '"', "'", '=', '/', '\u00e9', '\u0000', '\uFFFF',
];
const XML_WRAPPERS = [pair('<section>', '</section>'), pair('<component>', '</component>'), pair('<content>', '</content>'), pair('<list><item>', '</item></list>'), pair('<table><tr><td>', '</td></tr></table>'), pair('<entry><organizer>', '</organizer></entry>')];

const ZIP_DICT: Uint8Array[] = [
  new Uint8Array([0x50, 0x4b, 0x03, 0x04]), new Uint8Array([0x50, 0x4b, 0x01, 0x02]), new Uint8Array([0x50, 0x4b, 0x05, 0x06]), new Uint8Array([0x50, 0x4b, 0x06, 0x06]),
  bytesOf('../'), bytesOf('/etc/passwd'), bytesOf('C:\\'), bytesOf('IHE_XDM/SUBSET01/METADATA.XML'), bytesOf('IHE_XDM/SUBSET01/DOC0001.XML'), new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array([0, 0, 0, 0]),
];

/**
 * An XDM archive re-packed (valid ZIP, right CRCs) from a sample whose entries were
 * mutated, renamed or joined by another: reaches METADATA.XML and the CDA inside, which
 * byte mutations of the archive rarely do (they break a CRC first).
 */
function repackedXdmArb(samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const unpacked = samples.map((z) => readZipSafely(z));
  const all = unpacked.flat().map((e) => e.data);
  const c = ctx(all, XML_DICT, XML_WRAPPERS, 256 * 1024);
  const names = ['../IHE_XDM/SUBSET01/DOC0001.XML', '/IHE_XDM/SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/doc0001.xml', 'IHE_XDM/SUBSET02/METADATA.XML', 'IHE_XDM/SUBSET01/METADATA.XML',
    'IHE_XDM/SUBSET01/DOC0002.PDF', 'C:/DOC0001.XML', 'IHE_XDM\\SUBSET01\\DOC0001.XML', 'IHE_XDM/SUBSET01/./DOC0001.XML', 'IHE_XDM/SUBSET01/', 'IHE_XDM/SUBSET01/DOC\u0000.XML'];
  return fc
    .record({
      sample: fc.nat(), edits: fc.array(fc.record({ entry: fc.nat(), muts: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }),
      rename: fc.option(fc.record({ entry: fc.nat(), name: fc.constantFrom(...names) })), extra: fc.option(fc.record({ name: fc.constantFrom(...names), donor: fc.nat() })), level: fc.constantFrom(0, 6),
    })
    .map(({ sample, edits, rename, extra, level }) => {
      const entries = unpacked[sample % unpacked.length]!.map((e) => ({ ...e }));
      for (const e of edits) {
        const x = entries[e.entry % entries.length]!;
        x.data = applyMutations(x.data, e.muts, c);
      }
      if (rename) entries[rename.entry % entries.length]!.name = rename.name;
      if (extra) entries.push({ name: extra.name, data: all[extra.donor % all.length]! });
      const zippable: Zippable = {};
      for (const e of entries) zippable[e.name] = [e.data, { level: level as 0 | 6 }];
      return zipSync(zippable);
    });
}

// ---- targets ----

export const TARGETS: FuzzTarget[] = [
  {
    name: 'lnp-armour',
    description: 'dearmour, then open the payload for passerelle (armour.ts, base64.ts, seal.ts)',
    area: 'legacy',
    allowed: ['LegacyError'],
    memory: { base: 32 * MiB, perByte: 32 },
    boundedRuns: 150,
    samples: async () => legacyCorpus().armours,
    async arbitrary() {
      const s = legacyCorpus().armours;
      return mix([armourArb], s, ctx(s, LNP_DICT));
    },
    async run(input) {
      const sealed = dearmour(latin1.decode(input));
      return openPayload(legacyStore(), sealed, { now: LEGACY_NOW, expectedHolder: 'passerelle' });
    },
  },
  {
    name: 'lnp-seal',
    description: 'read a sealed payload header and open it, with and without an expected holder (seal.ts, key-store.ts)',
    area: 'legacy',
    allowed: ['LegacyError'],
    memory: { base: 32 * MiB, perByte: 32 },
    boundedRuns: 150,
    samples: async () => legacyCorpus().sealed,
    async arbitrary() {
      const s = legacyCorpus().sealed;
      return mix([sealedArb], s, ctx(s, ['passerelle', 'Master', '\u0001', '\u00ff']));
    },
    async run(input) {
      readSealHeader(input);
      try {
        await openPayload(legacyStore(), input, { now: LEGACY_NOW });
      } catch (err) {
        if (!isLegacyError(err)) throw err;
      }
      return openPayload(legacyStore(), input, { now: LEGACY_NOW, expectedHolder: 'passerelle' });
    },
  },
  {
    name: 'lnp-body',
    description: 'a body plaintext sealed for passerelle, armoured in a mail, opened by openLnpMail (body.ts, lnp-codec.ts)',
    area: 'legacy',
    allowed: ['LegacyError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 100,
    samples: async () => legacyCorpus().bodies,
    async arbitrary() {
      const s = legacyCorpus().bodies;
      return mix([bodyArb], s, ctx(s, LNP_DICT));
    },
    async run(input) {
      decodeBody(input);
      return openSealedMail(input, []);
    },
  },
  {
    name: 'lnp-container',
    description: 'decode an LPZ1 container, and open it sealed as the attachment of a mail (container.ts, lnp-codec.ts)',
    area: 'legacy',
    allowed: ['LegacyError'],
    memory: { base: 32 * MiB, perByte: 2 * 1032 },
    boundedRuns: 120,
    samples: async () => legacyCorpus().containers,
    async arbitrary() {
      const s = legacyCorpus().containers;
      return mix([containerArb], s, ctx(s, [new Uint8Array([0x4c, 0x50, 0x5a, 0x31]), new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array([0x04, 0x00, 0x00, 0x01]), new Uint8Array([0, 0]), bytesOf('../')]));
    },
    async run(input) {
      try {
        decodeContainer(input);
      } catch (err) {
        if (!isLegacyError(err)) throw err;
      }
      const body = latin1Bytes('Bonjour\r\n#DESTBEGIN#jean.dupont.med,,#DESTEND#');
      return openSealedMail(body, [input]);
    },
  },
  {
    name: 'lnp-mail',
    description: 'LegacyAdapter.open on a relayed mail: MIME, $LNP1, armour, payload, body, containers (lnp-mail.ts, legacy-adapter.ts)',
    area: 'legacy',
    allowed: ['GatewayError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 120,
    samples: async () => legacyCorpus().mails,
    async arbitrary() {
      const s = legacyCorpus().mails;
      return mix([], s, ctx(s, [...MIME_DICT, ...LNP_DICT], MIME_WRAPPERS), 6);
    },
    async run(input) {
      return legacyAdapter().open(input, envelope({}));
    },
  },
  {
    name: 'relay-bounce',
    description: 'LegacyAdapter.open on a relay bounce to the gateway from <> (relay-bounce.ts, header-peek.ts)',
    area: 'legacy',
    allowed: ['GatewayError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 100,
    samples: async () => [latin1Bytes(RELAY_BOUNCE)],
    async arbitrary() {
      const s = [latin1Bytes(RELAY_BOUNCE), ...legacyCorpus().mails.slice(0, 1)];
      return mix([], s, ctx(s, MIME_DICT, MIME_WRAPPERS), 6);
    },
    async run(input) {
      return legacyAdapter().open(input, envelope({ mailFrom: '', recipients: ['passerelle@gateway.lnp.test'] }));
    },
  },
  {
    name: 'key-file',
    description: 'parse a key file under several names, and load it into a key store (key-file.ts, key-store.ts)',
    area: 'legacy',
    allowed: ['LegacyError'],
    memory: { base: 16 * MiB, perByte: 32 },
    boundedRuns: 150,
    samples: async () => legacyCorpus().keyFiles.map((k) => k.bytes),
    async arbitrary() {
      const s = legacyCorpus().keyFiles.map((k) => k.bytes);
      return mix([fc.uint8Array({ minLength: 256, maxLength: 256 })], s, ctx(s, ['LNPK', '\u0000\u0001', 'passerelle', 'Master', '\u0000\u0000\u0007\u00ea']));
    },
    async run(input) {
      const names = ['passerelle.126', 'Master.125', 'cab.dupuis.126', latin1.decode(input.subarray(8, 40)).replace(/\u0000+$/, '') + '.126'];
      KeyStore.fromFiles(names.map((name) => ({ name, bytes: input })));
      for (const name of names) {
        try {
          parseKeyFile(name, input);
        } catch (err) {
          if (!isLegacyError(err)) throw err;
        }
      }
      return parseKeyFile('passerelle.126', input);
    },
  },
  {
    name: 'mime-national',
    description: 'MssanteAdapter.open on a national message: S/MIME layers, MIME (mailparser), attachments (mssante-adapter.ts, smime/protect.ts, smime/mime.ts)',
    area: 'mime',
    allowed: ['GatewayError'],
    memory: { base: 64 * MiB, perByte: 128 },
    boundedRuns: 80,
    samples: () => nationalMimeCorpus(),
    async arbitrary() {
      const s = await nationalMimeCorpus();
      return mix([], s, ctx(s, [...MIME_DICT, 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n', 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="s"\r\n', '\r\n--s\r\n', 'MIIB', '===='], MIME_WRAPPERS), 6);
    },
    async run(input) {
      return (await nationalAdapter()).open(input, envelope({ source: 'mssante', mailFrom: 'alice.martin@medecin.mssante.fr', recipients: ['jean.dupont.med@passerelle-test.mssante.fr'] }));
    },
  },
  {
    name: 'mime-peek',
    description: 'the header readers every listener and adapter use before opening: readSmimeEntity, headerBag, peekHeader, isNotification',
    area: 'mime',
    allowed: ['Base64BodyError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 150,
    samples: async () => [...(await nationalMimeCorpus()), ...legacyCorpus().mails],
    async arbitrary() {
      const s = [...(await nationalMimeCorpus()), ...legacyCorpus().mails];
      return mix([], s, ctx(s, MIME_DICT, MIME_WRAPPERS), 6);
    },
    async run(input) {
      headerBag(input);
      peekHeader(input, 'message-id');
      isNotification(input, 'a@b.test');
      return readSmimeEntity(input);
    },
  },
  {
    name: 'hprim',
    description: 'read HPRIM (tolerant and strict) and write back what was read (mappings/hprim)',
    area: 'hprim',
    allowed: ['HprimError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 200,
    samples: async () => hprimCorpus(),
    async arbitrary() {
      const s = hprimCorpus();
      return mix([hprimArb], s, ctx(s, HPRIM_DICT));
    },
    async run(input) {
      const text = latin1.decode(input);
      const r = readHprim(text);
      if (r.report) readHprim(writeHprim(r.report));
      return readHprimStrict(text);
    },
  },
  {
    name: 'hprim-to-national',
    description: 'translate an HPRIM text for the national side: CR-BIO and IHE_XDM.ZIP (mappings/bridge/hprim-to-national.ts)',
    area: 'bridge',
    allowed: [],
    memory: { base: 64 * MiB, perByte: 256 },
    boundedRuns: 40,
    samples: async () => hprimCorpus(),
    async arbitrary() {
      const s = hprimCorpus();
      return mix([hprimArb], s, ctx(s, HPRIM_DICT));
    },
    async run(input) {
      return hprimToNational(latin1.decode(input), { now: LEGACY_NOW, documentId: 'fuzz' });
    },
  },
  {
    name: 'cda',
    description: 'read a CDA document and map it for the legacy side (mappings/cda/read-cda.ts)',
    area: 'cda',
    allowed: ['CdaReadError', 'GatewayError'],
    memory: { base: 96 * MiB, perByte: 256 },
    boundedRuns: 25,
    samples: async () => { const c = await cdaCorpus(); return [...c.own, ...c.official, ...c.negative]; },
    async arbitrary() {
      const c = await cdaCorpus();
      const s = [...c.own, ...c.own, ...c.official, ...c.negative];
      return mix([], s, ctx(s, XML_DICT, XML_WRAPPERS));
    },
    async run(input) {
      const xml = utf8.decode(input);
      readCda(xml);
      return cdaToLegacy(xml);
    },
  },
  {
    name: 'xdm',
    description: 'read an IHE_XDM.ZIP and map it for the legacy side: ZIP, METADATA.XML, CDA (mappings/xdm, mappings/bridge/xdm-to-legacy.ts)',
    area: 'xdm',
    allowed: ['XdmError', 'ZipSafetyError', 'GatewayError'],
    memory: { base: 96 * MiB, perByte: 512 },
    boundedRuns: 40,
    samples: () => xdmCorpus(),
    async arbitrary() {
      const s = await xdmCorpus();
      return mix([repackedXdmArb(s), repackedXdmArb(s), repackedXdmArb(s)], s, ctx(s, ZIP_DICT));
    },
    async run(input) {
      return xdmToLegacy(input);
    },
  },
  {
    name: 'der',
    description: 'walk every element of a BER/DER object as the CMS readers do (lib/der/reader.ts)',
    area: 'cms',
    allowed: ['DerError'],
    memory: { base: 16 * MiB, perByte: 64 },
    boundedRuns: 200,
    samples: async () => { const c = await cmsCorpus(); return [...c.enveloped, ...c.signed, ...fuzzPki().certificateDers]; },
    async arbitrary() {
      const c = await cmsCorpus();
      const s = [...c.enveloped, ...c.signed, ...fuzzPki().certificateDers];
      return mix([berTree(4)], s, ctx(s, DER_DICTIONARY, DER_WRAPPERS));
    },
    async run(input) {
      const r = new DerReader(input);
      return walkBer(r, r.root());
    },
  },
  {
    name: 'cms-decrypt',
    description: 'decrypt an EnvelopedData / AuthEnvelopedData for the gateway (smime/decrypt.ts)',
    area: 'cms',
    allowed: ['GatewayError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 60,
    samples: async () => (await cmsCorpus()).enveloped,
    async arbitrary() {
      const s = (await cmsCorpus()).enveloped;
      return mix([berTree(3)], s, ctx(s, DER_DICTIONARY, DER_WRAPPERS), 6);
    },
    async run(input) {
      return (await decryptor()).decrypt(input);
    },
  },
  {
    name: 'cms-verify',
    description: 'verify a SignedData (opaque or detached) and its signer chain (smime/verify.ts, certificate-cache.ts)',
    area: 'cms',
    allowed: ['GatewayError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 60,
    samples: async () => (await cmsCorpus()).signed,
    async arbitrary() {
      const s = (await cmsCorpus()).signed;
      return mix([berTree(3)], s, ctx(s, DER_DICTIONARY, DER_WRAPPERS), 6);
    },
    async run(input) {
      const pki = fuzzPki();
      return verifySignedData(input, { anchors: pki.anchors, crls: pki.crls, at: PKI_AT, detachedContent: CMS_CONTENT });
    },
  },
  {
    name: 'certificate',
    description: 'read a certificate as the S/MIME layer does, as trust anchors, and check it against the anchors (certificate-cache.ts, tls/anchors.ts, tls/chain-validator.ts)',
    area: 'certificate',
    allowed: ['DerError', 'AnchorsFormatError'],
    memory: { base: 32 * MiB, perByte: 64 },
    boundedRuns: 60,
    samples: async () => fuzzPki().certificateDers,
    async arbitrary() {
      const s = fuzzPki().certificateDers;
      return mix([berTree(4)], s, ctx(s, DER_DICTIONARY, DER_WRAPPERS));
    },
    async run(input) {
      const pki = fuzzPki();
      const anchors = parseAnchors(input, 'fuzz');
      for (const c of anchors.certificates) await checkCertificate(c, { anchors: pki.anchors, crls: pki.crls, at: PKI_AT, purpose: 'smime-sign' });
      return readCertificate(input.slice());
    },
  },
  {
    name: 'trust-list',
    description: 'parse the national trust list and match certificates against it (trust-list/trust-list.ts, trust-list/dn.ts)',
    area: 'certificate',
    allowed: ['TrustListFormatError'],
    memory: { base: 64 * MiB, perByte: 256 },
    boundedRuns: 40,
    samples: async () => trustListCorpus(),
    async arbitrary() {
      const s = trustListCorpus();
      return mix([], s, ctx(s, [...XML_DICT, '<Domaine><Nom>a.mssante.fr</Nom><DNCertificatOperateur>CN=a,O=b\\,c,C=FR</DNCertificatOperateur></Domaine>', 'CN=', ',', '+', '\\', '#0403', '"'], [pair('<Domaine>', '</Domaine>')]));
    },
    async run(input) {
      const list = parseTrustList(utf8.decode(input), 'fuzz');
      for (const d of list.domains().slice(0, 50)) {
        list.acceptsCertificate(d.domain, d.operatorDn);
        list.domainsOfCertificate(d.operatorDn);
      }
      return list;
    },
  },
];

/** Seal a body and containers for passerelle, write the mail, open it with openLnpMail. */
async function openSealedMail(body: Uint8Array, containers: Uint8Array[]): Promise<unknown> {
  const keys = legacyStore();
  const iv = new Uint8Array(12);
  const sealedBody = await sealPayload(keys, 'passerelle', 2026, body, iv);
  const attachments = [];
  for (const [i, c] of containers.entries()) attachments.push({ filename: `piece-${i + 1}.lpz`, sealed: await sealPayload(keys, 'passerelle', 2026, c, iv) });
  const raw = buildLnpMail({
    from: 'labo.bio33@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], subject: 'Compte rendu', messageId: '<fuzz@lnp.test>',
    date: 'Mon, 23 Nov 2026 03:00:00 +0000', armour: armour(sealedBody), attachments, transit: 'relay1',
  });
  return openLnpMail(keys, raw, { now: LEGACY_NOW, holder: 'passerelle' });
}

export function targetNamed(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzzing target ${name} (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
