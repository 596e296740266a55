/**
 * CPU time of threads of this process (Linux: `/proc/…/stat`, utime + stime in clock ticks
 * of 10 ms), in ms.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime of a `stat` file, in ms. */
function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** The calling thread's CPU time, or NaN where `/proc/thread-self/stat` does not exist. */
export function threadCpuMs(): number {
  try {
    return statCpuMs('/proc/thread-self/stat');
  } catch {
    return Number.NaN;
  }
}

/** A thread of this process by id: its CPU time (0 once it is gone). */
export function taskCpuMs(tid: string): number {
  try {
    return statCpuMs(`/proc/self/task/${tid}/stat`);
  } catch {
    return 0;
  }
}

/** The ids of this process's threads (none where `/proc` does not tell). */
export function taskIds(): string[] {
  try {
    return readdirSync('/proc/self/task');
  } catch {
    return [];
  }
}

/** Every thread's CPU time, by id. */
export function taskTimes(): Map<string, number> {
  return new Map(taskIds().map((t) => [t, taskCpuMs(t)]));
}

/** Each thread's CPU since `before`, per message, busiest first (`tid:ms`), threads under 0.01 ms left out. */
export function formatTaskDeltas(before: Map<string, number>, after: Map<string, number>, messages: number): string {
  return [...after]
    .map(([t, v]) => [t, (v - (before.get(t) ?? 0)) / messages] as const)
    .filter(([, v]) => v > 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([t, v]) => `${t}:${v.toFixed(2)}`)
    .join(' ');
}
