/** Armour, body, transliteration, containers and mails: round trips and hostile input. */
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { armour, dearmour } from '../../adapters/legacy/armour.js';
import { decodeBase64, encodeBase64 } from '../../lib/base64.js';
import { decodeBody, encodeBody } from '../../adapters/legacy/body.js';
import { decodeContainer, encodeContainer, sanitizeEntryName } from '../../adapters/legacy/container.js';
import { crc32 } from '../../lib/crc32.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { openLnpMail, sealLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { buildLnpMail, decodeEncodedWords, parseLnpMail } from '../../adapters/legacy/lnp-mail.js';
import { decodeLatin1, encodeLatin1 } from '../../mappings/transliteration/latin1.js';
import { LATIN1_TRANSLITERATION } from '../../mappings/transliteration/latin1-table.js';
import { NOW, fixtureStore, sha256 } from './fixtures.js';

const store = fixtureStore();
const local = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'NO_ERROR';
  } catch (err) {
    return err instanceof LegacyError ? err.code : `OTHER: ${String(err)}`;
  }
}

describe('base64 and CRC', () => {
  it('matches Node for the standard alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(encodeBase64(b)).toBe(Buffer.from(b).toString('base64'));
        expect(Buffer.from(decodeBase64(encodeBase64(b))).equals(Buffer.from(b))).toBe(true);
      }),
    );
  });
  it('CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('armour', () => {
  it('round-trips any payload, lines ≤ 64 characters, CRLF', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
        const a = armour(b);
        expect(a.split('\r\n').every((l) => l.length <= 64)).toBe(true);
        expect(a).not.toMatch(/[^\r]\n/);
        expect(Buffer.from(dearmour(a)).equals(Buffer.from(b))).toBe(true);
        expect(Buffer.from(dearmour(a.replace(/\r\n/g, '\n'))).equals(Buffer.from(b))).toBe(true);
      }),
    );
  });
  it('reads the armour whatever its line ends, blanks around lines, blank lines and text before it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.record({ eol: fc.constantFrom('\r\n', '\n'), pad: fc.constantFrom('', ' ', '\t', ' \t '), blank: fc.boolean() }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('', '$LNP1\r\n', 'Bonjour\n\n'),
        (b, styles, before) => {
          const lines = armour(b).split('\r\n');
          const text = before + lines.map((l, i) => {
            const st = styles[i % styles.length]!;
            const blank = st.blank && i > 0 && i < lines.length - 1 ? `${st.pad}${st.eol}` : '';
            return `${blank}${st.pad}${l}${st.pad}${st.eol}`;
          }).join('');
          expect(Buffer.from(dearmour(text)).equals(Buffer.from(b))).toBe(true);
        },
      ),
    );
  });

  it('names the armour line and column of a character outside its alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.nat(), fc.constantFrom('_', '/', '!', 'é', ' '), (b, where, bad) => {
        const lines = armour(b).split('\r\n');
        const dataLines = lines.length - 4; // begin, length, …, CRC, end
        const line = 2 + (where % dataLines); // an index in `lines`, a data line
        const col = (where >> 8) % lines[line]!.length;
        if (bad === ' ' && (col === 0 || col === lines[line]!.length - 1)) return; // blanks at a line's ends are trimmed
        lines[line] = lines[line]!.slice(0, col) + bad + lines[line]!.slice(col + 1);
        const err = (() => {
          try {
            dearmour(lines.join('\r\n'));
          } catch (e) {
            return e as LegacyError;
          }
          return null;
        })();
        expect(err?.code).toBe('BAD_ARMOR_CHAR');
        expect(err?.message).toBe(`BAD_ARMOR_CHAR: character outside the armour alphabet at armour line ${line + 1}, column ${col + 1}`);
      }),
    );
  });

  it('reports each defect with its own code', () => {
    const a = armour(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    expect(codeOf(() => dearmour('nothing here'))).toBe('NO_BEGIN_MARKER');
    expect(codeOf(() => dearmour(a.replace('#ENDBINASCII1#', '')))).toBe('NO_END_MARKER');
    expect(codeOf(() => dearmour(a.replace(/\r\n[0-9A-F]{8}\r\n#END/, '\r\nZZ\r\n#END')))).toBe('BAD_ARMOR_FORMAT');
    expect(codeOf(() => dearmour(a.replace('0', '_')))).not.toBe('NO_ERROR');
  });
});

describe('ISO-8859-1 transliteration', () => {
  it('every table replacement is ISO-8859-1', () => {
    for (const [from, to] of Object.entries(LATIN1_TRANSLITERATION)) {
      expect([...from]).toHaveLength(1);
      expect(to).toMatch(/^[\u0000-\u00ff]*$/);
    }
  });
  it('transliterates and records changes', () => {
    const { bytes, changes } = encodeLatin1('Cœur\u202f: 5\u00a0€ – “ok” … l’œil ő ✈ 😀');
    expect(decodeLatin1(bytes)).toBe('Coeur : 5\u00a0EUR - "ok" ... l\'oeil o ? ?');
    expect(changes).toEqual(
      expect.arrayContaining([
        { from: 'œ', to: 'oe', count: 2 },
        { from: '€', to: 'EUR', count: 1 },
        { from: '’', to: "'", count: 1 },
        { from: 'ő', to: 'o', count: 1 },
        { from: '✈', to: '?', count: 1 },
        { from: '😀', to: '?', count: 1 },
      ]),
    );
  });
  it('decodes 0x80–0x9F as C1 controls, not windows-1252', () => {
    expect(decodeLatin1(new Uint8Array([0x80, 0xe9]))).toBe('\u0080é');
  });
});

describe('body', () => {
  it('round-trips ISO-8859-1 text with CRLF and any destination list', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcé à\r\n#,ÿ€œ'.split('')), maxLength: 200 }), fc.array(local, { minLength: 1, maxLength: 5 }), (text, dests) => {
        const { bytes } = encodeBody(text, dests);
        const out = decodeBody(bytes);
        expect(out.dests).toEqual(dests);
        expect(out.text).toBe(text.replace(/\r\n|\r|\n/g, '\r\n').replace(/€/g, 'EUR').replace(/œ/g, 'oe'));
      }),
    );
  });
  it('rejects bad destination blocks', () => {
    const enc = (s: string) => encodeLatin1(s).bytes;
    expect(codeOf(() => decodeBody(enc('text only')))).toBe('BAD_DEST_BLOCK');
    expect(codeOf(() => decodeBody(enc('x#DESTBEGIN#,,#DESTEND#')))).toBe('BAD_DEST_BLOCK');
    expect(codeOf(() => decodeBody(enc('x#DESTBEGIN#Jean Dupont,,#DESTEND#')))).toBe('BAD_DEST_BLOCK');
    expect(codeOf(() => decodeBody(enc('x#DESTBEGIN#a,,#DESTEND#more')))).toBe('BAD_DEST_BLOCK');
    expect(codeOf(() => encodeBody('x', []))).toBe('BAD_DEST_BLOCK');
    expect(codeOf(() => encodeBody('x', ['a,b']))).toBe('BAD_DEST_BLOCK');
  });
});

