/**
 * Where the gateway's time comes from (a port): the pipeline and the worker read the clock,
 * and give the time to the store, which never reads it. Tests drive a fake one.
 *
 * @example
 * const clock: Clock = systemClock;
 * clock.now(); // milliseconds since the epoch
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
