import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from './smtp-load-client.js';

/** Runs the SMTP load client in a worker thread (its own core) and resolves with its figures. */
export function runLoadInWorker(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(new URL('./smtp-load-worker.mjs', import.meta.url)), { workerData: job });
    w.once('message', (m: LoadResult & { error?: string }) => {
      void w.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    w.once('error', reject);
  });
}
