/**
 * The directory contract suite against D1, inside workerd (@cloudflare/vitest-pool-workers,
 * offline; the `DIRECTORY` binding of `wrangler.toml` with the `drizzle-directory/`
 * migrations). Each case starts from an empty address book.
 */
/// <reference types="@cloudflare/vitest-pool-workers/types" />
import { env } from 'cloudflare:test';
import { directoryStoreContract } from '../../storage/contract/directory-store-contract.js';
import { D1DirectoryStore } from '../../storage/d1/directory-store.js';
import type { D1Database } from '../../storage/d1/d1-types.js';

const CONFIG = { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test', reservedLocals: ['passerelle'] };
const db = (env as unknown as { DIRECTORY: D1Database }).DIRECTORY;

/** Empties the address book (the search index with it) and restarts its ids. */
async function empty(): Promise<void> {
  await db.batch(
    ['directory_search', 'directory_issues', 'directory_mailboxes', 'directory_imports', 'directory_exports', 'sqlite_sequence'].map((t) => db.prepare(`DELETE FROM ${t}`)),
  );
}

directoryStoreContract('D1 (workerd)', async () => {
  await empty();
  return { store: new D1DirectoryStore(db, CONFIG), close: async () => {} };
});
