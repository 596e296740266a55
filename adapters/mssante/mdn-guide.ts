/**
 * The national guide's rules for MDNs, as data: its error-code tables, which gateway
 * failure gets which code, and the MDN policy (what the third part carries). No `node:`
 * imports.
 *
 * Source: ANS, CI-SIS "Volet Transmission au LPS de documents CDA provenant d'un courriel
 * MSSanté" (HL7v2 implementation guide `ans.hl7v2.fr.trans-cda-mss`, v1.1.3), pages
 * "Structure du MDN" (`struct-msg-mdn`) and "Codes erreurs" (`error-codes`); repository
 * `ansforge/IG-hl7v2-volet-trans-lps-doc-cda-courriel-mss`. The guide is written for an
 * intermediation platform that receives MSSanté mail on behalf of a hospital system and
 * answers with an MDN once the document was (or could not be) integrated: the gateway
 * stands in the same place for its legacy subscribers. What it asks beyond RFC 8098:
 * `Disposition: automatic-action/MDN-sent-automatically; processed/Error: CODE^LABEL` with a
 * code and label from the tables below, the code and label in the human-readable part,
 * `Original-Message-ID` and `Original-Recipient` always, the subject
 * `[KO Intégration système !][CODE] XDM/1.0/DDM+…`, the original as `message/rfc822` (third
 * part required), and the original's attachments (IHE_XDM.zip, PDF) given back as parts
 * of the MDN. See `README.md` ("MDNs") for where the gateway departs from it and why.
 */
import { REPLY_CODES, type ErrorKind } from '../../core/errors/reply-codes.js';

/** One row of the guide's tables: the code and label are written as they stand there. */
export interface GuideErrorCode {
  /** HL7 `messageErrorCondition` (table 0357, ERR-3) or the guide's user-defined `applicationErrorCondition` (ERR-5). */
  table: 'messageErrorCondition' | 'applicationErrorCondition';
  /**
   * The label ("Libellé") exactly as the guide's table gives it. The human part carries it
   * as it is; the machine part (US-ASCII under RFC 8098) without its accents.
   */
  label: string;
  /** What it means (our summary of the guide's description). */
  meaning: string;
}

/**
 * The guide's two tables ("Codes erreurs"). Labels are copied as the tables spell them:
 * they travel in the MDN. The guide's example MDN writes 902 as "Identifiant de patient
 * inconnu" and names the table `messageErrorCondition`; the tables win over the example,
 * which the guide itself calls illustrative and non-normative.
 */
export const GUIDE_ERROR_CODES = {
  '0': { table: 'messageErrorCondition', label: 'Message accepted', meaning: 'accepted' },
  '100': { table: 'messageErrorCondition', label: 'Segment sequence error', meaning: 'HL7 segments out of order or missing' },
  '101': { table: 'messageErrorCondition', label: 'Required field missing', meaning: 'a required HL7 field is missing' },
  '102': { table: 'messageErrorCondition', label: 'Data type error', meaning: 'wrong HL7 data type' },
  '103': { table: 'messageErrorCondition', label: 'Table value not found', meaning: 'value not in its HL7 table' },
  '198': { table: 'messageErrorCondition', label: 'Non-conformant cardinality', meaning: 'HL7 cardinality error' },
  '199': { table: 'messageErrorCondition', label: 'Other HL7 Error', meaning: 'other HL7 syntax error' },
  '200': { table: 'messageErrorCondition', label: 'Unsupported message type', meaning: 'HL7 message type not supported' },
  '201': { table: 'messageErrorCondition', label: 'Unsupported event code', meaning: 'HL7 event not supported' },
  '202': { table: 'messageErrorCondition', label: 'Unsupported processing', meaning: 'HL7 processing id not supported' },
  '203': { table: 'messageErrorCondition', label: 'Unsupported version', meaning: 'HL7 version not supported' },
  '207': { table: 'messageErrorCondition', label: 'Application error', meaning: 'application-level error, detailed by an applicationErrorCondition code' },
  '900': { table: 'applicationErrorCondition', label: "Version du document incorrecte lors d'une demande de remplacement/suppression", meaning: 'replace/delete names a document version that is not the latest' },
  '901': { table: 'applicationErrorCondition', label: 'Auteur non autorisé à remplacer ou supprimer un document', meaning: 'replace/delete by someone other than the author or their organisation' },
  '902': { table: 'applicationErrorCondition', label: 'Identifiant patient inconnu', meaning: 'the receiving system does not know the patient' },
  '903': { table: 'applicationErrorCondition', label: 'INS non présent dans le document', meaning: 'the CDA carries patient identifiers but no INS' },
  '904': { table: 'applicationErrorCondition', label: "L'INS transmis ne correspond pas exactement à celui stocké dans la base du consommateur", meaning: 'INS traits or number differ from the receiving system' },
  '905': { table: 'applicationErrorCondition', label: "L'INS transmis n'est pas complet", meaning: 'INS number present without all its traits' },
  '906': { table: 'applicationErrorCondition', label: "Erreur 'Autre'", meaning: 'any error the other codes do not describe' },
} as const satisfies Record<string, GuideErrorCode>;

export type GuideCode = keyof typeof GUIDE_ERROR_CODES;

