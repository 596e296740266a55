/**
 * Mutations of real samples, as fast-check arbitraries: bit flips, byte changes,
 * truncations, insertions and deletions, splicing with another sample, repeated ranges,
 * dictionary tokens (once, or thousands of times in a row), length fields bumped in DER (TLV lengths) and ZIP (sizes, offsets,
 * counts), and ranges wrapped in nested structures (DER SEQUENCEs, XML elements, MIME parts).
 *
 * A mutation is plain data (positions are taken modulo the current length when applied),
 * so fast-check can generate and shrink it; `applyMutations` turns a sample and a list of
 * mutations into the input a target receives.
 */
import { concatBytes } from '../../lib/bytes.js';
import { encodeLength } from '../../lib/der/index.js';
import fc from 'fast-check';

/** What mutations draw from besides the sample: other samples, tokens, wrappers. */
export interface MutationContext {
  /** Other samples of the same target, for splicing. */
  donors: readonly Uint8Array[];
  /** Tokens worth inserting (markers, keywords, delimiters of the format). */
  dictionary: readonly Uint8Array[];
  /** Pairs (open, close) to nest a range in: `<a>`/`</a>`, an indefinite SEQUENCE… */
  wrappers: readonly (readonly [Uint8Array, Uint8Array])[];
  /** Inputs are cut to this many bytes. */
  maxSize: number;
}

export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'splice'; at: number; donor: number; from: number; len: number }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'token'; at: number; token: number; replace: boolean }
  | { op: 'flood'; at: number; token: number; times: number }
  | { op: 'der-length'; which: number; how: number }
  | { op: 'zip-field'; which: number; field: number; how: number }
  | { op: 'nest'; at: number; len: number; wrapper: number; depth: number };

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x0d, 0x3c, 0x3e, 0x22, 0x26, 0x2d, 0x3d, 0x7c, 0x23];

/** One mutation, its positions as raw numbers (applied modulo the length). */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({ max: 255 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 256 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('splice' as const), at: fc.nat(), donor: fc.nat(), from: fc.nat(), len: fc.integer({ min: 1, max: 4096 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 512 }), times: fc.integer({ min: 2, max: 200 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('token' as const), at: fc.nat(), token: fc.nat(), replace: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flood' as const), at: fc.nat(), token: fc.nat(), times: fc.integer({ min: 1000, max: 100_000 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('der-length' as const), which: fc.nat(), how: fc.nat({ max: 9 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('zip-field' as const), which: fc.nat(), field: fc.nat(), how: fc.nat({ max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nest' as const), at: fc.nat(), len: fc.nat({ max: 4096 }), wrapper: fc.nat(), depth: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 64, max: 5000 })) }) },
);

/** A sample (chosen among `samples`) with 1 to `maxMutations` mutations applied. */
export function mutatedArb(samples: readonly Uint8Array[], ctx: MutationContext, maxMutations = 6): fc.Arbitrary<Uint8Array> {
  if (samples.length === 0) throw new Error('mutatedArb needs at least one sample');
  return fc
    .tuple(fc.nat({ max: samples.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: maxMutations }))
    .map(([i, muts]) => applyMutations(samples[i]!, muts, ctx));
}

/** Apply mutations in order. The sample itself is never changed. */
export function applyMutations(sample: Uint8Array, muts: readonly Mutation[], ctx: MutationContext): Uint8Array {
  let b: Uint8Array = sample.slice();
  for (const m of muts) {
    b = applyOne(b, m, ctx);
    if (b.length > ctx.maxSize) b = b.slice(0, ctx.maxSize);
  }
  return b;
}


