import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { aliasBase, base36, chooseAlias, clip, homonymAlias, slug, foldText, FOLDS } from '../../directory/alias.js';
import { LEGACY_LOCAL, LEGACY_COLUMNS } from '../../directory/legacy-format.js';
import { NATIONAL_COLUMNS } from '../../directory/national-format.js';
import { searchText, searchWords, FOLDED_OTHERWISE_BY_TOKENIZER } from '../../directory/search-text.js';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIRECTORY_MIGRATIONS_FOLDER } from '../../storage/sqlite/database.js';
import { hash53 as homonymHash } from '../../directory/hash53.js';

describe('aliases', () => {
  it('are readable from the name and the profession', () => {
    expect(aliasBase({ kind: 'PER', address: 'j@x.fr', firstName: 'Jean', lastName: 'DUPONT', professionCode: '10' })).toBe('jean.dupont.med');
    expect(aliasBase({ kind: 'PER', address: 'j@x.fr', firstName: 'Hélène-Zoé', lastName: "D'ARC LE GOFF", professionCode: '21' })).toBe('helene-zoe.d-arc-le-goff.pharm');
    expect(aliasBase({ kind: 'PER', address: 'j@x.fr', firstName: 'Paul', lastName: 'MARTIN', professionCode: '999' })).toBe('paul.martin.ps');
    expect(aliasBase({ kind: 'ORG', address: 'labo@x.fr', orgName: 'LABORATOIRE DE TEST', tradeName: 'LABO TEST', service: 'Secrétariat' })).toBe('labo-test.secretariat');
    expect(aliasBase({ kind: 'PER', address: 'Contact.Cab@cabinet-x.mssante.fr', lastName: '' })).toBe('contact-cab.cabinet-x');
    expect(slug('Œuvre Ærø straße')).toBe('oeuvre-aero-strasse');
  });

  it('are always a valid LOCAL of at most 64 characters, whatever the names', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.string({ maxLength: 120 }), fc.string({ maxLength: 3 }), fc.boolean(), fc.emailAddress(), (first, last, prof, per, address) => {
        const base = aliasBase(per ? { kind: 'PER', address, firstName: first, lastName: last, professionCode: prof } : { kind: 'ORG', address, orgName: last, service: first });
        expect(base).toMatch(LEGACY_LOCAL);
        const h = homonymAlias(base, address, 8);
        expect(h).toMatch(LEGACY_LOCAL);
        expect(h.length).toBeLessThanOrEqual(64);
      }),
      { numRuns: 500 },
    );
  });

  it('are clipped as the plain definition does (joined, the longest part shortened, trailing separators dropped)', () => {
    const byJoin = (parts: string[], max: number): string => {
      const p = parts.filter((x) => x.length > 0);
      let s = p.join('.');
      while (s.length > max) {
        let longest = 0;
        for (let i = 1; i < p.length; i++) if (p[i]!.length > p[longest]!.length) longest = i;
        p[longest] = p[longest]!.slice(0, Math.max(1, p[longest]!.length - (s.length - max))).replace(/-+$/, '');
        s = p.join('.');
        if (p.every((x) => x.length <= 1)) s = s.slice(0, max);
      }
      return s.replace(/[.-]+$/, '');
    };
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '0'), maxLength: 30 });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), fc.integer({ min: 1, max: 64 }), (parts, max) => {
        expect(clip(parts, max)).toBe(byJoin(parts, max));
      }),
      { numRuns: 3000 },
    );
  });

  it("write a homonym's hash in base 36 as the engine's radix conversion does", () => {
    const edges = [0, 1, 35, 36, 36 ** 6 - 1, 36 ** 6, 36 ** 6 + 1, 36 ** 10 - 1, 36 ** 10, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    for (const h of edges) expect(base36(h)).toBe(h.toString(36).padStart(11, '0'));
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.maxSafeNat(), fc.string().map((s) => homonymHash(s))), (h) => {
        expect(base36(h)).toBe(h.toString(36).padStart(11, '0'));
      }),
      { numRuns: 5000 },
    );
  });

  it('give a homonym a suffix that depends only on its own address', () => {
    const a = 'jean.dupont@cabinet-a.mssante.fr';
    const b = 'jean.dupont@chu-b.mssante.fr';
    const c = 'j.dupont@clinique-c.mssante.fr';
    // Order 1: a, b, c. Order 2: a, c, b.
    const t1 = new Set<string>();
    const r1 = [a, b, c].map((x) => chooseAlias('jean.dupont.med', x, t1));
    const t2 = new Set<string>();
    const r2 = [a, c, b].map((x) => chooseAlias('jean.dupont.med', x, t2));
    expect(r1[0]).toBe('jean.dupont.med');
    expect(r1[1]).toBe(r2[2]); // b
    expect(r1[2]).toBe(r2[1]); // c
    expect(r1[1]).toMatch(/^jean\.dupont\.med-[0-9a-z]{4}$/);
    expect(new Set(r1).size).toBe(3);
  });

  it('never give out a taken or reserved LOCAL', () => {
    const taken = new Set(['passerelle', 'x.y.med', homonymAlias('x.y.med', 'a@b.fr', 4)]);
    const got = chooseAlias('x.y.med', 'a@b.fr', taken);
    expect(got).toBe(homonymAlias('x.y.med', 'a@b.fr', 6));
    expect(chooseAlias('passerelle', 'p@b.fr', taken)).not.toBe('passerelle');
  });
});

