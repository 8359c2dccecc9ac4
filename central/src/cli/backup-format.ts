import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

/**
 * GridLink's logical backup (docs/BACKUP.md): gzip'd JSON lines that PGlite and PostgreSQL both
 * write and read, so a backup of one restores into the other.
 *   {"format":"gridlink-backup","version":1,"migrations":[…],"createdAt":…,"tables":[…]}
 *   {"table":"customers","rows":N}            then N lines, each one row as to_jsonb(row)
 * Rows are read inside one REPEATABLE READ, READ ONLY transaction: one snapshot of every table.
 * Restored with jsonb_populate_recordset, parents before children (foreign keys), then each
 * serial's sequence set past its table's largest id.
 */
export const BACKUP_FORMAT = 'gridlink-backup';
export const BACKUP_VERSION = 1;

/** Kysely's own bookkeeping: the target has its own, written by its migrations. */
const SKIPPED = new Set(['kysely_migration', 'kysely_migration_lock']);
const FETCH_ROWS = 2000;
const INSERT_ROWS = 1000;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  migrations: string[];
  createdAt: string;
  tables: string[];
}

/**
 * Tables of the public schema, parents before children (a topological order of the FKs). A
 * partitioned table (`readings`, by month) is one table here: read and written through its
 * parent, never also through its partitions, which the target has its own of (rows of a month it
 * lacks land in its default partition until the `lifecycle.partitions` job moves them).
 */
export async function tablesInOrder(db: Kysely<Schema>): Promise<string[]> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY c.relname`.execute(db);
  const { rows: edges } = await sql<{ child: string; parent: string }>`
    SELECT c.relname AS child, p.relname AS parent
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class p ON p.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public'`.execute(db);
  const names = tables.map((t) => t.name).filter((n) => !SKIPPED.has(n));
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const e of edges) if (e.child !== e.parent) parents.get(e.child)?.add(e.parent);
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < names.length) {
    const next = names.find(
      (n) => !placed.has(n) && [...(parents.get(n) ?? [])].every((p) => placed.has(p)),
    );
    if (!next) throw new Error('foreign keys form a cycle: no restore order');
    placed.add(next);
    out.push(next);
  }
  return out;
}

async function appliedMigrations(db: Kysely<Schema>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  return rows.map((r) => r.name);
}

const ident = (name: string) => sql.id(name);

/** Writes a backup of `db` to `file` (through `file.partial`, renamed when complete). */
export async function backupToFile(
  db: Kysely<Schema>,
  file: string,
  now: Date,
): Promise<{ tables: number; rows: number }> {
  const partial = `${file}.partial`;
  let rows = 0;
  let tables: string[] = [];
  async function* lines(): AsyncGenerator<string> {
    const trx = await db.startTransaction().setIsolationLevel('repeatable read').execute();
    try {
      await sql`SET TRANSACTION READ ONLY`.execute(trx);
      tables = await tablesInOrder(trx);
      const header: BackupHeader = {
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        migrations: await appliedMigrations(trx),
        createdAt: now.toISOString(),
        tables,
      };
      yield `${JSON.stringify(header)}\n`;
      for (const table of tables) {
        const { rows: count } = await sql<{ n: string }>`
          SELECT count(*)::text AS n FROM ${ident(table)}`.execute(trx);
        const n = Number(count[0]?.n ?? 0);
        yield `${JSON.stringify({ table, rows: n })}\n`;
        // A cursor inside the snapshot: the table is read in slices, never whole.
        await sql`DECLARE backup_rows NO SCROLL CURSOR FOR
                    SELECT to_jsonb(t)::text AS j FROM ${ident(table)} t`.execute(trx);
        let seen = 0;
        for (;;) {
          const { rows: slice } = await sql<{ j: string }>`
            FETCH ${sql.raw(String(FETCH_ROWS))} FROM backup_rows`.execute(trx);
          if (slice.length === 0) break;
          seen += slice.length;
          yield `${slice.map((r) => r.j).join('\n')}\n`;
        }
        await sql`CLOSE backup_rows`.execute(trx);
        if (seen !== n) throw new Error(`${table}: counted ${n} rows, read ${seen}`);
        rows += n;
      }
      await trx.commit().execute();
    } catch (err) {
      await trx.rollback().execute();
      throw err;
    }
  }
  try {
    await pipeline(lines, createGzip(), createWriteStream(partial, { mode: 0o600 }));
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return { tables: tables.length, rows };
}

export class RestoreRefused extends Error {}

/**
 * Restores `file` into `db`, which must have the same migrations applied and hold no rows (a
 * fresh database the central created). One transaction: all or nothing.
 */
export async function restoreFromFile(
  db: Kysely<Schema>,
  file: string,
): Promise<{ tables: number; rows: number }> {
  const input = createInterface({
    input: createReadStream(file).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const it = input[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
  const first = await next();
  let header: BackupHeader;
  try {
    header = JSON.parse(first ?? '') as BackupHeader;
  } catch {
    throw new RestoreRefused(`${file} is not a GridLink backup`);
  }
  if (header.format !== BACKUP_FORMAT || header.version !== BACKUP_VERSION)
    throw new RestoreRefused(`${file} is not a GridLink backup of version ${BACKUP_VERSION}`);
  const mine = await appliedMigrations(db);
  if (mine.join(',') !== header.migrations.join(','))
    throw new RestoreRefused(
      `the backup's schema (${header.migrations.at(-1)}) is not this database's (${mine.at(-1)}): restore with the GridLink version that made it, then upgrade`,
    );
  const tables = await tablesInOrder(db);
  let total = 0;
  await db.transaction().execute(async (trx) => {
    for (const table of tables) {
      const { rows } = await sql<{ has_rows: boolean }>`
        SELECT EXISTS (SELECT 1 FROM ${ident(table)}) AS has_rows`.execute(trx);
      if (rows[0]?.has_rows)
        throw new RestoreRefused(`table ${table} is not empty: restore into a fresh database`);
    }
    const order = new Map(tables.map((t, i) => [t, i]));
    let last = -1;
    for (;;) {
      const line = await next();
      if (line === undefined) break;
      if (line === '') continue;
      const section = JSON.parse(line) as { table: string; rows: number };
      const at = order.get(section.table);
      if (at === undefined || at <= last)
        throw new RestoreRefused(`unexpected table ${section.table} in the backup`);
      last = at;
      let batch: string[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await sql`INSERT INTO ${ident(section.table)}
                  SELECT * FROM jsonb_populate_recordset(NULL::${ident(section.table)},
                                                         ${`[${batch.join(',')}]`}::jsonb)`.execute(
          trx,
        );
        batch = [];
      };
      for (let i = 0; i < section.rows; i++) {
        const row = await next();
        if (row === undefined) throw new RestoreRefused(`${file} ends inside ${section.table}`);
        batch.push(row);
        if (batch.length === INSERT_ROWS) await flush();
      }
      await flush();
      total += section.rows;
    }
    // Serial columns: the next id follows the largest restored one.
    const { rows: serials } = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'`.execute(trx);
    for (const s of serials)
      await sql`SELECT setval(pg_get_serial_sequence(${s.table_name}, ${s.column_name}),
                              COALESCE(MAX(${ident(s.column_name)}), 0) + 1, false)
                  FROM ${ident(s.table_name)}`.execute(trx);
  });
  return { tables: tables.length, rows: total };
}
