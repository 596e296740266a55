/**
 * Gateway message ids: 26 characters of Crockford base32, the first 10 encoding the time in
 * milliseconds and the rest random, so ids sort by reception time and never collide.
 *
 * @example
 * newMessageId(); // '01JD2Z6Q7XK3M9V4T8B2C5D7FG'
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newMessageId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = new Uint8Array(16);
  crypto.getRandomValues(rnd);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += ALPHABET[rnd[i] & 31];
  return time + tail;
}

/**
 * The time part (10 characters) of the ids of messages received at `t`: every id of a message
 * received before `t` sorts before it. Scans by id (retention) stop there.
 */
export function messageIdTimeBound(t: number): string {
  return newMessageId(Math.max(0, Math.floor(t))).slice(0, 10);
}
