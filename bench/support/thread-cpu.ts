/**
 * CPU time of the calling thread (Linux: `/proc/thread-self/stat`, utime + stime in clock
 * ticks of 10 ms), in ms, or NaN where that file does not exist.
 */
import { readFileSync } from 'node:fs';

export function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
