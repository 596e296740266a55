/**
 * Media type of a file from its name, for attachments that arrive without one (LPZ
 * containers carry names only). Policy as data.
 *
 * @example
 * mediaTypeOf('compte-rendu.pdf'); // 'application/pdf'
 */
const BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  hpr: 'text/plain',
  htm: 'text/html',
  html: 'text/html',
  xml: 'text/xml',
  zip: 'application/zip',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  dcm: 'application/dicom',
  rtf: 'application/rtf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  odt: 'application/vnd.oasis.opendocument.text',
};

export function mediaTypeOf(filename: string): string {
  const ext = filename.toLowerCase().split('.').pop() ?? '';
  return BY_EXTENSION[ext] ?? 'application/octet-stream';
}
