/**
 * Object identifiers the gateway writes into CDA and XDM metadata, as data. The root is an
 * OID under the UUID arc 2.25 (ISO/IEC 9834-8: any UUID makes a valid OID without
 * registration), so nothing here claims an identifier space the project does not own.
 * Deployments may pass their own registered root instead (`oidRoot` option).
 */
export const PASSERELLE_OID = '2.25.147696428969870600923400477946018732615';

/** Sub-arcs under the root. */
export const OID_ARC = {
  /** Laboratory local analysis codes (HPRIM `RES` field 2). */
  localAnalysisCode: 1,
  /** Patient identifiers local to the sending laboratory (HPRIM header line 1): never an INS. */
  localPatientId: 2,
  /** Documents produced by the gateway (ClinicalDocument/id, setId, XDM uniqueId). */
  document: 3,
  /** Request numbers (HPRIM header line 9). */
  request: 4,
  /** Sender codes of the legacy network (HPRIM header line 11). */
  senderCode: 5,
  /** Recipient codes of the legacy network (HPRIM header line 12). */
  recipientCode: 6,
  /** Local coded result values (HPRIM type C). */
  localResultCode: 7,
  /** XDM submission sets. */
  submissionSet: 8,
} as const;

/**
 * @example
 * oid(PASSERELLE_OID, 'localPatientId') // '2.25.1476….2'
 */
export function oid(root: string, arc: keyof typeof OID_ARC): string {
  return `${root}.${OID_ARC[arc]}`;
}

export const LOINC = '2.16.840.1.113883.6.1';
