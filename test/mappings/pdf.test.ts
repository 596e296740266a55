import { PDFDocument, PDFRawStream, decodePDFRawStream, PDFArray, PDFRef } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { readHprim } from '../../mappings/hprim/index.js';
import { renderReportPdf } from '../../mappings/pdf/render-report.js';
import { toWinAnsi } from '../../mappings/pdf/win-ansi.js';
import { sampleHprim } from './fixtures.js';

async function contentText(pdf: Uint8Array): Promise<string> {
  const doc = await PDFDocument.load(pdf);
  const out: string[] = [];
  for (const page of doc.getPages()) {
    const contents = page.node.Contents();
    const items = contents instanceof PDFArray ? contents.asArray() : [contents];
    for (const item of items) {
      const obj = item instanceof PDFRef ? doc.context.lookup(item) : item;
      if (obj instanceof PDFRawStream) out.push(new TextDecoder('latin1').decode(decodePDFRawStream(obj).decode()));
    }
  }
  return out.join('\n');
}

/** Hex-encoded WinAnsi text as pdf-lib writes it in `Tj` operators. */
function hexOf(s: string): string {
  return Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()).join('');
}

describe('report PDF', () => {
  const report = readHprim(sampleHprim()).report!;

  it('renders a loadable PDF with the results, abnormal values in red', async () => {
    const pdf = await renderReportPdf(report, { now: new Date('2026-11-20T10:00:00Z') });
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe('%PDF-');
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe("Compte rendu d'examens biologiques");
    const ops = await contentText(pdf);
    expect(ops).toContain(`<${hexOf('Potassium')}> Tj`);
    expect(ops).toContain(`<${hexOf('µmol/l')}> Tj`);
    // The potassium row (HH) is drawn in red: the red fill precedes its text.
    const red = '0.8 0 0 rg';
    const potassium = ops.indexOf(`<${hexOf('Potassium')}> Tj`);
    expect(ops.lastIndexOf(red, potassium)).toBeGreaterThan(ops.lastIndexOf('0 0 0 rg', potassium));
    expect(ops).toContain(`<${hexOf('HH !!')}> Tj`);
  });

  it('transliterates what WinAnsi cannot encode instead of failing, and paginates long reports', async () => {
    const many = { ...report, results: Array.from({ length: 120 }, (_, i) => ({ ...report.results[0], label: `Ωmega ≥ 日本 ${i}`, flag: (i % 3 ? 'N' : 'L') as 'N' | 'L' })) };
    const pdf = await renderReportPdf(many);
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBeGreaterThan(1);
    expect(await contentText(pdf)).toContain(`<${hexOf('?mega >= ?? 7')}> Tj`);
  });

  it('cuts an over-long cell or line with … in time proportional to its length (fuzzing finding: a 59 KB TEX line took 7 s)', async () => {
    const long = { ...report, results: [{ ...report.results[0], label: 'Potassium '.repeat(6000) }], texts: ['POTASSIUM 6,9 mmol/l '.repeat(3000)] };
    const t0 = performance.now();
    const pdf = await renderReportPdf(long);
    expect(performance.now() - t0).toBeLessThan(1000);
    const ops = await contentText(pdf);
    const cells = [...ops.matchAll(/<([0-9A-F]+)> Tj/g)].map((m) => Buffer.from(m[1]!, 'hex').toString('latin1'));
    const label = cells.find((c) => c.startsWith('Potassium Potassium'))!;
    expect(label.endsWith('\x85')).toBe(true); // … in WinAnsi
    expect(label.length).toBeLessThan(60);
    expect(cells.find((c) => c.startsWith('POTASSIUM 6,9'))!.endsWith('\x85')).toBe(true);
  });

  it('toWinAnsi keeps Latin-1 and cp1252 extras, folds accents and symbols', () => {
    expect(toWinAnsi('Créatinine µmol/l 5 € – “ok”')).toBe('Créatinine µmol/l 5 € – “ok”');
    expect(toWinAnsi('Łódź ≤ 3 − 1\tx')).toBe('Lódz <= 3 - 1 x');
    expect(toWinAnsi('😀')).toBe('?');
  });
});
