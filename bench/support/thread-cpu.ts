/**
 * CPU time of threads of this process (Linux: `/proc/…/stat`, utime + stime in clock ticks
 * of 10 ms), in ms.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of a `stat` file after the command's name: [0] state, [1] ppid, … [11] utime, [12] stime. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a `stat` file's fields, in ms. */
const fieldsCpuMs = (f: string[]) => (Number(f[11]) + Number(f[12])) * 10;

/** utime + stime of a `stat` file, in ms. */
function statCpuMs(path: string): number {
  return fieldsCpuMs(statFields(path));
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

/** utime + stime of process `pid`, its ended threads included, in ms (NaN where `/proc` does not tell). */
export function processCpuMs(pid: number): number {
  try {
    return statCpuMs(`/proc/${pid}/stat`);
  } catch {
    return Number.NaN;
  }
}

/**
 * Follows the threads of process `pid` (another process: the gateway's) by polling `/proc`
 * every `everyMs`: each thread's name (`comm`: the gateway names its workers, `thread-name.ts`)
 * and the last CPU time seen of it, so that a thread that ends meanwhile (an import's) is
 * counted up to its last poll. `stop` gives the CPU each name spent since the call, in
 * ms, busiest first; the process's main thread is `main`, threads it did not name `node`.
 */
export function followThreads(pid: number, everyMs = 200): { stop(): Array<[name: string, ms: number]> } {
  const first = new Map<string, number>();
  const last = new Map<string, { name: string; ms: number }>();
  const poll = (initial: boolean) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      try {
        const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
        const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        if (initial) first.set(tid, ms);
        last.set(tid, { name, ms });
      } catch {
        // ended between the listing and the read: its last poll stands
      }
    }
  };
  poll(true);
  const timer = setInterval(() => poll(false), everyMs);
  return {
    stop() {
      clearInterval(timer);
      poll(false);
      const byName = new Map<string, number>();
      for (const [tid, { name, ms }] of last) byName.set(name, (byName.get(name) ?? 0) + ms - (first.get(tid) ?? 0));
      return [...byName].sort((a, b) => b[1] - a[1]);
    },
  };
}

/**
 * utime + stime of process `pid` and of its children (a PostgreSQL server: the postmaster
 * and its backends, one per session), in ms; children that ended meanwhile are not counted.
 */
export function processTreeCpuMs(pid: number): number {
  let total = processCpuMs(pid);
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === pid) continue;
    try {
      const f = statFields(`/proc/${p}/stat`);
      if (Number(f[1]) === pid) total += fieldsCpuMs(f);
    } catch {
      /* ended meanwhile */
    }
  }
  return total;
}
