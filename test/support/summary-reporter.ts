/**
 * A vitest reporter that ends the run with one plain line, `N passed, N failed, N skipped`,
 * which any CI can read whatever its runner support.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A file that failed outside its tests (no test in it, or a failed beforeAll that
      // skipped them all) counts as one failure, so the line never says 0 failed then.
      if (m.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    failed += unhandledErrors.length;
    const line = `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    process.stdout.write(line);
    keepLast(line);
  }
}

/**
 * Keeps the summary the last line of the output: the pools' teardown runs after this
 * reporter, and workerd (the Workers project) may log a benign teardown notice then
 * (`disconnected: WebSocket peer disconnected`, filtered only by later
 * @cloudflare/vitest-pool-workers releases). If anything is written after the summary, it
 * is written again as the process exits.
 */
let last: string | null = null;
let after = false;

function keepLast(line: string): void {
  after = false;
  if (last === null) {
    const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      after = true;
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.once('exit', () => {
      if (after && last) write(last);
    });
  }
  last = line;
}
