import { afterAll, describe, expect, it } from 'vitest';
import type { Content } from '../../core/model/content.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { PipelinePool } from '../../app/node/pipeline-pool.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { readHprim } from '../../mappings/hprim/index.js';
import { readXdm } from '../../mappings/xdm/index.js';
import { sampleHprim } from '../mappings/fixtures.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { makeKeyFile } from '../../adapters/legacy/key-file.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { openLnpMail, withoutSealedParts, sealLnpMail } from '../../adapters/legacy/lnp-codec.js';

function opened(content: Content, source: 'legacy' | 'mssante'): OpenedMessage {
  return {
    envelope: { id: 'm1', source, mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m1@x>', receivedAt: 0, size: 1, rawRef: 'r' },
    from: 'a@x', to: ['b@y'], cc: [], subject: '', content, meta: {},
  };
}
const toNational = { network: 'mssante' as const, recipients: ['dr@mssante.test'], from: 'labo@gw.test', messageId: '<t1@gw>' };

describe('pipeline pool (worker threads): translate', () => {
  const pool = new PipelinePool({ size: 2 });
  afterAll(() => pool.close());

  it('maps on a worker what the main thread would: CR-BIO in XDM with every result, urgent, neutral subject', async () => {
    const text = sampleHprim();
    const outs = await Promise.all([1, 2, 3].map(() => pool.translator(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), toNational)));
    for (const out of outs) {
      expect(out.priority).toBe('urgent');
      expect(out.subject).toBe('[ALERTE RESULTAT CRITIQUE] Compte rendu de biologie');
      expect(out.headers).toEqual({ 'Message-ID': '<t1@gw>', 'X-MSS-CODECDA': '11502-2' });
      const zip = out.content.attachments.find((a) => a.filename === 'IHE_XDM.ZIP')!;
      expect(zip.data).toBeInstanceOf(Uint8Array);
      const xdm = await readXdm(zip.data);
      expect(xdm.documents).toHaveLength(1);
    }
    // and back, national → legacy, from the archive it made
    const zip = outs[0].content.attachments.find((a) => a.filename === 'IHE_XDM.ZIP')!;
    const back = await pool.translator(opened({ kind: 'letter', text: 'CR joint', attachments: [zip] }, 'mssante'), { network: 'legacy', recipients: ['dr.alice.martin'], from: 'x', messageId: '<t2@gw>' });
    if (back.content.kind !== 'lab-report') throw new Error(`kind ${back.content.kind}`);
    expect(readHprim(back.content.hprim!).report!.results).toEqual(readHprim(text).report!.results);
  });

  it('a worker that dies fails its jobs with a temporary error, and the next job gets a new worker', async () => {
    const text = sampleHprim();
    const slots = (pool as unknown as { slots: ({ worker: { terminate(): Promise<number> } } | null)[] }).slots;
    // The threads are told to stop first, the job posted to them next: a warm thread would
    // otherwise answer a small job before its end takes effect.
    const ended = Promise.all(slots.map((s) => s?.worker.terminate()));
    const job = pool.translator(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), toNational).then(() => null, (e: unknown) => e);
    await ended;
    const err = await job;
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe('WORKER_FAILED');
    expect((err as GatewayError).permanent).toBe(false);
    const again = await pool.translator(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), toNational);
    expect(again.priority).toBe('urgent');
  });

  it('loaded() settles once every started thread has loaded its code, and when one fails to start', async () => {
    const p = new PipelinePool({ size: 2 }).warm();
    const slots = (p as unknown as { slots: ({ worker: { threadId: number } } | null)[] }).slots;
    expect(slots.every((s) => s !== null)).toBe(true);
    await p.loaded();
    // Loaded threads answer at once; a pool with a thread ended before it loaded still settles.
    const q = new PipelinePool({ size: 1 }).warm();
    const ended = (q as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
    await Promise.all([q.loaded(), ended]);
    await p.close();
    await q.close();
  });

  it('after close, jobs are refused as a shutdown (temporary)', async () => {
    const p = new PipelinePool({ size: 1 });
    await p.close();
    const err = await p.translator(opened({ kind: 'letter', text: 'x', attachments: [] }, 'legacy'), toNational).catch((e: GatewayError) => e);
    expect((err as GatewayError).kind).toBe('SHUTTING_DOWN');
  });
});