/**
 * Which guide code a gateway failure gets. First match wins: a row naming the error kind
 * (`core/errors/reply-codes.ts`; the kind is recognised from the reply line the failure
 * left), then a row naming an enhanced-status prefix (the peer's reply, or a kind with no
 * row here), then `MDN_DEFAULT_CODE`.
 *
 * Every failure the gateway can meet is, in the guide's terms, "another error" (906): the
 * guide's other codes are about HL7 syntax (1xx–2xx), which national senders never send
 * us, or about what the receiving system knows of the patient and of earlier versions of
 * the document (900–905), which the gateway does not know: the legacy network takes
 * documents without checking either. The rows stay one per failure so that a reading of
 * the guide that differs (207 for the gateway's own trouble, say) is a one-line change.
 * The precise reason always travels beside the code (RFC 8098 `Error:` field, human part).
 */
export const MDN_ERROR_RULES: readonly { kind?: ErrorKind; status?: string; code: GuideCode }[] = [
  // The message could not be read or trusted (quarantined)
  { kind: 'CANNOT_OPEN', code: '906' },
  { kind: 'MALFORMED_MESSAGE', code: '906' },
  { kind: 'DECRYPT_FAILED', code: '906' },
  { kind: 'SIGNATURE_INVALID', code: '906' },
  { kind: 'CANNOT_TRANSLATE', code: '906' },
  { kind: 'UNREADABLE_CONTENT', code: '906' }, // a hostile or unreadable IHE_XDM.ZIP / CDA
  { kind: 'UNSAFE_CONTENT', code: '906' },
  { kind: 'CANNOT_SEAL', code: '906' },
  // No way to the recipient (routing, the legacy relay's answers)
  { kind: 'UNKNOWN_RECIPIENT', code: '906' },
  { kind: 'RECIPIENT_SUSPENDED', code: '906' },
  { kind: 'NO_ROUTE', code: '906' },
  { kind: 'EXPIRED', code: '906' },
  { kind: 'BAD_SENDER', code: '906' }, // the sender has no address on the legacy side
  { kind: 'REMOTE_PERMANENT', code: '906' },
  { kind: 'MESSAGE_TOO_BIG', code: '906' },
  // The gateway's own trouble
  { kind: 'STORE_UNAVAILABLE', code: '906' },
  { kind: 'WORKER_FAILED', code: '906' },
  // By enhanced status (RFC 3463 classes), for peers' replies and kinds added later
  { status: '5.6.', code: '906' }, // content (unsafe or unreadable content, conversion)
  { status: '5.7.', code: '906' }, // security
  { status: '5.1.', code: '906' }, // addressing
  { status: '5.2.', code: '906' }, // mailbox
];

export const MDN_DEFAULT_CODE: GuideCode = '906';

/** How MDNs are written, beyond the guide's fixed syntax. Adapter option `mdn` overrides. */
export interface MdnPolicy {
  /**
   * Third part: the whole original (`message/rfc822`, the guide's requirement) or only its
   * header section (`text/rfc822-headers`, RFC 8098's minimum).
   */
  original: 'full' | 'headers';
  /** Above this size the original travels as its header section only (and no files). */
  fullOriginalMaxBytes: number;
  /** Give the original's IHE_XDM.ZIP and PDF attachments back as parts after the original (the guide). */
  returnFiles: boolean;
  /**
   * RFC 8098 §2.1 (restated by the guide): no automatic MDN when `Disposition-Notification-To`
   * differs from the return path (the envelope sender).
   */
  requireSenderMatch: boolean;
}

export const MDN_POLICY: MdnPolicy = {
  original: 'full',
  fullOriginalMaxBytes: 10 * 1024 * 1024,
  returnFiles: true,
  requireSenderMatch: true,
};

/** The code and label an MDN `processed/Error` carries. */
export interface MdnError {
  code: string;
  label: string;
}

const REPLY = /^(\d{3})[ -](\d\.\d{1,3}\.\d{1,3})\s*(.*)$/s;

/** The error kind a reply line was written for, when it is one of the gateway's own. */
export function kindOfReply(reply: string): ErrorKind | null {
  const m = REPLY.exec(reply.trim());
  if (!m) return null;
  // The longest text that matches wins: one kind's text may begin another's.
  let best: { kind: ErrorKind; length: number } | null = null;
  for (const [kind, r] of Object.entries(REPLY_CODES)) {
    if (String(r.code) === m[1] && r.status === m[2] && m[3].startsWith(r.text) && (!best || r.text.length > best.length)) best = { kind: kind as ErrorKind, length: r.text.length };
  }
  return best?.kind ?? null;
}

/**
 * The guide's code and label for a failure, from the reply line it left (the kind's reply,
 * or a peer's).
 *
 * @example
 * mdnErrorFor('550 5.7.5 Message could not be decrypted'); // { code: '906', label: "Erreur 'Autre'" }
 */
export function mdnErrorFor(reply: string | undefined): MdnError {
  const text = (reply ?? '').trim();
  const kind = kindOfReply(text);
  const status = REPLY.exec(text)?.[2] ?? null;
  const row = MDN_ERROR_RULES.find((r) => (r.kind !== undefined && r.kind === kind))
    ?? MDN_ERROR_RULES.find((r) => r.status !== undefined && status !== null && status.startsWith(r.status));
  const code = row?.code ?? MDN_DEFAULT_CODE;
  return { code, label: GUIDE_ERROR_CODES[code].label };
}

/** `CODE^LABEL` as the guide writes it after `processed/Error:`, ASCII only (accents dropped). */
export function guideErrorValue(e: MdnError): string {
  return `${asciiField(e.code)}^${asciiField(e.label)}`;
}

/** Printable ASCII for a report field: accents dropped, anything else `?`, no `^`/CR/LF inside. */
export function asciiField(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/[\r\n]+/g, ' ').replace(/\^/g, ' ').replace(/[^\x20-\x7e]/g, '?').trim();
}
