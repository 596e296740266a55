/**
 * Hand-built hostile `IHE_XDM.ZIP` archives, as an attacker (or a broken producer) would
 * write them: a ZIP writer that lies where told to (names, declared sizes, local headers),
 * a 2 GiB zero bomb made of one deflated MiB repeated (2 MB on the wire, built in
 * milliseconds), and documents edited from a genuine XDM the gateway wrote.
 */
import { deflateRawSync, constants } from 'node:zlib';
import { unzipSync } from 'fflate';
import { crc32 } from '../../lib/crc32.js';

export interface RawEntry {
  name: string;
  /** The bytes as stored (already deflated when `method` is 8). */
  stored: Uint8Array;
  method: 0 | 8;
  /** Uncompressed size written in the central directory (default: the real one, for stored entries). */
  size: number;
  crc: number;
  /** Uncompressed size written in the local header (default: `size`). */
  localSize?: number;
}

export function entry(name: string, data: Uint8Array, deflate = true): RawEntry {
  return { name, stored: deflate ? new Uint8Array(deflateRawSync(data)) : data, method: deflate ? 8 : 0, size: data.length, crc: crc32(data) };
}

/** A ZIP archive written exactly as given: no check, no correction. */
export function writeRawZip(entries: RawEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0x800, true);
    local.setUint16(8, e.method, true);
    local.setUint32(14, e.crc, true);
    local.setUint32(18, e.stored.length, true);
    local.setUint32(22, e.localSize ?? e.size, true);
    local.setUint16(26, name.length, true);
    parts.push(new Uint8Array(local.buffer), name, e.stored);
    const c = new DataView(new ArrayBuffer(46));
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x800, true);
    c.setUint16(10, e.method, true);
    c.setUint32(16, e.crc, true);
    c.setUint32(20, e.stored.length, true);
    c.setUint32(24, e.size, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    central.push(new Uint8Array(c.buffer), name);
    offset += 30 + name.length + e.stored.length;
  }
  const cdSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of all) { out.set(p, o); o += p.length; }
  return out;
}

/** Raw deflate data inflating to `mib` MiB of zeros: one sync-flushed MiB repeated, then a final empty block. */
export function zeroBomb(mib: number): Uint8Array {
  const chunk = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: constants.Z_SYNC_FLUSH });
  const out = new Uint8Array(chunk.length * mib + 2);
  for (let i = 0; i < mib; i++) out.set(chunk, i * chunk.length);
  out.set([0x03, 0x00], chunk.length * mib); // final fixed-Huffman block, end of block only
  return out;
}

/** The entries of a genuine XDM, to edit. */
export function xdmFiles(xdm: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(xdm)).filter(([n]) => !n.endsWith('/')));
}

export function rezip(files: Map<string, Uint8Array>, extra: RawEntry[] = []): Uint8Array {
  return writeRawZip([...[...files].map(([n, d]) => entry(n, d)), ...extra]);
}
