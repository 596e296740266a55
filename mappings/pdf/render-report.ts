import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { LabReport } from '../../core/model/content.js';
import { FLAG_SEVERITY, STATUS_LABEL } from '../tables/interpretation.js';
import { toWinAnsi } from './win-ansi.js';
import { jsDeflateRaw, zlibStream, type DeflateRaw } from '../../lib/deflate.js';

export interface PdfOptions {
  /** Creation date written in the PDF info (fixed for reproducible output). */
  now?: Date;
  /** Title at the top of the first page. */
  title?: string;
  /** The compressor of page contents (FlateDecode; default pure JS; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
}

type Rgb = readonly [number, number, number];
/** A colour's `rg` operands, written once per colour. */
const COLOUR_OPERANDS = new WeakMap<Rgb, string>();
function colourOperands(c: Rgb): string {
  let ops = COLOUR_OPERANDS.get(c);
  if (ops === undefined) COLOUR_OPERANDS.set(c, (ops = `${operandNumber(c[0])} ${operandNumber(c[1])} ${operandNumber(c[2])}`));
  return ops;
}
const RED: Rgb = [0.8, 0, 0];
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [0.35, 0.35, 0.35];

/** WinAnsi codes of the Windows-1252 characters outside Latin-1 (the standard fonts' encoding). */
const WIN_ANSI_CODE: Readonly<Record<string, number>> = {
  '€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88, '‰': 0x89, 'Š': 0x8a, '‹': 0x8b, 'Œ': 0x8c,
  'Ž': 0x8e, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9a, '›': 0x9b,
  'œ': 0x9c, 'ž': 0x9e, 'Ÿ': 0x9f,
};

/**
 * The WinAnsi code of each UTF-16 code unit (Latin-1 maps to itself, the Windows-1252 extras
 * to theirs), or -1: one array read a character where the widths and the hex operands of a
 * page's few hundred strings are taken.
 */
const ANSI_CODE = (() => {
  const t = new Int16Array(0x10000).fill(-1);
  for (let c = 0; c < 0x100; c++) t[c] = c;
  for (const [ch, code] of Object.entries(WIN_ANSI_CODE)) t[ch.charCodeAt(0)] = code;
  return t;
})();

/** A page's operators take some 10–15 KB: the first buffer's size. */
const CONTENT_BYTES = 32 * 1024;
const NO_BYTES = new Uint8Array(0);
/** `0`–`9`, `A`–`F` as bytes. */
const HEX_DIGITS = new TextEncoder().encode('0123456789ABCDEF');

/**
 * A page's content operators as the bytes they are (ASCII: text is hex-encoded), written as
 * they come: no string a operator, no join of a few hundred of them, no encoding at the end.
 */
class ContentBytes {
  private buf = NO_BYTES;
  private len = 0;

  get empty(): boolean {
    return this.len === 0;
  }

  /** An operator's ASCII text. */
  ascii(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }

  /** A WinAnsi-drawable string's (output of toWinAnsi) hex digits; a character the encoding lacks is `FF`. */
  winAnsiHex(s: string): void {
    this.room(2 * s.length);
    for (let i = 0; i < s.length; i++) {
      const c = ANSI_CODE[s.charCodeAt(i)]! & 0xff;
      this.buf[this.len++] = HEX_DIGITS[c >> 4]!;
      this.buf[this.len++] = HEX_DIGITS[c & 15]!;
    }
  }