describe('pipeline pool (worker threads): open and seal LNP/1 mail', () => {
  const pool = new PipelinePool({ size: 2 });
  afterAll(() => pool.close());
  const secret = (b: number) => new Uint8Array(32).fill(b);
  const now = new Date('2026-06-01T10:00:00Z');
  const mail = (keys: KeyStore, year = 2026) =>
    sealLnpMail(keys, {
      holder: 'passerelle', year, from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [],
      subject: 'Compte rendu', messageId: '<m1@medical33.lnp.test>', date: now, text: 'Bonjour,\r\nrésultats joints.\r\n',
      attachments: [{ name: 'cr.txt', data: new TextEncoder().encode('H|^~\\&|résultat') }],
    }).then((r) => r.raw);

  it('opens on a worker what the main thread opens, from a copy of the keys', async () => {
    const keys = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(2))]);
    const open = pool.lnpCodec(keys).opener;
    const raw = await mail(keys);
    const here = await openLnpMail(keys, raw, { now, holder: 'passerelle' });
    const there = await Promise.all([1, 2, 3, 4].map(() => open(raw, { now, holder: 'passerelle' })));
    // The same, less the sealed parts (armour, containers' bytes) it need not post back.
    for (const t of there) expect(t).toEqual(withoutSealedParts(here));
    expect(there[0].mail).not.toHaveProperty('armour');
    expect(there[0].mail.attachments).toEqual(here.mail.attachments.map((a) => ({ filename: a.filename })));
    expect(there[0].mail.attachments.length).toBeGreaterThan(0);
    expect(there[0].text).toBe('Bonjour,\r\nrésultats joints.\r\n');
    expect(there[0].attachments[0].data).toBeInstanceOf(Uint8Array);
  });

  it('seals on a worker what the main thread opens: same text, recipients, attachments and text changes', async () => {
    const keys = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(2))]);
    const input = {
      holder: 'passerelle', year: 2026, from: 'jean.dupont.med@interop.lnp.test', to: ['cab.dupuis@medical33.lnp.test'], cc: ['dr.alice.martin@medical33.lnp.test'],
      subject: 'Compte rendu', messageId: '<s1@gw>', date: now, text: 'Résultat : « normal » – voir PJ\r\n',
      attachments: [{ name: 'cr.pdf', data: new Uint8Array(4000).fill(7) }, { name: 'note.txt', data: new TextEncoder().encode('à lire'), deflate: false }],
    };
    const { sealer } = pool.lnpCodec(keys);
    const there = await sealer(input);
    const here = await sealLnpMail(keys, input);
    expect(there.changes).toEqual(here.changes);
    expect(there.changes.length).toBeGreaterThan(0); // the dash is not ISO-8859-1
    const a = await openLnpMail(keys, there.raw, { now, holder: 'passerelle' });
    const b = await openLnpMail(keys, here.raw, { now, holder: 'passerelle' });
    expect(a.text).toBe(b.text);
    expect(a.dests).toEqual(['cab.dupuis', 'dr.alice.martin']);
    expect(a.attachments).toEqual(b.attachments);
    const shown = (m: typeof a.mail) => ({ ...m, armour: '', attachments: [], headers: { ...m.headers, 'content-type': '' } }); // random boundary
    expect(shown(a.mail)).toEqual(shown(b.mail));
  });

  it('an LNP/1 failure comes back as the same LegacyError (its code decides the quarantine)', async () => {
    const keys = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(2))]);
    const other = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(3))]);
    const raw = await mail(other); // sealed under another gateway key: authentication fails
    const err = await pool.lnpCodec(keys).opener(raw, { now, holder: 'passerelle' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LegacyError);
    expect((err as LegacyError).code).toBe('AUTH_FAILED');
    const bad = await pool.lnpCodec(keys).opener(new TextEncoder().encode('Subject: x\r\n\r\nno armour'), { now, holder: 'passerelle' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(LegacyError);
    const inThread = await openLnpMail(keys, new TextEncoder().encode('Subject: x\r\n\r\nno armour'), { now, holder: 'passerelle' }).catch((e: unknown) => e);
    expect((bad as LegacyError).code).toBe((inThread as LegacyError).code);
    expect((bad as LegacyError).message).toBe((inThread as LegacyError).message);
  });

  it('keys the gateway takes while running (the folder read again) reach the threads before the next mail', async () => {
    const keys = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(2))]);
    const open = pool.lnpCodec(keys).opener;
    const next = new KeyStore([makeKeyFile('Master', 2027, 1, secret(4)), makeKeyFile('passerelle', 2027, 1, secret(5))]);
    const raw2027 = await mail(next, 2027);
    const later = new Date('2027-01-02T10:00:00Z');
    const before = await open(raw2027, { now: later, holder: 'passerelle' }).catch((e: unknown) => e);
    expect((before as LegacyError).code).toBe('NO_KEY_FOR_YEAR');
    expect(keys.adopt(next)).toEqual(['Master.127', 'passerelle.127']);
    const opened = await Promise.all([1, 2, 3].map(() => open(raw2027, { now: later, holder: 'passerelle' })));
    for (const o of opened) expect(o.year).toBe(2027);
  });
});
