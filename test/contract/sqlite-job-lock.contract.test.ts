/**
 * The job lock contract on SQLite: two stores on one file stand for two gateway processes of
 * one machine; a killed one leaves its lease row, which lapses by the clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { jobLockContract } from '../../storage/contract/job-lock-contract.js';

jobLockContract('SQLite (lease rows)', { freesAtOnce: false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-jobs-'));
  const a = SqliteStore.open(join(dir, 'db.sqlite'));
  const b = SqliteStore.open(join(dir, 'db.sqlite'));
  return {
    a, b,
    killA: () => a.close(),
    close: async () => {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