describe('foldText and searchText', () => {
  // The plain definitions: every UTF-16 unit through the fold table, then lower case; the
  // searched cells of a line split on its separator, in order.
  const foldByUnit = (text: string) => [...Array(text.length).keys()].map((k) => FOLDS.get(text[k]!) ?? text[k]!).join('').toLowerCase();
  const searchedBySplit = (network: 'mssante' | 'legacy', record: string, alias: string | null) => {
    const columns = network === 'legacy' ? LEGACY_COLUMNS.map((c) => c as string) : NATIONAL_COLUMNS.map((c) => c.field as string);
    const wanted = network === 'legacy' ? ['adresse', 'nom', 'prenom', 'profession', 'specialite', 'rpps', 'adeli', 'finess', 'code_postal', 'ville'] : NATIONAL_SEARCHED_FOR_TEST;
    const cells = record.split(network === 'legacy' ? ';' : '|');
    const s = wanted.map((f) => cells[columns.indexOf(f)]).filter((v) => v).map((v) => v + ' ').join('');
    return foldByUnit(alias ? s + alias : s);
  };
  const NATIONAL_SEARCHED_FOR_TEST = [
    'address', 'personId', 'orgId', 'service', 'civility', 'lastName', 'firstName', 'professionLabel', 'specialityLabel', 'orgName', 'tradeName',
    'locationComplement', 'distributionComplement', 'streetNumber', 'streetNumberComplement', 'streetType', 'streetName', 'locality', 'routingLine',
  ];
  const text = fc.string({ unit: fc.constantFrom('a', 'É', 'é', 'œ', 'Œ', 'ß', 'ẞ', 'İ', 'Ÿ', '\ud835', '\udd18', 'Z', '|', ';', ' ', '-', '0'), maxLength: 60 });

  it('folds as the table says, unit by unit, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 40 })), (t) => {
        expect(foldText(t)).toBe(foldByUnit(t));
      }),
    );
    expect(foldText('Hélène FÈVRE, Œuvre')).toBe('helene fevre, oeuvre');
  });

  it('takes the searched cells of a line in order, with any count of cells', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 40 }), fc.option(text), fc.constantFrom('mssante' as const, 'legacy' as const), (cells, alias, network) => {
        const record = cells.join(network === 'legacy' ? ';' : '|');
        expect(searchText(network, record, alias)).toBe(searchedBySplit(network, record, alias));
      }),
    );
  });

  // The search index's tokenizer, as the last migration that makes the table gives it.
  const tokenizer = /tokenize='([^']+)'/.exec(readFileSync(join(DIRECTORY_MIGRATIONS_FOLDER, '0003_search_index_words.sql'), 'utf8'))![1]!;
  /** The tokens SQLite's FTS5 makes of each text (one document each). */
  const tokensOf = (texts: string[]): string[] => {
    const db = new Database(':memory:');
    try {
      db.exec(`CREATE VIRTUAL TABLE t USING fts5(w, tokenize='${tokenizer}'); CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)`);
      const put = db.prepare('INSERT INTO t (rowid, w) VALUES (?, ?)');
      db.transaction(() => texts.forEach((x, i) => put.run(i + 1, x)))();
      const out = texts.map(() => [] as string[]);
      for (const [doc, term] of db.prepare('SELECT doc, term FROM v ORDER BY doc, "offset"').raw().iterate() as Iterable<[number, string]>) out[doc - 1]!.push(term);
      return out.map((t) => t.join(' '));
    } finally {
      db.close();
    }
  };

  it("gives the index words whose tokens are searchText's: every character through SQLite's tokenizer", () => {
    // Every character of the first two planes inside a word: raw and folded tokenize the same,
    // or the character is one searchWords folds beforehand.
    const chars: string[] = [];
    for (let cp = 0; cp <= 0x1ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
    const raw = tokensOf(chars.map((c) => `xa${c}bx`));
    const folded = tokensOf(chars.map((c) => foldText(`xa${c}bx`)));
    const otherwise = chars.filter((c, i) => raw[i] !== folded[i]);
    expect(otherwise.filter((c) => !FOLDED_OTHERWISE_BY_TOKENIZER.test(c))).toEqual([]);
    expect(otherwise.slice(0, 7)).toEqual(['Æ', 'Ø', 'ß', 'æ', 'ø', 'Œ', 'œ']);
    // And whole lines: the index's words and searchText's make the same tokens.
    const lines = fc.sample(fc.tuple(fc.array(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 31 }), fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/)), fc.constantFrom('mssante' as const, 'legacy' as const)), 300);
    const words = lines.map(([cells, alias, network]) => searchWords(network, cells.join(network === 'legacy' ? ';' : '|'), alias));
    const texts = lines.map(([cells, alias, network]) => searchText(network, cells.join(network === 'legacy' ? ';' : '|'), alias));
    expect(tokensOf(words)).toEqual(tokensOf(texts));
    // Runs of searched cells side by side are taken whole, their separators with them.
    expect(searchWords('mssante', 'PER|a@b.fr|8|1|||||DR|FÈVRE|Hélène|', null)).toBe('a@b.fr 1 ||DR|FÈVRE|Hélène ');
    expect(searchWords('mssante', 'PER|a@b.fr|8|1|||||DR|CŒUR|Zoé|', 'zoe.coeur.med')).toBe('a@b.fr 1 ||dr|coeur|zoe zoe.coeur.med');
  });
});
