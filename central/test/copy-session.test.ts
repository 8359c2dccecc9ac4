import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

describeEachStore('a transaction that can COPY', (store) => {
  let database: Database & { dispose(): Promise<void> };
  // One database per store; each case gets a new, empty table.
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database?.dispose());
  beforeEach(async () => {
    await sql`DROP TABLE IF EXISTS copied`.execute(database.db);
    await sql`CREATE TABLE copied (id int PRIMARY KEY, note text NOT NULL)`.execute(database.db);
  });

  const notes = async () =>
    (await sql<{ id: number }>`SELECT id FROM copied ORDER BY id`.execute(database.db)).rows.map(
      (r) => r.id,
    );

  it('commits its statements and its COPY together', async () => {
    const n = await database.copyTransaction(async (s) => {
      await s.copyIn('copied (id, note)', Buffer.from('1\tone\n2\ttwo\n'));
      await s.query('INSERT INTO copied (id, note) VALUES ($1, $2)', [3, 'three']);
      return (await s.query<{ n: number }>('SELECT count(*)::int AS n FROM copied'))[0]?.n;
    });
    expect(n).toBe(3);
    expect(await notes()).toEqual([1, 2, 3]);
  });

  it('rolls everything back when the COPY fails, and the next transaction works', async () => {
    await expect(
      database.copyTransaction(async (s) => {
        await s.query('INSERT INTO copied (id, note) VALUES ($1, $2)', [1, 'kept?']);
        await s.copyIn('copied (id, note)', Buffer.from('2\ttwo\n2\tagain\n')); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await notes()).toEqual([]);
    await database.copyTransaction((s) => s.copyIn('copied (id, note)', Buffer.from('7\tseven\n')));
    expect(await notes()).toEqual([7]);
    // Kysely's own queries are unaffected too.
    expect((await sql<{ n: number }>`SELECT 1 AS n`.execute(database.db)).rows).toEqual([{ n: 1 }]);
  });

  it('rolls back when its own code throws after a COPY', async () => {
    await expect(
      database.copyTransaction(async (s) => {
        await s.copyIn('copied (id, note)', Buffer.from('1\tone\n'));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await notes()).toEqual([]);
  });
});
