/** Malformed DER/BER, or a value the writer cannot encode: what is wrong and at which offset. */
export class DerError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'DerError';
  }
}
