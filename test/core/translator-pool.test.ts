import { afterAll, describe, expect, it } from 'vitest';
import type { Content } from '../../core/model/content.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { TranslatorPool } from '../../app/node/translator-pool.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { readHprim } from '../../mappings/hprim/index.js';
import { readXdm } from '../../mappings/xdm/index.js';
import { sampleHprim } from '../mappings/fixtures.js';

function opened(content: Content, source: 'legacy' | 'mssante'): OpenedMessage {
  return {
    envelope: { id: 'm1', source, mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m1@x>', receivedAt: 0, size: 1, rawRef: 'r' },
    from: 'a@x', to: ['b@y'], cc: [], subject: '', content, meta: {},
  };
}
const toNational = { network: 'mssante' as const, recipients: ['dr@mssante.test'], from: 'labo@gw.test', messageId: '<t1@gw>' };

describe('translator pool (worker threads)', () => {
  const pool = new TranslatorPool({ size: 2 });
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
    const job = pool.translator(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), toNational).then(() => null, (e: unknown) => e);
    const slots = (pool as unknown as { slots: ({ worker: { terminate(): Promise<number> } } | null)[] }).slots;
    await Promise.all(slots.map((s) => s?.worker.terminate()));
    const err = await job;
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).kind).toBe('WORKER_FAILED');
    expect((err as GatewayError).permanent).toBe(false);
    const again = await pool.translator(opened({ kind: 'lab-report', hprim: text, text, attachments: [] }, 'legacy'), toNational);
    expect(again.priority).toBe('urgent');
  });

  it('after close, jobs are refused as a shutdown (temporary)', async () => {
    const p = new TranslatorPool({ size: 1 });
    await p.close();
    const err = await p.translator(opened({ kind: 'letter', text: 'x', attachments: [] }, 'legacy'), toNational).catch((e: GatewayError) => e);
    expect((err as GatewayError).kind).toBe('SHUTTING_DOWN');
  });
});
