/**
 * The MSSanté message header fields (Référentiel #2 v1.0.1). Policy as data; no `node:`
 * imports.
 *
 * - `X-MSS-NIL`: on every message, the configured product reference.
 * - `X-MSS-CODECDA`: the `code` of each CDA document in `IHE_XDM.ZIP`, comma-separated, in
 *   document order without repeats; absent when the message carries no CDA.
 * - `X-MSS-INS`: `O` when the patient's INS is qualified, `N` when a patient is concerned
 *   but the INS is not qualified; absent when the message concerns no patient.
 * - `X-MSS-MES: FIN` on messages to a patient's mailbox (the patient cannot reply).
 */

export interface MssHeaderInput {
  /** Configured `X-MSS-NIL` value (e.g. `Passerelle/0.1`). */
  nil: string;
  /** `ClinicalDocument/code/@code` of each CDA document carried (from the XDM reader). */
  cdaCodes?: string[];
  /** Is the patient's INS qualified? `undefined`: no patient concerned. */
  insQualified?: boolean;
  /** Is the recipient a patient's mailbox? */
  toPatient?: boolean;
}

/** Header names, as written. */
export const MSS_HEADERS = {
  nil: 'X-MSS-NIL',
  codeCda: 'X-MSS-CODECDA',
  ins: 'X-MSS-INS',
  mes: 'X-MSS-MES',
} as const;

/** Characters a LOINC or local CDA code may hold in the header (no folding, no separators). */
const CODE_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** A header value as one safe line (no CR/LF, trimmed). */
function oneLine(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * The `X-MSS-*` fields for an outbound message.
 *
 * @example
 * mssHeaders({ nil: 'Passerelle/0.1', cdaCodes: ['11502-2'], insQualified: false });
 * // { 'X-MSS-NIL': 'Passerelle/0.1', 'X-MSS-CODECDA': '11502-2', 'X-MSS-INS': 'N' }
 */
export function mssHeaders(input: MssHeaderInput): Record<string, string> {
  const nil = oneLine(input.nil);
  if (nil === '') throw new Error('X-MSS-NIL: the configured value (mssante.nil) is empty');
  const out: Record<string, string> = { [MSS_HEADERS.nil]: nil };
  const codes: string[] = [];
  for (const c of input.cdaCodes ?? []) {
    const code = c.trim();
    if (!CODE_RE.test(code)) throw new Error(`X-MSS-CODECDA: '${code.slice(0, 64)}' is not a CDA code`);
    if (!codes.includes(code)) codes.push(code);
  }
  if (codes.length > 0) out[MSS_HEADERS.codeCda] = codes.join(',');
  if (input.insQualified !== undefined) out[MSS_HEADERS.ins] = input.insQualified ? 'O' : 'N';
  if (input.toPatient) out[MSS_HEADERS.mes] = 'FIN';
  return out;
}

/**
 * Reads the `X-MSS-*` fields of a received message (header names case-insensitive).
 *
 * @example
 * readMssHeaders({ 'x-mss-codecda': '11502-2, 34133-9', 'x-mss-ins': 'O' });
 * // { cdaCodes: ['11502-2', '34133-9'], insQualified: true }
 */
export function readMssHeaders(headers: Record<string, string | undefined>): { nil?: string; cdaCodes: string[]; insQualified?: boolean; noReply: boolean } {
  const get = (name: string) => {
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name.toLowerCase() && v !== undefined) return v.trim();
    return undefined;
  };
  const ins = get(MSS_HEADERS.ins)?.toUpperCase();
  return {
    nil: get(MSS_HEADERS.nil),
    cdaCodes: (get(MSS_HEADERS.codeCda) ?? '').split(',').map((s) => s.trim()).filter((s) => CODE_RE.test(s)),
    insQualified: ins === 'O' ? true : ins === 'N' ? false : undefined,
    noReply: get(MSS_HEADERS.mes)?.toUpperCase() === 'FIN',
  };
}
