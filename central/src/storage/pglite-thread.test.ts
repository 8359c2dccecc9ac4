import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgliteCopyTransaction } from './copy-session.js';
import { PGliteThread } from './pglite-thread.js';

const run = promisify(execFile);

describe('PGliteThread (PGlite on a thread of its own)', () => {
  let db: PGliteThread;
  beforeEach(async () => {
    db = await PGliteThread.open();
    await db.query('CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, n bigint)');
  });
  afterEach(() => db.close());

  it('runs queries with parameters, the values crossing threads intact', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const insert = await db.query('INSERT INTO t VALUES ($1, $2, $3, $4), ($5, NULL, NULL, NULL)', [
      1,
      at,
      { a: [1, 'x'] },
      2n ** 53n + 1n,
      2,
    ]);
    expect(insert.affectedRows).toBe(2);
    const { rows } = await db.query<{ id: number; at: Date; doc: unknown; n: string }>(
      'SELECT id, at, doc, n::text AS n FROM t ORDER BY id',
    );
    expect(rows[0]).toEqual({ id: 1, at, doc: { a: [1, 'x'] }, n: '9007199254740993' });
    expect(rows[0]?.at).toBeInstanceOf(Date);
    expect(rows[1]).toEqual({ id: 2, at: null, doc: null, n: null });
  });

  it("keeps a database error's SQLSTATE and fields, and serves the next query", async () => {
    await db.query('INSERT INTO t (id) VALUES (1)');
    const err = await db.query('INSERT INTO t (id) VALUES (1)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey', table: 't' });
    expect((err as Error).message).toMatch(/duplicate key/);
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
  });

  it('commits a transaction that resolves, rolls back one that throws or calls rollback', async () => {
    await db.transaction((tx) => tx.query('INSERT INTO t (id) VALUES (1)'));
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (2)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES (3)');
      await tx.rollback();
      await expect(tx.query('SELECT 1')).rejects.toThrow('Transaction is closed');
    });
    const { rows } = await db.query<{ id: number }>('SELECT id FROM t ORDER BY id');
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('holds other queries until an open transaction ends, as PGlite does', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const insertedP = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO t (id) VALUES (1)');
      inserted();
      await gate;
    });
    await insertedP;
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
    const order: string[] = [];
    void outside.then(() => order.push('outside'));
    await new Promise((resolve) => setTimeout(resolve, 50)); // room for a wrong early answer
    order.push('released');
    release();
    await tx;
    // It ran after the commit, so it sees the row.
    expect((await outside).rows).toEqual([{ n: 1 }]);
    expect(order).toEqual(['released', 'outside']);
  });

  it('COPYs rows handed over as bytes inside a transaction', async () => {
    const copy = pgliteCopyTransaction(db);
    await copy(async (session) => {
      await session.copyIn('t (id, doc)', Buffer.from('1\t{"v":1}\n2\t{"v":2.5}\n'));
      await session.query('UPDATE t SET n = 7 WHERE id = $1', [2]);
    });
    const { rows } = await db.query('SELECT id, doc, n::int AS n FROM t ORDER BY id');
    expect(rows).toEqual([
      { id: 1, doc: { v: 1 }, n: null },
      { id: 2, doc: { v: 2.5 }, n: 7 },
    ]);
    // A COPY that fails takes its transaction's other statements with it.
    await expect(
      copy(async (session) => {
        await session.query('INSERT INTO t (id) VALUES (3)');
        await session.copyIn('t (id, doc)', Buffer.from('4\tnot json\n'));
      }),
    ).rejects.toMatchObject({ code: '22P02' });
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 2 }]);
  });

  it('moves COPY bytes that own their buffer to the thread, and copies a view', async () => {
    const copy = pgliteCopyTransaction(db);
    const owned = new Uint8Array(Buffer.from('1\t{"v":1}\n'));
    const whole = new Uint8Array(Buffer.from('9\t{}\n2\t{"v":2}\n'));
    const view = whole.subarray(5); // the second row only
    await copy((session) => session.copyIn('t (id, doc)', owned));
    await copy((session) => session.copyIn('t (id, doc)', view));
    expect(owned.byteLength).toBe(0); // moved, not copied
    expect(whole.byteLength).toBe(15); // a view is copied: its buffer stays here
    const { rows } = await db.query('SELECT id, doc FROM t ORDER BY id');
    expect(rows).toEqual([
      { id: 1, doc: { v: 1 } },
      { id: 2, doc: { v: 2 } },
    ]);
  });

  it('rejects queries once closed instead of hanging', async () => {
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toThrow(/PGlite thread/);
  });
});

describe('PGliteThread and the process', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-pglite-thread-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps the process alive while a query is out, and lets it exit when idle', async () => {
    // The query is awaited at top level with nothing else alive: were the thread not kept
    // alive meanwhile, Node would exit early (code 13) without printing. The database is never
    // closed: an idle thread must not hold the process open (the test would time out).
    const script = join(dir, 'child.mts');
    const module = fileURLToPath(new URL('./pglite-thread.ts', import.meta.url));
    await writeFile(
      script,
      `import { PGliteThread } from ${JSON.stringify(module)};
const db = await PGliteThread.open(${JSON.stringify(join(dir, 'db'))});
const { rows } = await db.query('SELECT 40 + 2 AS answer');
console.log(JSON.stringify(rows));
`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('[{"answer":42}]');
  });
});
