import { describe } from 'vitest';
import { type Database, openDatabase } from '../../src/storage/index.js';
import { requirePostgres, scratchPostgres } from '../../src/testing/index.js';

export { PG_ADMIN_URL } from '../../src/testing/index.js';

let pgAvailable: Promise<boolean> | undefined;

const probePostgres = () => requirePostgres('the PostgreSQL half of the storage suite');

/** A fresh, empty PostgreSQL database for one test file; dropped by the returned cleanup. */
export const freshPostgres = () => scratchPostgres('gl_test');

export interface StoreUnderTest {
  name: 'pglite' | 'postgres';
  open(): Promise<Database & { dispose(): Promise<void> }>;
}

const stores: StoreUnderTest[] = [
  {
    name: 'pglite',
    open: async () => {
      const db = await openDatabase({ kind: 'pglite' });
      return Object.assign(db, { dispose: () => db.close() });
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const fresh = await freshPostgres();
      const db = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
      return Object.assign(db, {
        dispose: async () => {
          await db.close();
          await fresh.drop();
        },
      });
    },
  },
];

/** One conformance suite, run against every storage implementation (PGlite and PostgreSQL). */
export function describeEachStore(title: string, body: (store: StoreUnderTest) => void): void {
  pgAvailable ??= probePostgres();
  for (const store of stores) {
    describe(`${title} [${store.name}]`, async () => {
      if (store.name === 'postgres' && !(await pgAvailable)) return;
      body(store);
    });
  }
}
