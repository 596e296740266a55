/**
 * The calling thread's name for the operating system (Linux: `top -H`, `ps -L`,
 * `/proc/PID/task/TID/comm`), so that an operator sees which of the gateway's threads spends
 * the CPU: every thread of a Node process is otherwise called `node`. At most 15 bytes;
 * elsewhere than Linux, or where the name cannot be written, nothing happens (a convenience,
 * never a reason to fail).
 *
 * @example
 * nameThread('pass-import'); // in the directory import's worker thread
 */
import { writeFileSync } from 'node:fs';

/** The gateway's worker threads, as the OS lists them. */
export const THREAD_NAMES = {
  directoryImport: 'pass-import',
  searchSide: 'pass-search',
  lineKeys: 'pass-linekeys',
  translate: 'pass-translate',
} as const;

export function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or not allowed.
  }
}