describe('containers', () => {
  it('round-trips entries, stored or deflated', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), data: fc.uint8Array({ maxLength: 500 }), deflate: fc.option(fc.boolean(), { nil: undefined }) }), { minLength: 1, maxLength: 4 }), (entries) => {
        const out = decodeContainer(encodeContainer(entries));
        expect(out.map((e) => Buffer.from(e.data).toString('hex'))).toEqual(entries.map((e) => Buffer.from(e.data).toString('hex')));
        out.forEach((e, i) => expect(e.name).toBe(sanitizeEntryName(entries[i]!.name, i)));
      }),
    );
  });

  it('sanitises names', () => {
    expect(sanitizeEntryName('../../etc/passwd', 0)).toBe('passwd');
    expect(sanitizeEntryName('C:\\Users\\x\\cr.pdf', 0)).toBe('cr.pdf');
    expect(sanitizeEntryName('..', 2)).toBe('attachment-3');
    expect(sanitizeEntryName('a\u0000b\n.pdf', 0)).toBe('ab.pdf');
    const c = encodeContainer([{ name: 'ok.txt', data: new Uint8Array([1]) }]);
    // Forge a name with a path by hand.
    const name = new TextEncoder().encode('../x.txt');
    const forged = new Uint8Array([...c.subarray(0, 6), 0, name.length, ...name, ...c.subarray(6 + 2 + 6)]);
    expect(decodeContainer(forged)[0]!.name).toBe('x.txt');
  });

  function entry(name: string, flag: number, original: number, data: Uint8Array): Uint8Array {
    const n = new TextEncoder().encode(name);
    const h = Buffer.alloc(2 + n.length + 9);
    h.writeUInt16BE(n.length, 0);
    Buffer.from(n).copy(h, 2);
    h.writeUInt8(flag, 2 + n.length);
    h.writeUInt32BE(original, 3 + n.length);
    h.writeUInt32BE(data.length, 7 + n.length);
    return new Uint8Array(Buffer.concat([h, Buffer.from(data)]));
  }
  const container = (...entries: Uint8Array[]) => new Uint8Array(Buffer.concat([Buffer.from('LPZ1'), Buffer.from([0, entries.length]), ...entries.map((e) => Buffer.from(e))]));

  it('stops a decompression bomb at the declared size', () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(codeOf(() => decodeContainer(container(entry('bomb', 1, 1000, bomb))))).toBe('BAD_CONTAINER');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(codeOf(() => decodeContainer(container(entry('big', 1, 65 * 1024 * 1024, bomb))))).toBe('ENTRY_TOO_LARGE');
    expect(codeOf(() => decodeContainer(container(entry('x', 1, 100, bomb)), { maxEntrySize: 10 }))).toBe('ENTRY_TOO_LARGE');
  });

  it('costs memory for what an entry inflates to, not for what it declares (fuzzing finding)', () => {
    // 12 bytes of DEFLATE declaring 60 MiB: refused before anything is allocated
    const tiny = deflateRawSync(Buffer.from('bonjour'));
    const before = process.memoryUsage().arrayBuffers;
    expect(codeOf(() => decodeContainer(container(entry('x', 1, 60 * 1024 * 1024, tiny))))).toBe('BAD_CONTAINER');
    // data that could reach its declared size but stops short: the output only grew to what it inflated
    const short = deflateRawSync(Buffer.alloc(1000));
    expect(codeOf(() => decodeContainer(container(entry('y', 1, short.length * 1000, short))))).toBe('BAD_CONTAINER');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('rejects malformed containers', () => {
    const good = entry('a', 0, 3, new Uint8Array([1, 2, 3]));
    expect(codeOf(() => decodeContainer(container(good)))).toBe('NO_ERROR');
    expect(codeOf(() => decodeContainer(new TextEncoder().encode('LPZ2\x00\x01')))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(container(entry('a', 0, 4, new Uint8Array([1, 2, 3])))))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(container(entry('a', 2, 3, new Uint8Array([1, 2, 3])))))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(container(good).subarray(0, 12)))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(new Uint8Array([...container(good), 0])))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(container(entry('a', 1, 3, new Uint8Array([0xff, 0xff])))))).toBe('BAD_CONTAINER');
    expect(codeOf(() => decodeContainer(container(good, good, good), { maxEntries: 2 }))).toBe('BAD_CONTAINER');
  });
});

