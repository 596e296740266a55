import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { zipSync, strToU8 } from 'fflate';
import { checkNationalHeader, parseNationalLine, parseNationalHead, nationalPartyKey, NATIONAL_HEADER, formatNationalLine } from '../../directory/national-format.js';
import { checkLegacyHeader, parseLegacyLine, formatLegacyLine, LEGACY_HEADER } from '../../directory/legacy-format.js';
import { encodeLatin1, decodeLatin1, toLatin1Text } from '../../directory/latin1.js';
import { readLines, chunksOf, webUtf8Decoder } from '../../directory/line-reader.js';
import { nodeUtf8 } from '../../app/node/native-text.js';
import { DirectoryFormatError } from '../../directory/errors.js';
import { collectLines, SAMPLE_LINES } from './helpers.js';


describe('national extraction format', () => {
  it('accepts the shared sample header and reads its four lines by position', () => {
    expect(() => checkNationalHeader(SAMPLE_LINES[0])).not.toThrow();
    expect(SAMPLE_LINES[0]).toBe(NATIONAL_HEADER);
    const recs = SAMPLE_LINES.slice(1).map((l, i) => parseNationalLine(l, i + 2));
    expect(recs).toHaveLength(4);
    expect(recs[0]).toMatchObject({ mailboxType: 'PER', address: 'jean.dupont@medecin.mssante.fr', personIdType: '8', personId: '10101010101', nationalPersonId: '810101010101', lastName: 'DUPONT', professionLabel: 'Médecin', dematerialisation: 'O', country: 'France' });
    expect(recs[2]).toMatchObject({ mailboxType: 'ORG', orgIdType: '1', orgId: '330999999', tradeName: 'LABO TEST', streetNumberComplement: 'bis', postcode: '33100' });
    expect(recs.map(nationalPartyKey)).toEqual(['rpps:10101010101', 'rpps:10202020202', 'finess:330999999', 'adeli:339999999']);
    expect(formatNationalLine(recs[1])).toBe(SAMPLE_LINES[2]);
    // The national identifier is "8" + RPPS ("0" + ADELI): enough when the identifier column is empty.
    expect(nationalPartyKey({ ...recs[0], personId: '' })).toBe('rpps:10101010101');
    expect(nationalPartyKey({ ...recs[3], personId: '' })).toBe('adeli:339999999');
  });

  it('tolerates small wording changes but reports a header it does not recognise', () => {
    expect(() => checkNationalHeader(SAMPLE_LINES[0].replace("Nom d'exercice", 'Nom exercice'))).not.toThrow();
    const swapped = SAMPLE_LINES[0].replace("Nom d'exercice|Prénom d'exercice", "Prénom d'exercice|Nom d'exercice");
    expect(() => checkNationalHeader(swapped)).toThrow(/column 10 "Prénom d'exercice" \(expected lastName\)/);
    expect(() => checkNationalHeader('a|b|c|')).toThrow(DirectoryFormatError);
  });

  it('rejects a line with a wrong column count, naming the line', () => {
    const short = SAMPLE_LINES[1].replace(/\|France\|$/, '|');
    expect(() => parseNationalLine(short, 7)).toThrow(/line 7: expected 31 columns/);
    expect(() => parseNationalLine(SAMPLE_LINES[1].slice(0, -1), 8)).toThrow(/line 8/);
  });

  it("reads an import's fields as the whole parse does, and rejects the same lines with the same error", () => {
    const cell = fc.stringMatching(/^[^|\n]{0,12}$/);
    const line = fc.oneof(
      fc.array(cell, { minLength: 31, maxLength: 31 }).map((c) => c.join('|') + '|'),
      // Near misses: a column more or less, the last '|' missing or followed by text, stray bars.
      fc.tuple(fc.array(cell, { minLength: 28, maxLength: 34 }), fc.constantFrom('|', '', '|x', '||')).map(([c, end]) => c.join('|') + end),
      fc.constantFrom(...SAMPLE_LINES.slice(1)),
    );
    fc.assert(
      fc.property(line, fc.integer({ min: 1, max: 10 ** 6 }), (l, n) => {
        let whole: ReturnType<typeof parseNationalLine> | Error;
        try {
          whole = parseNationalLine(l, n);
        } catch (e) {
          whole = e as Error;
        }
        if (whole instanceof Error) {
          expect(() => parseNationalHead(l, n)).toThrow(whole.message);
        } else {
          const head = parseNationalHead(l, n);
          for (const [k, v] of Object.entries(head)) expect(v).toBe(whole[k as keyof typeof whole]);
          expect(Object.keys(head)).toHaveLength(14);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('legacy annuaire format', () => {
  it('reads and writes a line', () => {
    checkLegacyHeader(LEGACY_HEADER);
    const r = parseLegacyLine('Dr.Alice.Martin@medical33.lnp.test;MARTIN;Alice;Médecin;;10003000001;;;33000;BORDEAUX;2026;A', 2);
    expect(r).toMatchObject({ address: 'dr.alice.martin@medical33.lnp.test', rpps: '10003000001', keyYear: '2026', status: 'A' });
    expect(formatLegacyLine({ ...r, lastName: 'A;B' })).toBe('dr.alice.martin@medical33.lnp.test;A B;Alice;Médecin;;10003000001;;;33000;BORDEAUX;2026;A');
  });

  it('rejects malformed lines with a distinct message', () => {
    expect(() => checkLegacyHeader('adresse;nom')).toThrow(/header/);
    expect(() => parseLegacyLine('a@b.c;x', 3)).toThrow(/line 3: expected 12 columns/);
    expect(() => parseLegacyLine('a@b.c;;;;;;;;;;;X', 4)).toThrow(/statut/);
    expect(() => parseLegacyLine('-bad@b.c;;;;;;;;;;;A', 5)).toThrow(/adresse/);
    expect(() => parseLegacyLine('a@b.c;;;;;123;;;;;;A', 6)).toThrow(/rpps/);
  });
});

describe('ISO-8859-1', () => {
  it('round-trips Latin-1 and transliterates the rest', () => {
    expect(decodeLatin1(encodeLatin1('Hélène Fèvre'))).toBe('Hélène Fèvre');
    expect(encodeLatin1('é')).toEqual(new Uint8Array([0xe9]));
    expect(toLatin1Text('Cœur 5 € l’été — ok ✓')).toBe("Coeur 5 EUR l'été - ok v"); // the project's one table (mappings/transliteration)
    expect(toLatin1Text('日')).toBe('?');
  });
});

describe('line reader', () => {
  it('splits LF and CRLF lines across any chunking, UTF-8 characters cut in two included', async () => {
    const text = 'é1|\r\nligne 2 ü\nderniére';
    const lines = await collectLines(readLines(chunksOf(text, 1), { encoding: 'utf-8' }));
    expect(lines).toEqual(['é1|', 'ligne 2 ü', 'derniére']);
  });

  it('refuses invalid UTF-8', async () => {
    await expect(collectLines(readLines(chunksOf(new Uint8Array([0x61, 0xff, 0x0a])), { encoding: 'utf-8' }))).rejects.toThrow(/UTF-8/);
  });

  it("gives a file's lines or its error as decoding the whole file does, whatever the chunks and the decoder", async () => {
    // The plain definition: the whole file decoded strictly (its BOM dropped), cut at LF, a CR
    // before it dropped, an empty last line dropped.
    const whole = (b: Uint8Array): string[] | 'invalid' => {
      let t: string;
      try {
        t = new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        return 'invalid';
      }
      const lines = t.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      if (lines[lines.length - 1] === '') lines.pop();
      return lines;
    };
    const unit = fc.constantFrom(...'aé€\n\r|'.split(''), '\ufeff', '😀');
    const file = fc.oneof(
      fc.string({ unit, maxLength: 60 }).map((t) => new TextEncoder().encode(t)),
      // Bytes as they come, valid or not (a cut character, a stray continuation byte).
      fc.uint8Array({ maxLength: 60 }).map((b) => b.map((x) => [0x0a, 0x0d, 0x61, 0xc3, 0xa9, 0xef, 0xbb, 0xbf, 0xf0, 0x80, x][x % 11]!)),
    );
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 9 }), fc.constantFrom(nodeUtf8, webUtf8Decoder()), async (b, size, utf8) => {
        const expected = whole(b);
        const got = await collectLines(readLines(chunksOf(b, size), { encoding: 'utf-8', utf8 })).catch((e: Error) => (e instanceof DirectoryFormatError && /UTF-8/.test(e.message) ? 'invalid' : e));
        expect(got).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });

  it('reads the text entry of a ZIP, streaming, and tells its name', async () => {
    const zip = zipSync({ 'README.md': strToU8('x'), 'Extraction_Correspondance_MSSante_202611230300.txt': strToU8(SAMPLE_LINES.join('\n') + '\n') });
    let name = '';
    const lines = await collectLines(readLines(chunksOf(zip, 100), { encoding: 'utf-8', onEntryName: (n) => (name = n) }));
    expect(name).toBe('Extraction_Correspondance_MSSante_202611230300.txt');
    expect(lines).toEqual(SAMPLE_LINES);
  });
});
