/**
 * Writes synthetic directory files (Node edge): the national extraction in UTF-8 with LF,
 * the legacy annuaire in ISO-8859-1 with CRLF.
 *
 * @example
 * await writeSyntheticNational('/tmp/Extraction_Correspondance_MSSante_202611230300.txt', { seed: 1 });
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { syntheticNationalLines, syntheticLegacyLines, type NationalOptions, type LegacyOptions } from './generate.js';
import { encodeLatin1 } from '../latin1.js';

async function writeLines(path: string, lines: Iterable<string>, eol: string, latin1: boolean): Promise<number> {
  const out = createWriteStream(path);
  let parts: string[] = [];
  let size = 0;
  let count = 0;
  const flush = async () => {
    const text = parts.join('');
    parts = [];
    size = 0;
    if (!out.write(latin1 ? encodeLatin1(text) : text)) await once(out, 'drain');
  };
  for (const line of lines) {
    parts.push(line, eol);
    size += line.length;
    count++;
    if (size > 1 << 20) await flush();
  }
  await flush();
  out.end();
  await once(out, 'finish');
  return count;
}

/** Writes a national extraction; resolves to the number of lines written (header included). */
export function writeSyntheticNational(path: string, o: NationalOptions): Promise<number> {
  return writeLines(path, syntheticNationalLines(o), '\n', false);
}

/** Writes a legacy annuaire; resolves to the number of lines written (header included). */
export function writeSyntheticLegacy(path: string, o: LegacyOptions): Promise<number> {
  return writeLines(path, syntheticLegacyLines(o), '\r\n', true);
}
