import { mkdirSync, readdirSync } from 'node:fs';
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
import { PreparingClient } from './prepared.js';
import type { Schema } from './schema.js';
import { cachedTemplate, templateFolder } from './template-cache.js';
import { currentTemplateSource, templateKey } from './template-key.js';

export type StorageOptions =
  /** Embedded PostgreSQL in-process. No dataDir = in memory (tests). */
  | {
      kind: 'pglite';
      dataDir?: string;
      /**
       * Where migrated templates are cached (template-cache.ts): a new database (in memory, or an
       * empty dataDir) is loaded from one instead of running initdb and every migration. Default:
       * the GRIDLINK_PGLITE_TEMPLATES folder when set (tests), else none; false: none.
       */
      templates?: string | false;
    }
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
  /** Loaded from a template built by this very code: already migrated to the latest. */
  let migrated = false;
  if (options.kind === 'pglite') {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    const templates = options.templates ?? templateFolder();
    const fresh = !options.dataDir || readdirSync(options.dataDir).length === 0;
    const template = templates && fresh ? await migratedTemplate(templates) : undefined;
    // On a thread of its own (pglite-thread.ts), so statements do not hold up this one.
    const pglite = await PGliteThread.open(options.dataDir, template);
    migrated = template !== undefined;
    db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
    copyTransaction = pgliteCopyTransaction(pglite);
  } else {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // Marked statements go out as named ones (prepared.ts).
      Client: PreparingClient,
    });
    // An idle client losing its server (restart, failover) must not crash the process: the
    // pool replaces it and the next query reconnects.
    pool.on('error', (err) => options.onPoolError?.(err));
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    copyTransaction = postgresCopyTransaction(pool);
  }
  try {
    if (!migrated) await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, kind: options.kind, copyTransaction, close: () => db.destroy() };
}

async function migrate(db: Kysely<Schema>): Promise<void> {
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider,
  }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
}

let thisTemplateKey: Promise<string> | undefined;

/**
 * A freshly migrated in-memory database's tarball, from the cache in `folder` or built there
 * once. Keyed by PGlite, its worker and every migration (template-key.ts): never stale.
 */
export async function migratedTemplate(folder: string): Promise<Uint8Array> {
  // Once per process, as its code is loaded once: files edited meanwhile are another process's.
  thisTemplateKey ??= currentTemplateSource().then(templateKey);
  thisTemplateKey.catch(() => {
    thisTemplateKey = undefined;
  });
  return cachedTemplate(folder, await thisTemplateKey, async () => {
    const pglite = await PGliteThread.open();
    const db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
    try {
      await migrate(db);
      return await pglite.dump();
    } finally {
      await db.destroy();
    }
  });
}
