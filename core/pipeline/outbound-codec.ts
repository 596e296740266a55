import type { OutboundMessage } from '../model/message.js';
import { fromBase64, toBase64 } from '../../lib/base64.js';

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
