/**
 * The one DER/BER module of the tree (Web APIs only): a bounded reader that works on offsets
 * into its input (`DerReader`), a one-pass writer (`der(seq(…))`), OBJECT IDENTIFIER text ⇄
 * bytes, and `DerError` for both directions. pkijs/asn1js stay where CMS structures are
 * built or verified through their object model (SignedData, EnvelopedData, certificate
 * paths); everything else reads and writes DER here.
 *
 * @example
 * const r = new DerReader(bytes);
 * const [type] = r.sequence(r.root(), 'ContentInfo');
 * r.oid(type); // '1.2.840.113549.1.7.2'
 * der(seq(oid('1.2.840.113549.1.1.1'), nul())); // an AlgorithmIdentifier
 */
export { DerError } from './error.js';
export { oidFromBytes, oidToBytes } from './oid.js';
export { DerReader, TagClass, UniversalTag, type BerElement } from './reader.js';
export { compareBytes, concat, ctx, ctxPrim, der, encodeLength, int, nul, octets, oid, seq, setOf, time, tlv, type Bytes, type DerNode } from './writer.js';
