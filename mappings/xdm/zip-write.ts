/**
 * A ZIP writer (PKZIP APPNOTE 6.3: local headers, central directory, end record; no ZIP64,
 * no encryption) whose compressor is given by the caller, so each runtime uses its best
 * one: native zlib on Node, fflate in pure JS elsewhere. Web-standard APIs only.
 */
import { crc32, type Crc32 } from '../../lib/crc32.js';
import { jsDeflateRaw, type DeflateRaw } from '../../lib/deflate.js';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated; a name ending in `/` is a folder. */
  name: string;
  data?: Uint8Array;
  /** Deflate this entry (default true); already-compressed data is better stored. */
  compress?: boolean;
}

const enc = new TextEncoder();
/** Below this size an entry is stored: a compressor's setup costs more than the bytes saved. */
const MIN_DEFLATE = 1024;

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/**
 * Packs the entries in the order given. An entry is stored instead of deflated when it is
 * under 1 KiB or deflating does not make it smaller.
 *
 * @example
 * const zip = await writeZip([{ name: 'A/' }, { name: 'A/B.TXT', data: bytes }], { mtime: new Date(), deflateRaw: jsDeflateRaw });
 */
export async function writeZip(entries: ZipEntry[], o: { mtime: Date; deflateRaw?: DeflateRaw; crc32?: Crc32 }): Promise<Uint8Array> {
  const deflate = o.deflateRaw ?? jsDeflateRaw;
  const crc = o.crc32 ?? crc32;
  const { time, date } = dosDateTime(o.mtime);
  const packed = await Promise.all(entries.map(async (e) => {
    const name = enc.encode(e.name);
    const data = e.data ?? new Uint8Array(0);
    let body = data;
    let method = 0;
    if (data.length >= MIN_DEFLATE && e.compress !== false) {
      const z = deflate(data, 1);
      if (z.length < data.length) { body = z; method = 8; }
    }
    return { name, data, body, method, crc: data.length ? crc(data) : 0, folder: e.name.endsWith('/') };
  }));
  let size = 22;
  for (const p of packed) size += 30 + p.name.length + p.body.length + 46 + p.name.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let o2 = 0;
  const offsets: number[] = [];
  const header = (sig: number, p: (typeof packed)[number], central: boolean) => {
    v.setUint32(o2, sig, true); o2 += 4;
    if (central) { v.setUint16(o2, 20, true); o2 += 2; } // version made by
    v.setUint16(o2, 20, true); // version needed
    v.setUint16(o2 + 2, p.name.some((b) => b > 0x7f) ? 0x800 : 0, true); // UTF-8 names
    v.setUint16(o2 + 4, p.method, true);
    v.setUint16(o2 + 6, time, true);
    v.setUint16(o2 + 8, date, true);
    v.setUint32(o2 + 10, p.crc, true);
    v.setUint32(o2 + 14, p.body.length, true);
    v.setUint32(o2 + 18, p.data.length, true);
    v.setUint16(o2 + 22, p.name.length, true);
    v.setUint16(o2 + 24, 0, true); // extra
    o2 += 26;
  };
  for (const p of packed) {
    offsets.push(o2);
    header(0x04034b50, p, false);
    out.set(p.name, o2); o2 += p.name.length;
    out.set(p.body, o2); o2 += p.body.length;
  }
  const cdStart = o2;
  packed.forEach((p, i) => {
    header(0x02014b50, p, true);
    v.setUint16(o2, 0, true); // comment
    v.setUint16(o2 + 2, 0, true); // disk
    v.setUint16(o2 + 4, 0, true); // internal attributes
    v.setUint32(o2 + 6, p.folder ? 0x10 : 0, true); // external attributes (MS-DOS folder bit)
    v.setUint32(o2 + 10, offsets[i]!, true);
    o2 += 14;
    out.set(p.name, o2); o2 += p.name.length;
  });
  v.setUint32(o2, 0x06054b50, true);
  v.setUint16(o2 + 8, packed.length, true);
  v.setUint16(o2 + 10, packed.length, true);
  v.setUint32(o2 + 12, o2 - cdStart, true);
  v.setUint32(o2 + 16, cdStart, true);
  return out;
}
