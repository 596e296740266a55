import type { Content } from '../model/content.js';
import type { OutboundMessage } from '../model/message.js';

/**
 * Serialises an `OutboundMessage` the gateway wrote itself (a failure notice) so it can be
 * stored as the raw bytes of a `gateway`-origin message and survive a restart.
 */
export function encodeOutbound(m: OutboundMessage): Uint8Array {
  const json = JSON.stringify(m, (_k, v: unknown) => (v instanceof Uint8Array ? { $b64: toBase64(v) } : v));
  return new TextEncoder().encode(json);
}

export function decodeOutbound(bytes: Uint8Array): OutboundMessage {
  return JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) =>
    v && typeof v === 'object' && '$b64' in (v as Record<string, unknown>) ? fromBase64((v as { $b64: string }).$b64) : v,
  ) as OutboundMessage;
}

export function isNotificationContent(c: Content): boolean {
  return c.kind === 'notification';
}

function toBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
