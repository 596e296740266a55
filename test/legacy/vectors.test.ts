/** The LNP/1 test vectors (seal.json, container.json, errors.json, mails/). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { armour, dearmour } from '../../adapters/legacy/armour.js';
import { decodeBody, encodeBody } from '../../adapters/legacy/body.js';
import { decodeContainer } from '../../adapters/legacy/container.js';
import { parseKeyFile } from '../../adapters/legacy/key-file.js';
import { LegacyError, type LegacyErrorCode } from '../../adapters/legacy/legacy-error.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { openPayload, sealPayload } from '../../adapters/legacy/seal.js';
import { FIXTURES, NOW, fixtureJson, fixtureStore, hex, sha256, unhex, type SealVector } from './fixtures.js';

const store = fixtureStore();

async function codeOf(fn: () => unknown): Promise<LegacyErrorCode | 'NO_ERROR' | 'OTHER'> {
  try {
    await fn();
    return 'NO_ERROR';
  } catch (err) {
    return err instanceof LegacyError ? err.code : 'OTHER';
  }
}

describe('seal.json', () => {
  const vectors = fixtureJson<SealVector[]>('seal.json');
  it.each(vectors.map((v) => [v.name, v] as const))('%s: plaintext, sealed payload and armour byte for byte', async (_n, v) => {
    const body = encodeBody(v.text, v.dests);
    expect(hex(body.bytes)).toBe(v.plaintext_hex);
    expect(body.changes).toEqual([]);
    const sealed = await sealPayload(store, v.holder, v.year, body.bytes, unhex(v.iv_hex));
    expect(hex(sealed)).toBe(v.sealed_hex);
    expect(armour(sealed)).toBe(v.armor);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: opening the armour gives back text and dests', async (_n, v) => {
    const now = v.year === 2025 ? new Date('2026-01-15T00:00:00Z') : NOW;
    const opened = await openPayload(store, dearmour(v.armor), { now, expectedHolder: v.holder });
    expect(opened.holder).toBe(v.holder);
    expect(opened.year).toBe(v.year);
    expect(decodeBody(opened.plaintext)).toEqual({ text: v.text, dests: v.dests });
  });
});

describe('container.json', () => {
  const c = fixtureJson<{ entries: { name: string; deflate: boolean; sha256: string }[]; container_hex: string; iv_hex: string; sealed_hex: string }>('container.json');

  it('decodes the container: names, flags and SHA-256 of each entry', () => {
    const entries = decodeContainer(unhex(c.container_hex));
    expect(entries.map((e) => e.name)).toEqual(c.entries.map((e) => e.name));
    expect(entries.map((e) => sha256(e.data))).toEqual(c.entries.map((e) => e.sha256));
    const bytes = unhex(c.container_hex);
    // Flags as declared: first entry deflated, second stored.
    expect(bytes[6 + 2 + c.entries[0]!.name.length]).toBe(1);
  });

  it('opens the sealed container with the passerelle key and reseals it byte for byte', async () => {
    const opened = await openPayload(store, unhex(c.sealed_hex), { now: NOW, expectedHolder: 'passerelle' });
    expect(hex(opened.plaintext)).toBe(c.container_hex);
    const resealed = await sealPayload(store, 'passerelle', opened.year, opened.plaintext, unhex(c.iv_hex));
    expect(hex(resealed)).toBe(c.sealed_hex);
  });
});

describe('errors.json', () => {
  const e = fixtureJson<{
    armor: { name: string; input: string; error: LegacyErrorCode }[];
    keyfiles: { name: string; file: string; hex: string; error: LegacyErrorCode }[];
  }>('errors.json');

  it.each(e.armor.map((x) => [x.name, x] as const))('armour %s', async (_n, x) => {
    const code = await codeOf(async () => openPayload(store, dearmour(x.input), { now: NOW, expectedHolder: 'passerelle' }));
    expect(code).toBe(x.error);
  });

  it.each(e.keyfiles.map((x) => [x.name, x] as const))('key file %s', async (_n, x) => {
    expect(await codeOf(() => parseKeyFile(x.file, unhex(x.hex)))).toBe(x.error);
  });

  it('every error case raises its own distinct code', () => {
    const codes = [...e.armor, ...e.keyfiles].map((x) => x.error);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('mails/', () => {
  const expected = fixtureJson<{ file: string; envelope_from: string; envelope_to: string; holder: string; text: string; dests: string[]; files: { name: string; sha256: string; size: number }[] }[]>('mails/expected.json');

  it.each(expected.map((x) => [x.file, x] as const))('%s', async (_f, x) => {
    const raw = new Uint8Array(readFileSync(join(FIXTURES, 'mails', x.file)));
    const m = await openLnpMail(store, raw, { now: NOW, holder: x.holder });
    expect(m.holder).toBe(x.holder);
    expect(m.text).toBe(x.text);
    expect(m.dests).toEqual(x.dests);
    expect(m.mail.from).toBe(x.envelope_from);
    expect(m.mail.transit).toBe('relay1');
    expect(m.attachments.map((a) => ({ name: a.name, sha256: sha256(a.data), size: a.data.length }))).toEqual(x.files);
  });
});