describe('mails', () => {
  const date = new Date('2026-11-23T10:00:00Z');

  it('seals and opens a mail with attachments; destination block = To then Cc locals', async () => {
    const pdf = new Uint8Array(20_000).map((_, i) => (i * 7) % 251);
    const { raw, changes } = await sealLnpMail(store, {
      holder: 'passerelle',
      year: 2026,
      from: 'jean.dupont.med@interop.lnp.test',
      to: ['cab.dupuis@medical33.lnp.test', 'labo.bio33@medical33.lnp.test'],
      cc: ['dr.alice.martin@medical33.lnp.test'],
      subject: 'Compte rendu réf. 42',
      messageId: '<m1@gw.test>',
      date,
      text: 'Cher confrère,\nci-joint le compte rendu de l’examen.\n',
      attachments: [
        { name: 'cr.pdf', data: pdf },
        { name: 'notes.txt', data: new TextEncoder().encode('x'), deflate: false },
      ],
      extraHeaders: { 'X-Passerelle-Ref': 'abc' },
    });
    expect(changes).toEqual([{ from: '’', to: "'", count: 1 }]);
    const text = Buffer.from(raw).toString('latin1');
    expect(text).toMatch(/^X-LNP-Version: 1\r$/m);
    expect(text).toMatch(/^Subject: =\?ISO-8859-1\?Q\?/m);
    expect(text).not.toMatch(/[^\r]\n/);
    const m = await openLnpMail(store, raw, { now: NOW, holder: 'passerelle' });
    expect(m.dests).toEqual(['cab.dupuis', 'labo.bio33', 'dr.alice.martin']);
    expect(m.text).toBe("Cher confrère,\r\nci-joint le compte rendu de l'examen.\r\n");
    expect(m.mail.subject).toBe('Compte rendu réf. 42');
    expect(m.mail.cc).toEqual(['dr.alice.martin@medical33.lnp.test']);
    expect(m.mail.headers['x-passerelle-ref']).toBe('abc');
    expect(m.mail.attachments.map((a) => a.filename)).toEqual(['cr.pdf.lpz', 'notes.txt.lpz']);
    expect(m.attachments.map((a) => [a.name, sha256(a.data)])).toEqual([
      ['cr.pdf', sha256(pdf)],
      ['notes.txt', sha256(new TextEncoder().encode('x'))],
    ]);
    await expect(openLnpMail(store, raw, { now: NOW, holder: 'cab.dupuis' })).rejects.toMatchObject({ code: 'HOLDER_MISMATCH' });
  });

  it('reads folded headers, quoted boundaries and LF line ends', () => {
    const arm = armour(new Uint8Array([1, 2, 3]));
    const raw = [
      'From: "Martin, Alice"',
      ' <Dr.Alice.Martin@Medical33.lnp.test>',
      'To: a@x.lnp.test,',
      '\tb@interop.lnp.test (comment, here)',
      'Subject: =?utf-8?B?w6l0w6k=?= =?iso-8859-1?Q?_d=E9j=E0?=',
      'X-LNP-Transit: relay1',
      'Content-Type: multipart/mixed;',
      '  boundary="b;1 2"',
      '',
      'preamble',
      '--b;1 2',
      'Content-Type: text/plain; charset=iso-8859-1',
      '',
      '$LNP1',
      arm.replace(/\r\n/g, '\n'),
      '--b;1 2',
      'Content-Type: application/octet-stream; name="ignored.lpz"',
      'Content-Transfer-Encoding: base64',
      "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sultat.pdf.lpz",
      '',
      'AQID',
      '--b;1 2--',
      '',
    ].join('\n');
    const m = parseLnpMail(new TextEncoder().encode(raw));
    expect(m.from).toBe('dr.alice.martin@medical33.lnp.test');
    expect(m.to).toEqual(['a@x.lnp.test', 'b@interop.lnp.test']);
    expect(m.subject).toBe('été déjà');
    expect(m.transit).toBe('relay1');
    expect(m.armour).toBe(arm);
    expect(m.attachments).toEqual([{ filename: 'résultat.pdf.lpz', sealed: new Uint8Array([1, 2, 3]) }]);
  });

  it('reads lines ending in long runs of blanks in linear time (fuzzing finding: seconds for 100 KB)', () => {
    const blanks = ' \t'.repeat(100_000);
    const t0 = performance.now();
    expect(codeOf(() => dearmour(`#BINASCII1#\r\n${blanks}x\r\n#ENDBINASCII1#`))).toBe('BAD_ARMOR_FORMAT');
    expect(codeOf(() => decodeBody(new TextEncoder().encode(`Bonjour${'\r\n '.repeat(100_000)}x`)))).toBe('BAD_DEST_BLOCK');
    const boundary = `From: a@b.lnp.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n$LNP1\r\n#BINASCII1#${'\r\n'.repeat(100_000)}x\r\n${blanks}y\r\n--b--\r\n`;
    expect(codeOf(() => parseLnpMail(new TextEncoder().encode(boundary)))).toBe('NO_ERROR');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses mail it cannot read', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(codeOf(() => parseLnpMail(enc('From: a@b\r\n\r\nhello\r\n')))).toBe('BAD_MAIL');
    expect(codeOf(() => parseLnpMail(enc('To: a@b\r\n\r\n$LNP1\r\n')))).toBe('BAD_MAIL');
    expect(codeOf(() => parseLnpMail(enc('From: a@b\r\nContent-Type: multipart/mixed\r\n\r\n')))).toBe('BAD_MAIL');
    expect(codeOf(() => parseLnpMail(enc('From: a@b\r\nContent-Type: text/html\r\n\r\n$LNP1\r\n')))).toBe('BAD_MAIL');
    expect(codeOf(() => buildLnpMail({ from: 'a@b', to: ['c@d'], subject: 'x', armour: 'y', extraHeaders: { 'X-Evil': 'a\r\nBcc: e@f' } }))).toBe('BAD_MAIL');
  });
});

describe('mail headers', () => {
  it('encodes non-ASCII display names and reads them back', () => {
    const raw = buildLnpMail({ from: '"Dr Jérôme Dupont" <jean.dupont.med@interop.lnp.test>', to: ['Cabinet Dupuis <cab.dupuis@medical33.lnp.test>'], subject: 's', armour: armour(new Uint8Array([1])) });
    const text = Buffer.from(raw).toString('latin1');
    expect(text).toMatch(/^[\x00-\x7f]*$/);
    const m = parseLnpMail(raw);
    expect(m.from).toBe('jean.dupont.med@interop.lnp.test');
    expect(m.to).toEqual(['cab.dupuis@medical33.lnp.test']);
    expect(decodeEncodedWords(m.headers['from']!)).toBe('Dr Jérôme Dupont <jean.dupont.med@interop.lnp.test>');
  });
});