  /** The bytes written so far; the writer starts again empty (a new buffer when next written to). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    this.buf = NO_BYTES;
    this.len = 0;
    return out;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.len + n, CONTENT_BYTES));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
}

/**
 * A coordinate or size as an operand: rounded to the hundredth, written as
 * `(Math.round(n * 100) / 100).toString()` writes it (no trailing zeros), from the integer
 * hundredths (a double's shortest form costs more, five times an operator).
 */
export function operandNumber(n: number): string {
  const k = Math.round(n * 100);
  if (!Number.isSafeInteger(k)) return (k / 100).toString(); // not a page's coordinate: as it was
  const a = k < 0 ? -k : k;
  const whole = Math.floor(a / 100);
  const cents = a - whole * 100;
  const sign = k < 0 ? '-' : '';
  if (cents === 0) return `${sign}${whole}`;
  if (cents % 10 === 0) return `${sign}${whole}.${cents / 10}`;
  return `${sign}${whole}.${cents < 10 ? '0' : ''}${cents}`;
}
const A4: [number, number] = [595.28, 841.89];
const MARGIN = 40;

interface Fonts { regular: PDFFont; bold: PDFFont; mono: PDFFont }

/** Advance widths (per 1,000 units of the font size) of the 256 WinAnsi codes, by font name. */
const ADVANCES = new Map<string, Float64Array>();

/**
 * Width of a WinAnsi string (output of toWinAnsi) as `Tj` draws it: the sum of the glyphs'
 * advances, without kerning (pdf-lib's widthOfTextAtSize adds kerning pairs, which `Tj`
 * does not apply, and costs a font-table walk per call).
 */
function widthOf(font: PDFFont, s: string, size: number): number {
  const adv = advances(font);
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = ANSI_CODE[s.charCodeAt(i)]!;
    if (c >= 0) w += adv[c]!;
  }
  return (w * size) / 1000;
}

/**
 * `s` as it fits in `maxWidth`: whole, or its longest prefix followed by `…` that fits (at
 * least `…`). One pass over the text, so a line of any length costs its length (removing a
 * character at a time and measuring again cost its square: seconds for a 50 KB line).
 */
function fitWidth(font: PDFFont, s: string, size: number, maxWidth: number): string {
  if (s.length <= 1 || widthOf(font, s, size) <= maxWidth) return s;
  const adv = advances(font);
  const ellipsis = adv[ANSI_CODE['…'.charCodeAt(0)]!] ?? 0;
  // prefix sums in the order widthOf adds, so the widths compared are the same numbers
  let best = 0;
  let w = 0;
  for (let k = 0; k <= s.length - 2; k++) {
    if (((w + ellipsis) * size) / 1000 <= maxWidth) best = k;
    const c = ANSI_CODE[s.charCodeAt(k)]!;
    if (c >= 0) w += adv[c]!;
  }
  return s.slice(0, best) + '…';
}

function advances(font: PDFFont): Float64Array {
  let adv = ADVANCES.get(font.name);
  if (!adv) {
    adv = new Float64Array(256);
    for (let c = 32; c < 256; c++) {
      const ch = Object.keys(WIN_ANSI_CODE).find((k) => WIN_ANSI_CODE[k] === c) ?? String.fromCharCode(c);
      try { adv[c] = font.widthOfTextAtSize(ch, 1000); } catch { adv[c] = 0; }
    }
    ADVANCES.set(font.name, adv);
  }
  return adv;
}

/**
 * Writes page content operators directly (text objects with a WinAnsi hex string), which is
 * an order of magnitude cheaper than pdf-lib's drawText for a table of a few dozen cells.
 */
class Writer {
  page!: PDFPage;
  y = 0;
  private ops = new ContentBytes();
  /** The page's resource name of each font, as an operand (`/F1-0`…). */
  private keys = new Map<PDFFont, string>();
  constructor(private doc: PDFDocument, readonly fonts: Fonts, private readonly deflateRaw: DeflateRaw) {
    this.newPage();
  }
  private newPage(): void {
    this.flush();
    this.page = this.doc.addPage(A4);
    this.keys = new Map();
    for (const f of [this.fonts.regular, this.fonts.bold, this.fonts.mono]) this.keys.set(f, this.page.node.newFontDictionary(f.name, f.ref).asString());
    this.y = A4[1] - MARGIN;
  }
  /** Attach the operators written so far to the current page. */
  flush(): void {
    if (!this.page || this.ops.empty) return;
    const content = zlibStream(this.ops.take(), this.deflateRaw, 6);
    const stream = this.doc.context.stream(content, { Filter: 'FlateDecode' });
    this.page.node.addContentStream(this.doc.context.register(stream));
  }
  need(h: number): void {
    if (this.y - h < MARGIN) this.newPage();
  }
  text(s: string, x: number, opts: { font?: PDFFont; size?: number; color?: Rgb; maxWidth?: number } = {}): void {
    const font = opts.font ?? this.fonts.regular;
    const size = opts.size ?? 9;
    let t = toWinAnsi(s);
    if (opts.maxWidth) t = fitWidth(font, t, size, opts.maxWidth);
    if (!t) return;
    // One text object an operator line, the lines apart by `\n`.
    this.ops.ascii(`${this.ops.empty ? '' : '\n'}BT ${this.keys.get(font)!} ${operandNumber(size)} Tf ${colourOperands(opts.color ?? BLACK)} rg 1 0 0 1 ${operandNumber(x)} ${operandNumber(this.y)} Tm <`);
    this.ops.winAnsiHex(t);
    this.ops.ascii('> Tj ET');
  }
  /** Wrapped paragraph of one logical line. */
  para(s: string, opts: { font?: PDFFont; size?: number } = {}): void {
    const font = opts.font ?? this.fonts.regular;
    const size = opts.size ?? 9;
    const width = A4[0] - 2 * MARGIN;
    const words = toWinAnsi(s).split(' ');
    let line = '';
    const flush = () => { this.need(size + 3); this.text(line, MARGIN, { font, size }); this.y -= size + 3; line = ''; };
    for (const w of words) {
      const next = line ? `${line} ${w}` : w;
      if (line && widthOf(font, next, size) > width) { flush(); line = w; } else line = next;
    }
    flush();
  }
}

function range(low: string | undefined, high: string | undefined): string {
  if (!low && !high) return '';
  if (low && high) return `${low} - ${high}`;
  return low ? `>= ${low}` : `<= ${high}`;
}

/**
 * Render a lab report to PDF (A4, standard fonts with WinAnsi: characters they cannot draw
 * are transliterated). Abnormal results (L/H) are drawn in red, panic values (LL/HH) in
 * bold red with a marker; an alert banner tops the first page when there is any.
 *
 * @example
 * const pdf = await renderReportPdf(report); // Uint8Array starting with %PDF-
 */
export async function renderReportPdf(report: LabReport, options: PdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts: Fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    mono: await doc.embedFont(StandardFonts.Courier),
  };
  const title = options.title ?? "Compte rendu d'examens biologiques";
  doc.setTitle(toWinAnsi(title));
  doc.setProducer('Passerelle');
  if (options.now) { doc.setCreationDate(options.now); doc.setModificationDate(options.now); }
  const w = new Writer(doc, fonts, options.deflateRaw ?? jsDeflateRaw);
  w.text(title, MARGIN, { font: fonts.bold, size: 14 });
  w.y -= 20;

