/**
 * The safety rules for documents the gateway reads from the national side (`IHE_XDM.ZIP`,
 * its `METADATA.XML`, every CDA): one table of limits and one of rules, policy as data.
 * A document that breaks a rule is never forwarded: the message is quarantined (stage
 * `translate`) with the rule's name as its reason (never the content), and its sender gets
 * one DSN with the rule's status: 5.6.0 for content that cannot be read, 5.7.0 for content
 * refused as hostile. See `docs/hostile-content.md`.
 *
 * @example
 * throw contentError('xml-doctype'); // GatewayError UNSAFE_CONTENT, detail 'xml-doctype: …'
 */
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { ErrorKind } from '../../core/errors/reply-codes.js';
import { fromBase64 } from '../../lib/base64.js';

/** How much the gateway reads of a national document, at most. */
export const CONTENT_LIMITS = {
  /** Entries in one `IHE_XDM.ZIP`. */
  maxEntries: 64,
  /** Inflated size of one entry (declared sizes are checked first, and enforced while inflating). */
  maxEntryBytes: 20 << 20,
  /** Inflated size of all the entries together. */
  maxTotalBytes: 50 << 20,
  /** Inflated size ÷ compressed size of one entry (above 64 KiB inflated). */
  maxRatio: 200,
  /** One CDA document, as text. */
  maxCdaBytes: 10 << 20,
  /** `METADATA.XML`. */
  maxMetadataBytes: 2 << 20,
  /** Elements nested in one XML document (a CDA is a few dozen deep). */
  maxXmlDepth: 256,
} as const;

export type ContentLimits = typeof CONTENT_LIMITS;

/** Each rule: the error kind (and so the SMTP status) it earns, and what it says. */
export const CONTENT_RULES = {
  'zip-corrupt': { kind: 'UNREADABLE_CONTENT', text: 'the archive is damaged (directory, headers, deflate data or CRC-32)' },
  'zip-unsupported': { kind: 'UNREADABLE_CONTENT', text: 'the archive uses encryption, ZIP64 or a compression method other than deflate' },
  'zip-size-mismatch': { kind: 'UNREADABLE_CONTENT', text: 'an entry\'s sizes disagree between the directory, its local header and its data' },
  'zip-duplicate-entry': { kind: 'UNSAFE_CONTENT', text: 'two entries have the same name' },
  'zip-path': { kind: 'UNSAFE_CONTENT', text: 'an entry name is absolute or leaves the archive (.., /, drive, backslash, control character)' },
  'zip-too-many-entries': { kind: 'UNSAFE_CONTENT', text: `more than ${CONTENT_LIMITS.maxEntries} entries` },
  'zip-entry-too-large': { kind: 'UNSAFE_CONTENT', text: `an entry inflates past ${CONTENT_LIMITS.maxEntryBytes >> 20} MiB` },
  'zip-total-too-large': { kind: 'UNSAFE_CONTENT', text: `the entries inflate past ${CONTENT_LIMITS.maxTotalBytes >> 20} MiB together` },
  'zip-ratio': { kind: 'UNSAFE_CONTENT', text: `an entry's compression ratio is above ${CONTENT_LIMITS.maxRatio}` },
  'xdm-no-metadata': { kind: 'UNREADABLE_CONTENT', text: 'the archive has no IHE_XDM/SUBSETnn/METADATA.XML' },
  'xdm-metadata-unreadable': { kind: 'UNREADABLE_CONTENT', text: 'METADATA.XML cannot be read' },
  'xdm-uri-outside': { kind: 'UNSAFE_CONTENT', text: 'a METADATA.XML URI points outside its subset of the archive' },
  'xml-doctype': { kind: 'UNSAFE_CONTENT', text: 'an XML document declares a DOCTYPE or entities' },
  'xml-too-large': { kind: 'UNSAFE_CONTENT', text: `an XML document is larger than ${CONTENT_LIMITS.maxCdaBytes >> 20} MiB` },
  'xml-too-deep': { kind: 'UNSAFE_CONTENT', text: `an XML document nests elements more than ${CONTENT_LIMITS.maxXmlDepth} deep` },
  'cda-base64': { kind: 'UNREADABLE_CONTENT', text: 'embedded base64 data in a CDA does not decode' },
} as const satisfies Record<string, { kind: ErrorKind; text: string }>;

export type ContentRule = keyof typeof CONTENT_RULES;

/** A document broke a safety rule. Web APIs only; the pipeline reads it as a `GatewayError`. */
export class ContentSafetyError extends GatewayError {
  constructor(readonly rule: ContentRule) {
    super(CONTENT_RULES[rule].kind, { detail: `${rule}: ${CONTENT_RULES[rule].text}` });
    this.name = 'ContentSafetyError';
  }
}

export function contentError(rule: ContentRule): ContentSafetyError {
  return new ContentSafetyError(rule);
}

/**
 * Refuse XML the gateway must not parse: any DOCTYPE or entity declaration (billion laughs,
 * external entities to local files), or more than `maxBytes`. Checked on the text before any
 * parser sees it.
 */
export function assertSafeXml(xml: string, maxBytes: number = CONTENT_LIMITS.maxCdaBytes): void {
  if (xml.length > maxBytes) throw contentError('xml-too-large');
  // Any markup declaration, and NUL characters (a UTF-16 document read as UTF-8 would hide its DOCTYPE).
  if (/<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(xml) || xml.includes('\u0000')) throw contentError('xml-doctype');
  if (xmlDepth(xml) > CONTENT_LIMITS.maxXmlDepth) throw contentError('xml-too-deep');
}

/** The deepest element nesting of a document, by one linear scan of its tags (comments, CDATA, PIs skipped). */
function xmlDepth(xml: string): number {
  let depth = 0;
  let max = 0;
  for (let i = xml.indexOf('<'); i >= 0 && i < xml.length; i = xml.indexOf('<', i + 1)) {
    const c = xml.charCodeAt(i + 1);
    if (c === 0x21 /* ! */) {
      const end = xml.startsWith('<!--', i) ? xml.indexOf('-->', i + 4) : xml.startsWith('<![CDATA[', i) ? xml.indexOf(']]>', i + 9) : xml.indexOf('>', i);
      if (end < 0) break;
      i = end;
      continue;
    }
    if (c === 0x3f /* ? */) continue;
    const close = xml.indexOf('>', i);
    if (close < 0) break;
    if (c === 0x2f /* / */) depth--;
    else if (xml.charCodeAt(close - 1) !== 0x2f) {
      depth++;
      if (depth > max) max = depth;
    }
    i = close;
  }
  return max;
}

/** Base64 inside a document (white space ignored): data that does not decode breaks `cda-base64`. */
export function decodeDocumentBase64(text: string): Uint8Array {
  try {
    return fromBase64(text);
  } catch {
    throw contentError('cda-base64');
  }
}