function applyOne(b: Uint8Array, m: Mutation, ctx: MutationContext): Uint8Array {
  const n = b.length;
  switch (m.op) {
    case 'flip': {
      if (n === 0) return b;
      b[m.at % n] ^= 1 << m.bit;
      return b;
    }
    case 'set': {
      if (n === 0) return new Uint8Array([m.value]);
      b[m.at % n] = m.value;
      return b;
    }
    case 'truncate':
      return b.slice(0, m.at % (n + 1));
    case 'insert': {
      const at = m.at % (n + 1);
      return concatBytes(b.subarray(0, at), m.bytes, b.subarray(at));
    }
    case 'delete': {
      if (n === 0) return b;
      const at = m.at % n;
      return concatBytes(b.subarray(0, at), b.subarray(Math.min(n, at + m.len)));
    }
    case 'splice': {
      if (ctx.donors.length === 0) return b;
      const d = ctx.donors[m.donor % ctx.donors.length]!;
      if (d.length === 0) return b;
      const from = m.from % d.length;
      const at = m.at % (n + 1);
      // replace the tail from `at` with a piece of the donor, then keep the rest of `b` after it
      const piece = d.subarray(from, from + m.len);
      return concatBytes(b.subarray(0, at), piece, b.subarray(Math.min(n, at + piece.length)));
    }
    case 'repeat': {
      if (n === 0) return b;
      const at = m.at % n;
      const piece = b.subarray(at, Math.min(n, at + m.len));
      const times = Math.min(m.times, Math.floor(ctx.maxSize / Math.max(1, piece.length)));
      const reps = new Uint8Array(piece.length * times);
      for (let i = 0; i < times; i++) reps.set(piece, i * piece.length);
      return concatBytes(b.subarray(0, at), reps, b.subarray(at + piece.length));
    }
    case 'token': {
      if (ctx.dictionary.length === 0) return b;
      const t = ctx.dictionary[m.token % ctx.dictionary.length]!;
      const at = m.at % (n + 1);
      return concatBytes(b.subarray(0, at), t, b.subarray(Math.min(n, m.replace ? at + t.length : at)));
    }
    case 'flood': {
      // a token repeated thousands of times: quadratic readers show up as slow inputs
      if (ctx.dictionary.length === 0) return b;
      const t = ctx.dictionary[m.token % ctx.dictionary.length]!;
      const times = Math.min(m.times, Math.floor(ctx.maxSize / Math.max(1, t.length)));
      const reps = new Uint8Array(t.length * times);
      for (let i = 0; i < times; i++) reps.set(t, i * t.length);
      const at = m.at % (n + 1);
      return concatBytes(b.subarray(0, at), reps, b.subarray(at));
    }
    case 'der-length':
      return bumpDerLength(b, m.which, m.how);
    case 'zip-field':
      return bumpZipField(b, m.which, m.field, m.how);
    case 'nest': {
      if (ctx.wrappers.length === 0) return b;
      const [open, close] = ctx.wrappers[m.wrapper % ctx.wrappers.length]!;
      const at = m.at % (n + 1);
      const end = Math.min(n, at + m.len);
      const depth = Math.min(m.depth, Math.floor(ctx.maxSize / Math.max(1, open.length + close.length)));
      const pre = new Uint8Array(open.length * depth);
      const post = new Uint8Array(close.length * depth);
      for (let i = 0; i < depth; i++) {
        pre.set(open, i * open.length);
        post.set(close, i * close.length);
      }
      return concatBytes(b.subarray(0, at), pre, b.subarray(at, end), post, b.subarray(end));
    }
  }
}

/** Where a TLV's length octets lie: offset of the first length octet, how many, the value. */
interface DerLength {
  at: number;
  octets: number;
  value: number;
}

/**
 * The length fields of the TLVs found by a lenient walk from offset 0 (into constructed
 * elements, and into primitive OCTET STRINGs and BIT STRINGs that hold DER themselves, as
 * extensions and signed content do). Stops quietly at the first thing that is not DER.
 */
export function derLengths(b: Uint8Array, limit = 4096): DerLength[] {
  const out: DerLength[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p < end && out.length < limit && depth < 64) {
      const id = b[p]!;
      let q = p + 1;
      if ((id & 0x1f) === 0x1f) {
        while (q < end && b[q]! & 0x80) q++;
        q++;
      }
      if (q >= end) return;
      const first = b[q]!;
      let len: number;
      let octets = 1;
      let bodyStart: number;
      if (first === 0x80) {
        out.push({ at: q, octets: 1, value: -1 });
        if (!(id & 0x20)) return;
        walk(q + 1, end, depth + 1);
        return; // the end of an indefinite element is not known without a full parse
      } else if (first & 0x80) {
        octets = 1 + (first & 0x7f);
        if (octets > 5 || q + octets > end) return;
        len = 0;
        for (let i = 1; i < octets; i++) len = len * 256 + b[q + i]!;
      } else len = first;
      bodyStart = q + octets;
      if (bodyStart + len > end) return;
      out.push({ at: q, octets, value: len });
      if (id & 0x20) walk(bodyStart, bodyStart + len, depth + 1);
      else if ((id === 0x04 || id === 0x03) && len > 2) {
        const inner = id === 0x03 ? bodyStart + 1 : bodyStart;
        if (b[inner] === 0x30 || b[inner] === 0x31 || b[inner] === 0x04) walk(inner, bodyStart + len, depth + 1);
      }
      p = bodyStart + len;
    }
  };
  walk(0, b.length, 0);
  return out;
}

