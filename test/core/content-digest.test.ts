/**
 * The content digest (issue 10, item 8): what a message says, not its wire bytes. A legacy mail
 * sealed again with fresh IVs opens to the same digest; any change in what it says changes it.
 */
import { describe, expect, it } from 'vitest';
import { canonicalContent, contentDigest, frame, rawDigest } from '../../core/pipeline/content-digest.js';
import { LegacyAdapter, type LegacySubmitter } from '../../adapters/legacy/legacy-adapter.js';
import { sealLnpMail, type SealLnpMailInput } from '../../adapters/legacy/lnp-codec.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { fixtureStore, NOW } from '../legacy/fixtures.js';
import { nodeSha256 } from '../../app/node/native-hash.js';

const keys = fixtureStore();
const submitter: LegacySubmitter = { submit: async () => [], close: async () => {} };
const adapter = new LegacyAdapter({ keys, domain: 'lnp.test', gatewayLocal: 'passerelle', gatewayZone: 'gateway', submitter, now: () => NOW });
const envelope: Envelope = {
  id: '01JD2Z6Q7X0000000000000000', source: 'legacy', mailFrom: 'cab.dupuis@medical33.lnp.test', recipients: ['jean.dupont.med@interop.lnp.test'],
  messageId: '<d-1@medical33.lnp.test>', receivedAt: NOW.getTime(), size: 0, rawRef: 'db:x',
};
const input: SealLnpMailInput = {
  holder: 'passerelle', year: 2026, from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: ['dr.alice.martin@medical33.lnp.test'],
  subject: 'Courrier', messageId: '<d-1@medical33.lnp.test>', date: NOW, text: 'Cher confrère,\r\nvoici le compte rendu.\r\n',
  attachments: [{ name: 'cr.pdf', data: new TextEncoder().encode('%PDF-1.4\n%%EOF\n') }], transit: 'relay1',
};
const open = async (over: Partial<SealLnpMailInput> = {}) => {
  const { raw } = await sealLnpMail(keys, { ...input, ...over });
  return { raw, opened: await adapter.open(raw, envelope) };
};
const HEX64 = /^[0-9a-f]{64}$/;

describe('contentDigest', () => {
  it('is the same for a mail sealed again (fresh IVs, other wire bytes), and a 64-digit SHA-256', async () => {
    const a = await open();
    const b = await open();
    expect(Buffer.from(a.raw).equals(Buffer.from(b.raw))).toBe(false);
    expect(await contentDigest(a.opened)).toMatch(HEX64);
    expect(await contentDigest(a.opened)).toBe(await contentDigest(b.opened));
    // Transport facts are not content: another relay id, another key year's holder meta.
    const c = await open({ transit: 'relay2' });
    expect(await contentDigest(c.opened)).toBe(await contentDigest(a.opened));
  });

  it('changes with anything the message says', async () => {
    const base = await contentDigest((await open()).opened);
    const variants: Partial<SealLnpMailInput>[] = [
      { text: 'Cher confrère,\r\nvoici le compte rendu corrigé.\r\n' },
      { subject: 'Courrier (2)' },
      { date: new Date(NOW.getTime() + 60_000) },
      { from: 'labo.bio33@medical33.lnp.test' },
      { cc: [] },
      { attachments: [{ name: 'cr.pdf', data: new TextEncoder().encode('%PDF-1.4\n%%EOF \n') }] },
      { attachments: [{ name: 'cr-2.pdf', data: new TextEncoder().encode('%PDF-1.4\n%%EOF\n') }] },
      { attachments: [] },
    ];
    const seen = new Set([base]);
    for (const v of variants) seen.add(await contentDigest((await open(v)).opened));
    expect(seen.size).toBe(variants.length + 1);
  });

  it('ignores what a re-encoding may change: line ends, white space at line ends, address order and case, subject folding', async () => {
    const m = (await open()).opened;
    const same: OpenedMessage = {
      ...m,
      to: m.to.map((a) => a.toUpperCase()),
      cc: [...m.cc].reverse(),
      subject: ` ${m.subject}  `,
      date: new Date(Date.parse(m.date!)).toUTCString(),
      content: { ...m.content, text: m.content.text.replace(/\r\n/g, ' \n') + '\n' } as OpenedMessage['content'],
      meta: { other: 'transport' },
    };
    expect(await contentDigest(same)).toBe(await contentDigest(m));
  });

  it('names, in its canonical form, no wire detail (no IV, no seal, no transit, no envelope)', async () => {
    const { opened } = await open();
    const form = await canonicalContent(opened);
    expect(Object.keys(form)).toEqual(['v', 'from', 'to', 'cc', 'subject', 'date', 'inReplyTo', 'kind', 'text', 'html', 'hprim', 'notification', 'attachments']);
    expect(form.attachments).toEqual([{ name: 'cr.pdf', type: 'application/pdf', size: 15, sha256: expect.stringMatching(HEX64) }]);
    expect(form.date).toBe(NOW.getTime());
  });
});

describe('rawDigest', () => {
  it('is the SHA-256 of the bytes, marked raw:', async () => {
    expect(await rawDigest(new TextEncoder().encode('abc'))).toBe('raw:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('the SHA-256 the Node runtime injects (OpenSSL, synchronous)', () => {
  it('gives the digests WebCrypto gives', async () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('abc'), big, big.subarray(7, 9_007)]) {
      expect(await rawDigest(bytes, nodeSha256)).toBe(await rawDigest(bytes));
    }
    const { opened } = await open();
    expect(await contentDigest(opened, nodeSha256)).toBe(await contentDigest(opened));
    for (const text of ['', 'abc', 'Cher confrère, é à ü 🩺']) {
      expect(Buffer.from(await nodeSha256(text))).toEqual(Buffer.from(await nodeSha256(new TextEncoder().encode(text))));
    }
  });
});

describe('text canonical form', () => {
  it('drops white space at line ends and blank lines at the end, makes line ends LF', async () => {
    const { opened } = await open();
    const variant = (text: string) => ({ ...opened, content: { ...opened.content, text } }) as OpenedMessage;
    const want = (await canonicalContent(variant('a\nb c\n\nd'))).text;
    for (const t of ['a \r\nb c\t\r\n\r\nd\r\n\r\n', 'a\t \nb c\n\nd \n', 'a\rb c\r\rd\n\n\n']) {
      expect((await canonicalContent(variant(t))).text).toBe(want);
    }
    expect((await canonicalContent(variant('a\n b'))).text).toBe('a\n b');
  });
});

describe('the framing the digest hashes (canonical form version 2)', () => {
  it('frames two forms alike only when they are equal: no separator can be forged inside a value', () => {
    const forms: unknown[] = [
      { a: 'x', b: 'y' }, { a: 'x,b', b: '' }, { a: 's1:x', b: 'y' }, { a: ['x', 'y'] }, { a: ['x,y'] }, { a: ['xy'] },
      { a: null }, { a: 'z' }, { a: '' }, { a: 1 }, { a: '1' }, { a: [] }, { a: [null] }, { a: { b: 'c' } }, { a: 'o1:s1:bs1:c' },
    ];
    const framed = forms.map(frame);
    expect(new Set(framed).size).toBe(forms.length);
    expect(frame({ v: 2, to: ['a@b'], x: null })).toBe('o3:s1:vn2;s2:toa1:s3:a@bs1:xz');
  });
});
