import { mkdirSync } from 'node:fs';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import {
  type CopyTransaction,
  pgliteCopyTransaction,
  postgresCopyTransaction,
} from './copy-session.js';
import { migrationProvider } from './migrations/index.js';
import { PGliteThread } from './pglite-thread.js';
import type { Schema } from './schema.js';

export type StorageOptions =
  /** Embedded PostgreSQL in-process. No dataDir = in memory (tests). */
  | { kind: 'pglite'; dataDir?: string }
  | { kind: 'postgres'; url: string; poolSize?: number; onPoolError?: (err: Error) => void };

export interface Database {
  readonly db: Kysely<Schema>;
  readonly kind: StorageOptions['kind'];
  /** A transaction that can COPY (copy-session.ts): the ingest's bulk path. */
  readonly copyTransaction: CopyTransaction;
  close(): Promise<void>;
}

/** Opens the store and brings its schema up to date. */
export async function openDatabase(options: StorageOptions): Promise<Database> {
  let db: Kysely<Schema>;
  let copyTransaction: CopyTransaction;
  if (options.kind === 'pglite') {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    // On a thread of its own (pglite-thread.ts), so statements do not hold up this one.
    const pglite = await PGliteThread.open(options.dataDir);
    db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
    copyTransaction = pgliteCopyTransaction(pglite);
  } else {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client losing its server (restart, failover) must not crash the process: the
    // pool replaces it and the next query reconnects.
    pool.on('error', (err) => options.onPoolError?.(err));
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    copyTransaction = postgresCopyTransaction(pool);
  }
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider,
  }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
  return { db, kind: options.kind, copyTransaction, close: () => db.destroy() };
}
