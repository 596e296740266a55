/** XDS.b metadata constants (IHE ITI TF-3 §4.2.5), as data. */
export const XDS = {
  documentEntryType: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  submissionSetNode: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  de: {
    classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
    confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
    formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
    healthcareFacilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
    practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
    typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
    author: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
    patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
    uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  },
  ss: {
    contentTypeCode: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
    author: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
    uniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
    sourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
    patientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  },
} as const;

/** A coded value of the metadata: code, coding scheme (OID) and display name. */
export interface XdsCode { code: string; scheme: string; display: string }

/** Codes of the documents the gateway packs (French XDS affinity domain values). */
export const XDS_CODES = {
  crBio: {
    formatCode: { code: 'urn:ihe:lab:xd-lab:2008', scheme: '1.3.6.1.4.1.19376.1.2.3', display: 'CR de biologie' },
    typeCode: { code: '11502-2', scheme: '2.16.840.1.113883.6.1', display: "CR d'examens biologiques" },
    classCode: { code: '10', scheme: '1.2.250.1.213.1.1.4.1', display: 'Compte rendu' },
  },
  pdf: {
    formatCode: { code: 'urn:ihe:iti:xds-sd:pdf:2008', scheme: '1.3.6.1.4.1.19376.1.2.3', display: 'Document à corps non structuré en Pdf/A-1' },
    typeCode: { code: '11502-2', scheme: '2.16.840.1.113883.6.1', display: "CR d'examens biologiques" },
    classCode: { code: '10', scheme: '1.2.250.1.213.1.1.4.1', display: 'Compte rendu' },
  },
  confidentiality: { code: 'N', scheme: '2.16.840.1.113883.5.25', display: 'Normal' },
  facility: { code: 'SA25', scheme: '1.2.250.1.71.4.2.4', display: 'Laboratoire de biologie médicale' },
  practice: { code: 'AMBULATOIRE', scheme: '1.2.250.1.213.1.1.4.9', display: 'Ambulatoire' },
  contentType: { code: '04', scheme: '1.2.250.1.213.1.1.4.12', display: 'Hospitalisation de jour' },
} as const;
