import { join } from 'node:path';

/** The project's shared material (`shared/` beside the clone, as CI lays it out). */
export const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared');

export function sharedPath(...parts: string[]): string {
  return join(SHARED, ...parts);
}
