import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PGliteThread } from './pglite-thread.js';

/**
 * One transaction on a session that can COPY: the ingest's bulk path (COPY is PostgreSQL's
 * fastest way in, 1.4-1.7× an INSERT of the same rows from a JSON document on PostgreSQL;
 * docs/WIRE.md).
 * Kysely has no COPY, so this runs beside it: on its own pooled connection (PostgreSQL), or in a
 * PGlite transaction, which every other query waits for, Kysely's too.
 */
export interface CopySession {
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
  /**
   * `COPY <target> FROM …` with `data` in COPY's text format. The session may take `data` over
   * (PGlite's thread receives a buffer that `data` spans whole, leaving it empty here): do not
   * read it afterwards.
   */
  copyIn(target: string, data: Uint8Array): Promise<void>;
}

export type CopyTransaction = <T>(body: (session: CopySession) => Promise<T>) => Promise<T>;

/**
 * The same shape over a Kysely transaction, for code that runs both ways (storeBatch): statements
 * only, no COPY.
 */
export function kyselyTransaction<DB>(db: Kysely<DB>): CopyTransaction {
  return (body) =>
    db.transaction().execute((trx) =>
      body({
        query: async <R>(text: string, params: unknown[] = []) =>
          (await trx.executeQuery(CompiledQuery.raw(text, params))).rows as R[],
        copyIn: () => Promise.reject(new Error('COPY needs a transaction that can COPY')),
      }),
    );
}

export function pgliteCopyTransaction(pglite: PGliteThread): CopyTransaction {
  return (body) =>
    pglite.transaction((tx) =>
      body({
        query: async <R>(text: string, params?: unknown[]) =>
          (await tx.query<R>(text, params)).rows,
        copyIn: async (target, data) => {
          // PGlite reads COPY data from its virtual /dev/blob.
          await tx.query(`COPY ${target} FROM '/dev/blob'`, [], {
            blobBytes: data,
          });
        },
      }),
    );
}

export function postgresCopyTransaction(pool: pg.Pool): CopyTransaction {
  return async (body) => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await body({
          query: async <R>(text: string, params?: unknown[]) =>
            (await client.query(text, params)).rows as R[],
          copyIn: (target, data) =>
            new Promise<void>((resolve, reject) => {
              const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
              stream.on('finish', resolve);
              stream.on('error', reject);
              stream.end(data);
            }),
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollback: Error) => {
          broken = rollback; // the connection is gone: the pool must not hand it out again
        });
        throw err;
      }
    } finally {
      client.release(broken);
    }
  };
}
