/** Object identifiers of the CMS / S/MIME algorithms used here. Policy as data. */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes192Gcm: '2.16.840.1.101.3.4.1.26',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
} as const;

/** Content-encryption algorithms accepted inbound: WebCrypto name and key length in bytes. */
export const CONTENT_CIPHERS: Record<string, { name: 'AES-CBC' | 'AES-GCM'; keyBytes: number }> = {
  [OID.aes128Cbc]: { name: 'AES-CBC', keyBytes: 16 },
  [OID.aes192Cbc]: { name: 'AES-CBC', keyBytes: 24 },
  [OID.aes256Cbc]: { name: 'AES-CBC', keyBytes: 32 },
  [OID.aes128Gcm]: { name: 'AES-GCM', keyBytes: 16 },
  [OID.aes192Gcm]: { name: 'AES-GCM', keyBytes: 24 },
  [OID.aes256Gcm]: { name: 'AES-GCM', keyBytes: 32 },
};

/** Digest OIDs → WebCrypto names. */
export const DIGESTS: Record<string, 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'> = {
  [OID.sha1]: 'SHA-1',
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};
