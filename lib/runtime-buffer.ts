/**
 * The runtime's own `Buffer` where it has one (Node; Workers with `nodejs_compat`), found by
 * feature detection and never imported: the codecs hand their hot paths to its native
 * encoders there and run their own portable code everywhere else (property tests hold the
 * two to the same bytes). Only what the codecs call is typed.
 *
 * @example
 * const text = runtimeBuffer ? bufferView(bytes).toString('latin1') : portableDecode(bytes);
 */
export interface RuntimeBuffer extends Uint8Array {
  toString(encoding?: 'base64' | 'latin1'): string;
  write(text: string, offset: number, encoding: 'latin1'): number;
}

interface RuntimeBufferClass {
  from(buffer: ArrayBufferLike, offset: number, length: number): RuntimeBuffer;
  from(text: string, encoding: 'latin1'): RuntimeBuffer;
  /** Never a slice of the shared pool (what `allocUnsafe` gives below 4 KB). */
  allocUnsafeSlow(size: number): RuntimeBuffer;
}

export const runtimeBuffer: RuntimeBufferClass | null = (() => {
  const B = (globalThis as unknown as { Buffer?: RuntimeBufferClass }).Buffer;
  return B && typeof B.from === 'function' && typeof B.allocUnsafeSlow === 'function' ? B : null;
})();

/** `bytes` seen as a runtime Buffer, without a copy (call only when `runtimeBuffer` is set). */
export function bufferView(bytes: Uint8Array): RuntimeBuffer {
  return runtimeBuffer!.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
