export { buildXdm, buildXdmMetadata, cxPatientId, xdmDocName, xdsTime, type XdmDocument, type XdmOptions } from './build.js';
export { readXdm, parseXdmMetadata, XdmError, type XdmContent, type XdmReadDocument, type XdmEntryMetadata } from './read.js';
export { readZipSafely, isSafeEntryName, ZipSafetyError, DEFAULT_ZIP_LIMITS, type ZipLimits, type ZipRefusal } from './zip-read.js';
export { XDS, XDS_CODES, type XdsCode } from './codes.js';
