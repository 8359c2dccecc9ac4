import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import { type Database, openDatabase } from '../../src/storage/index.js';

/** The PostgreSQL the scale-out half runs against; CI has one on 127.0.0.1:5432 (trust auth). */
export const PG_ADMIN_URL =
  process.env.GRIDLINK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let pgAvailable: Promise<boolean> | undefined;

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if (process.env.CI === 'true') {
      throw new Error(
        `PostgreSQL is required under CI=true but ${PG_ADMIN_URL} failed: ${(err as Error).message}`,
      );
    }
    console.warn(
      `\n*** PostgreSQL not reachable at ${PG_ADMIN_URL}: SKIPPING the PostgreSQL half of the storage suite. ***\n`,
    );
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, empty PostgreSQL database for one test file; dropped by the returned cleanup. */
export async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

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