  const severities = report.results.map((r) => FLAG_SEVERITY[r.flag] ?? 'none');
  if (severities.includes('panic') || severities.includes('abnormal')) {
    const panic = severities.includes('panic');
    w.text(panic ? '! VALEUR(S) CRITIQUE(S) - voir les resultats en rouge' : 'Resultat(s) anormal(aux) en rouge', MARGIN, { font: fonts.bold, size: 11, color: RED });
    w.y -= 18;
  }

  const p = report.patient;
  const rows: Array<[string, string]> = [
    ['Patient', `${p.lastName} ${p.firstName}`.trim()],
    ['Né(e) le', p.birthDate],
    ['Dossier', p.fileNumber],
    ['Demande', report.requestNumber],
    ["Date d'examen", report.examDate],
    ['Laboratoire', `${report.sender.code} ${report.sender.local}`.trim()],
    ['Destinataire', `${report.recipient.code} ${report.recipient.local}`.trim()],
  ];
  for (const [k, v] of rows) {
    if (!v) continue;
    w.need(12);
    w.text(k, MARGIN, { font: fonts.bold, color: GREY });
    w.text(v, MARGIN + 90, { maxWidth: A4[0] - 2 * MARGIN - 90 });
    w.y -= 12;
  }
  w.y -= 8;
  for (const line of report.freeText ?? []) w.para(line);

  if (report.results.length) {
    w.y -= 6;
    const cols = [MARGIN, MARGIN + 175, MARGIN + 250, MARGIN + 320, MARGIN + 405, MARGIN + 450];
    const heads = ['Analyse', 'Résultat', 'Unité', 'Référence', 'Interp.', 'Statut'];
    w.need(14);
    heads.forEach((h, i) => w.text(h, cols[i], { font: fonts.bold }));
    w.y -= 14;
    for (const r of report.results) {
      const sev = FLAG_SEVERITY[r.flag] ?? 'none';
      const color = sev === 'none' ? BLACK : RED;
      const font = sev === 'panic' ? fonts.bold : fonts.regular;
      const lines = r.value2 !== undefined || r.unit2 !== undefined ? 2 : 1;
      w.need(12 * lines);
      w.text(r.label || r.code, cols[0], { font, color, maxWidth: 170 });
      w.text(r.value, cols[1], { font, color, maxWidth: 70 });
      w.text(r.unit, cols[2], { color, maxWidth: 65 });
      w.text(range(r.low, r.high), cols[3], { color, maxWidth: 80 });
      w.text(sev === 'panic' ? `${r.flag} !!` : r.flag, cols[4], { font, color });
      w.text(STATUS_LABEL[r.status] ?? r.status, cols[5], { maxWidth: 60 });
      w.y -= 12;
      if (lines === 2) {
        w.text(r.value2 ?? '', cols[1], { font, color, maxWidth: 70 });
        w.text(r.unit2 ?? '', cols[2], { color, maxWidth: 65 });
        w.text(range(r.low2, r.high2), cols[3], { color, maxWidth: 80 });
        w.y -= 12;
      }
    }
  }
  if (report.texts.length) {
    w.y -= 8;
    for (const t of report.texts) {
      w.need(10);
      w.text(t, MARGIN, { font: fonts.mono, size: 7.5, maxWidth: A4[0] - 2 * MARGIN });
      w.y -= 10;
    }
  }
  w.flush();
  return doc.save({ useObjectStreams: false });
}
