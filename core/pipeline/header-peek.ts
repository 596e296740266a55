/**
 * Reads one header field from raw message bytes without parsing the whole message: enough
 * for the listener to learn the Message-ID before committing. Unfolds continuation lines.
 *
 * @example
 * peekHeader(raw, 'message-id'); // '<lab-result@medical33.lnp.test>'
 */
export function peekHeader(raw: Uint8Array, name: string): string | null {
  const head = headerSection(raw, 64 * 1024);
  const want = name.toLowerCase() + ':';
  for (const line of head.split(/\r?\n/)) {
    if (line.slice(0, want.length).toLowerCase() === want) return line.slice(want.length).trim();
  }
  return null;
}

/** Is this raw message an automatic notification (DSN, MDN, auto-reply) that must never be answered? */
export function isNotification(raw: Uint8Array, mailFrom: string): boolean {
  if (mailFrom === '') return true;
  const ct = (peekHeader(raw, 'content-type') ?? '').toLowerCase();
  if (ct.includes('multipart/report')) return true;
  const auto = (peekHeader(raw, 'auto-submitted') ?? 'no').toLowerCase();
  return auto !== 'no';
}

/** Every header field of a raw message, names lower-cased, first occurrence kept, folding undone. */
export function headerBag(raw: Uint8Array): Record<string, string> {
  const head = headerSection(raw, 256 * 1024);
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!(name in out)) out[name] = line.slice(i + 1).trim();
  }
  return out;
}

/** The header section (up to the first empty line, at most `limit` bytes) as text, folding undone. */
function headerSection(raw: Uint8Array, limit: number): string {
  const max = Math.min(raw.byteLength, limit);
  let end = max;
  for (let i = 0; i + 1 < max; i++) {
    if (raw[i] === 10 && (raw[i + 1] === 10 || (raw[i + 1] === 13 && raw[i + 2] === 10))) {
      end = i;
      break;
    }
  }
  return new TextDecoder('latin1').decode(raw.subarray(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}
