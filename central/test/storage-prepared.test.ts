import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteThread } from '../src/storage/pglite-thread.js';
import { PreparingClient, preparedStatement } from '../src/storage/prepared.js';
import { requirePostgres, type ScratchDatabase, scratchPostgres } from '../src/testing/index.js';

const insert = preparedStatement(
  'test_insert',
  'INSERT INTO t (id, at, doc, n) VALUES ($1, $2, $3, $4) RETURNING id, at, doc, n, note',
);
const count = preparedStatement('test_count', 'SELECT count(*)::int AS n FROM t');

type Db = Kysely<Record<string, never>>;

/** The same checks on both stores: what a marked statement returns, and that it is prepared. */
function suite(
  name: string,
  open: () => Promise<{ db: Db; close(): Promise<void> }>,
  more?: (db: () => Db) => void,
) {
  describe(`prepared statements on ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await open());
      await sql`CREATE TABLE t (id bigint PRIMARY KEY, at timestamptz, doc jsonb, n text,
        note text)`.execute(db);
    });
    afterAll(() => close?.());

    it('returns the rows an ordinary statement would, parsed alike, and is parsed once', async () => {
      const at = new Date('2026-01-02T03:04:05.678Z');
      const first = await db.executeQuery(insert([1, at.toISOString(), '{"a":[1,"x"]}', null]));
      const second = await db.executeQuery(insert([2, at.toISOString(), null, 'two']));
      const plain = await sql`SELECT id, at, doc, n, note FROM t ORDER BY id`.execute(db);
      expect([...first.rows, ...second.rows]).toEqual(plain.rows);
      expect(first.rows[0]).toMatchObject({ at, doc: { a: [1, 'x'] }, n: null, note: null });
      expect(first.numAffectedRows).toBe(1n);
      const { rows } = await sql<{
        statement: string;
      }>`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '/* prepared:test_insert */%'`.execute(
        db,
      );
      expect(rows).toHaveLength(1);
    });

    it("keeps a database error's SQLSTATE, and serves the next statement", async () => {
      await expect(db.executeQuery(insert([1, null, null, null]))).rejects.toMatchObject({
        code: '23505',
      });
      expect((await db.executeQuery(count([]))).rows).toEqual([{ n: 2 }]);
    });

    more?.(() => db);
  });
}

suite(
  'PGlite',
  async () => {
    const thread = await PGliteThread.open();
    return {
      db: new Kysely({ dialect: new PGliteDialect({ pglite: thread }) }),
      close: () => thread.close(),
    };
  },
  (get) =>
    it('wait for an open transaction to end, as ordinary statements do (one session)', async () => {
      const db = get();
      let counted: Promise<unknown> | undefined;
      const rolledBack = db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t (id) VALUES (10)`.execute(trx);
        counted = db.executeQuery(count([]));
        // Sent after the count: had the count not waited, it would have run before this.
        await sql`SELECT 1`.execute(trx);
        throw new Error('roll back');
      });
      await expect(rolledBack).rejects.toThrow('roll back');
      // Inside the transaction it would have seen the uncommitted row (3).
      expect(((await counted) as { rows: unknown[] }).rows).toEqual([{ n: 2 }]);
    }),
);

// Needs a PostgreSQL server: without one this fails under CI=true (requirePostgres throws) and
// is skipped, loudly, elsewhere.
const withPostgres = await requirePostgres('prepared statements on PostgreSQL');
let scratch: ScratchDatabase | undefined;
if (withPostgres)
  suite('PostgreSQL', async () => {
    scratch = await scratchPostgres('gl_prepared');
    // One connection, so pg_prepared_statements is the one the statements ran on.
    const pool = new pg.Pool({ connectionString: scratch.url, max: 1, Client: PreparingClient });
    const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      close: async () => {
        await db.destroy();
        await scratch?.drop();
      },
    };
  });
