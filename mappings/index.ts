/**
 * Clinical mappings between the legacy network (HPRIM, free text) and the national space
 * (CDA R2 CR-BIO in IHE XDM, letters). Pure functions, Web APIs only.
 */
export * from './hprim/index.js';
export { hprimToCrBio, CR_BIO, type CrBioDocument, type CrBioOptions } from './cda/write-cr-bio.js';
export { readCda, cdaToLegacy, CdaReadError, type CdaReading } from './cda/read-cda.js';
export { cdaToText } from './cda/narrative-text.js';
export { PASSERELLE_OID } from './cda/oids.js';
export { renderReportPdf, type PdfOptions } from './pdf/render-report.js';
export { toWinAnsi } from './pdf/win-ansi.js';
export * from './xdm/index.js';
export * from './letter/index.js';
export { alertOf, alertSubjectTag, alertHeaders, ALERT_SUBJECT_TAGS, type AlertLevel } from './alerts/alert.js';
export { hprimToNational, type NationalLabReport, type HprimToNationalOptions } from './bridge/hprim-to-national.js';
export { xdmToLegacy, type LegacyContent } from './bridge/xdm-to-legacy.js';
export { createClinicalTranslator, type ClinicalTranslatorOptions } from './bridge/translator.js';
