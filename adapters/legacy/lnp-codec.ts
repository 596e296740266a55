/**
 * The high-level LNP/1 pair the legacy adapter uses: open a mail received from the relay
 * (sealed for the gateway) and seal a mail for the network (sealed for the gateway's own
 * LOCAL, destination block naming the recipients).
 */
import type { TextChange } from '../../core/model/message.js';
import { LegacyError } from './legacy-error.js';
import type { KeyStore } from './key-store.js';
import { armour, dearmour } from './armour.js';
import { decodeBody, encodeBody } from './body.js';
import { decodeContainer, encodeContainer, sanitizeEntryName, type ContainerEntry } from './container.js';
import { buildLnpMail, parseLnpMail, type LnpMail } from './lnp-mail.js';
import type { DeflateRaw, InflateRaw } from '../../lib/deflate.js';
import type { Crc32 } from '../../lib/crc32.js';
import { openPayload, sealPayload, type AesGcmDecrypt, type AesGcmEncrypt } from './seal.js';

/**
 * An opened mail's head: the parsed mail less its sealed parts (the armour, the containers'
 * bytes), which opening has turned into `text` and `attachments`; the containers' file names
 * are kept.
 */
export type OpenedLnpHead = Omit<LnpMail, 'armour' | 'attachments'> & { attachments: { filename: string }[] };

export interface OpenedLnpMail {
  mail: OpenedLnpHead;
  holder: string;
  year: number;
  /** The message text (CRLF line ends), decoded from ISO-8859-1. */
  text: string;
  /** The `#DESTBEGIN#` list: LOCAL parts of all recipients, To then Cc. */
  dests: string[];
  /** Every entry of every container, in order. */
  attachments: ContainerEntry[];
}

export interface SealLnpMailInput {
  holder: string;
  year: number;
  from: string;
  to: string[];
  cc: string[];
  /**
   * The envelope recipients, whose LOCAL parts make the `#DESTBEGIN#` list (the relay checks
   * it names exactly them). Default: every To then Cc address.
   */
  dests?: string[];
  /** In clear on the network: must never name a patient. */
  subject: string;
  messageId: string;
  date: Date;
  text: string;
  /** One container per attachment. `deflate` unset: compress when it helps. */
  attachments: { name: string; data: Uint8Array; deflate?: boolean }[];
  extraHeaders?: Record<string, string>;
  /** `X-LNP-Transit` (only the relay sets it). */
  transit?: string;
  /** The compressor for attachment containers (default pure JS; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
  /** AES-256-GCM (default WebCrypto; the Node runtime's pipeline threads give OpenSSL's, synchronous). */
  encrypt?: AesGcmEncrypt;
  /** The armour's CRC-32 (default `lib/crc32.ts`; the Node runtime's pipeline threads give zlib's). */
  crc32?: Crc32;
}

/**
 * Opens a mail sealed for the gateway: `openLnpMail` over the adapter's key store, or the same
 * run elsewhere (the Node runtime runs it on a worker thread holding a copy of the keys).
 */
export type LnpOpener = (raw: Uint8Array, opts: { now: Date; holder: string }) => Promise<OpenedLnpMail>;

/** Seals a mail for the network: `sealLnpMail` over the adapter's key store and compressor, or the same run elsewhere. */
export type LnpSealer = (input: Omit<SealLnpMailInput, 'deflateRaw' | 'encrypt' | 'crc32'>) => Promise<{ raw: Uint8Array; changes: TextChange[] }>;

/**
 * The opened mail without the sealed parts still referenced by its head: what a thread that
 * opened it posts back (the armour alone is as large as the mail).
 */
export function withoutSealedParts(m: OpenedLnpMail): OpenedLnpMail {
  const { armour: _armour, attachments, ...head } = m.mail as LnpMail;
  return { ...m, mail: { ...head, attachments: attachments.map((a) => ({ filename: a.filename })) } };
}

/**
 * Open a mail sealed for `holder`: armour, payload (holder and year checked), body,
 * then every attachment container.
 *
 * @example
 * const m = await openLnpMail(store, raw, { now: new Date(), holder: 'passerelle' });
 * m.dests; // ['jean.dupont.med']
 */
export async function openLnpMail(
  keys: KeyStore, raw: Uint8Array, opts: { now: Date; holder: string; inflateRaw?: InflateRaw; decrypt?: AesGcmDecrypt; crc32?: Crc32 },
): Promise<OpenedLnpMail> {
  const mail = parseLnpMail(raw);
  const payload = { now: opts.now, expectedHolder: opts.holder, ...(opts.decrypt ? { decrypt: opts.decrypt } : {}) };
  const body = await openPayload(keys, dearmour(mail.armour, opts.crc32), payload);
  const { text, dests } = decodeBody(body.plaintext);
  const attachments: ContainerEntry[] = [];
  for (const a of mail.attachments) {
    const opened = await openPayload(keys, a.sealed, payload);
    attachments.push(...decodeContainer(opened.plaintext, { inflateRaw: opts.inflateRaw }));
  }
  return { mail, holder: body.holder, year: body.year, text, dests, attachments };
}

/**
 * Seal and write a mail for the network. The destination block lists the LOCAL parts of To
 * then Cc, in order (a LOCAL named twice is listed once).
 *
 * @example
 * const { raw, changes } = await sealLnpMail(store, { holder: 'passerelle', year: 2026,
 *   from: 'jean.dupont.med@interop.lnp.test', to: ['cab.dupuis@medical33.lnp.test'], cc: [],
 *   subject: 'Compte rendu', messageId: '<id@gw>', date: new Date(), text: 'Bonjour', attachments: [] });
 */
export async function sealLnpMail(keys: KeyStore, input: SealLnpMailInput): Promise<{ raw: Uint8Array; changes: TextChange[] }> {
  const dests = destinationList(input.dests ?? [...input.to, ...input.cc]);
  const { bytes, changes } = encodeBody(input.text, dests);
  const sealedBody = await sealPayload(keys, input.holder, input.year, bytes, undefined, input.encrypt);
  const attachments: { filename: string; sealed: Uint8Array }[] = [];
  for (const [i, a] of input.attachments.entries()) {
    const name = sanitizeEntryName(a.name, i);
    const container = encodeContainer([{ name, data: a.data, ...(a.deflate !== undefined ? { deflate: a.deflate } : {}) }], { deflateRaw: input.deflateRaw });
    attachments.push({ filename: `${name}.lpz`, sealed: await sealPayload(keys, input.holder, input.year, container, undefined, input.encrypt) });
  }
  const raw = buildLnpMail({
    from: input.from,
    to: input.to,
    cc: input.cc,
    date: input.date,
    messageId: input.messageId,
    subject: input.subject,
    armour: armour(sealedBody, input.crc32),
    attachments,
    ...(input.transit ? { transit: input.transit } : {}),
    ...(input.extraHeaders ? { extraHeaders: input.extraHeaders } : {}),
  });
  return { raw, changes };
}

/**
 * The LOCAL part of each address, in order, duplicates dropped.
 *
 * @example
 * destinationList(['A.B@x.lnp.test', 'c@interop.lnp.test']); // ['a.b', 'c']
 */
export function destinationList(addresses: string[]): string[] {
  const out: string[] = [];
  for (const a of addresses) {
    const at = a.lastIndexOf('@');
    if (at <= 0) throw new LegacyError('BAD_DEST_BLOCK', 'a recipient address has no LOCAL part');
    const local = a.slice(0, at).toLowerCase();
    if (!out.includes(local)) out.push(local);
  }
  return out;
}