function bumpDerLength(b: Uint8Array, which: number, how: number): Uint8Array {
  const all = derLengths(b);
  if (all.length === 0) return b;
  const l = all[which % all.length]!;
  const v = Math.max(0, l.value);
  let repl: Uint8Array;
  switch (how) {
    case 0: repl = encodeLength(v + 1); break;
    case 1: repl = encodeLength(Math.max(0, v - 1)); break;
    case 2: repl = new Uint8Array([0x80]); break; // indefinite
    case 3: repl = new Uint8Array([0x84, 0xff, 0xff, 0xff, 0xff]); break;
    case 4: repl = new Uint8Array([0x00]); break;
    case 5: repl = encodeLength(v * 2 + 1); break;
    case 6: repl = new Uint8Array([0x85, 0x01, 0x00, 0x00, 0x00, 0x00]); break; // five length octets
    case 7: repl = new Uint8Array([0x81, Math.min(v, 0x7f)]); break; // non-minimal long form
    case 8: repl = new Uint8Array([0xff]); break; // reserved
    default: repl = encodeLength(v + 0x100); break;
  }
  return concatBytes(b.subarray(0, l.at), repl, b.subarray(l.at + l.octets));
}

/** ZIP records and the offsets (and widths) of their numeric fields. */
const ZIP_RECORDS: { sig: number; fields: [number, 2 | 4][] }[] = [
  // local file header: flags, method, crc, csize, usize, name length, extra length
  { sig: 0x04034b50, fields: [[6, 2], [8, 2], [14, 4], [18, 4], [22, 4], [26, 2], [28, 2]] },
  // central directory header: flags, method, crc, csize, usize, name, extra, comment lengths, local offset
  { sig: 0x02014b50, fields: [[8, 2], [10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]] },
  // end of central directory: entries on disk, total entries, cd size, cd offset, comment length
  { sig: 0x06054b50, fields: [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]] },
];

/** Offsets of ZIP numeric fields (local headers, central directory, end record). */
export function zipFields(b: Uint8Array): { at: number; width: 2 | 4 }[] {
  const out: { at: number; width: 2 | 4 }[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] !== 0x50 || b[i + 1] !== 0x4b) continue;
    const sig = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    const rec = ZIP_RECORDS.find((r) => r.sig === sig);
    if (!rec) continue;
    for (const [off, width] of rec.fields) if (i + off + width <= b.length) out.push({ at: i + off, width });
  }
  return out;
}

function bumpZipField(b: Uint8Array, which: number, field: number, how: number): Uint8Array {
  const all = zipFields(b);
  if (all.length === 0) return b;
  const f = all[(which + field) % all.length]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const max = f.width === 2 ? 0xffff : 0xffffffff;
  const v = f.width === 2 ? dv.getUint16(f.at, true) : dv.getUint32(f.at, true);
  const next = [0, 1, v + 1, v - 1, max, 0x7fffffff, v * 2, v * 1000, max - 1][how] ?? v + 1;
  const w = Math.max(0, Math.min(max, next));
  if (f.width === 2) dv.setUint16(f.at, w, true);
  else dv.setUint32(f.at, w >>> 0, true);
  return b;
}

/** Text helpers for dictionaries and wrappers. */
const enc = new TextEncoder();
export const bytesOf = (s: string): Uint8Array => enc.encode(s);
export const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const pair = (open: string, close: string): readonly [Uint8Array, Uint8Array] => [bytesOf(open), bytesOf(close)];

/** Wrappers for BER: indefinite-length SEQUENCE, SET, [0], constructed OCTET STRING. */
export const DER_WRAPPERS: readonly (readonly [Uint8Array, Uint8Array])[] = [
  [new Uint8Array([0x30, 0x80]), new Uint8Array([0, 0])],
  [new Uint8Array([0x31, 0x80]), new Uint8Array([0, 0])],
  [new Uint8Array([0xa0, 0x80]), new Uint8Array([0, 0])],
  [new Uint8Array([0x24, 0x80]), new Uint8Array([0, 0])],
];

/** Tokens for BER: tags, lengths, end-of-contents, common OIDs. */
export const DER_DICTIONARY: readonly Uint8Array[] = [
  new Uint8Array([0x00, 0x00]),
  new Uint8Array([0x30, 0x80]),
  new Uint8Array([0x24, 0x80]),
  new Uint8Array([0x84, 0xff, 0xff, 0xff, 0xff]),
  new Uint8Array([0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  new Uint8Array([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]), // signedData
  new Uint8Array([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03]), // envelopedData
  new Uint8Array([0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x17]), // authEnvelopedData
  new Uint8Array([0x06, 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // huge arc
  new Uint8Array([0x02, 0x00]),
  new Uint8Array([0x02, 0x07, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  new Uint8Array([0x05, 0x00]),
  new Uint8Array([0x17, 0x0d, ...bytesOf('991231235959Z')]),
  new Uint8Array([0x18, 0x0f, ...bytesOf('99991231235959Z')]),
];
