import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migratedTemplate, openDatabase } from './database.js';
import { PGliteThread } from './pglite-thread.js';
import type { Schema } from './schema.js';
import {
  cachedTemplate,
  storeTemplate,
  TEMPLATES_ENV,
  templateFolder,
  templatePath,
} from './template-cache.js';
import { currentTemplateSource, type TemplateSource, templateKey } from './template-key.js';

/** What a migrated database is made of, as the catalog shows it, and what its tables hold. */
async function snapshot(db: Kysely<Schema>) {
  const q = async (text: string) => (await sql.raw(text).execute(db)).rows;
  const tables = (await q(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
  )) as Array<{ tablename: string }>;
  const contents: Record<string, unknown> = {};
  for (const { tablename } of tables) {
    if (tablename.startsWith('kysely_migration')) continue;
    const rows = await q(`SELECT * FROM "${tablename}" ORDER BY 1`);
    // A row a migration inserted with now() carries its own instant: only its presence counts.
    contents[tablename] = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row as object).map(([k, v]) => [k, v instanceof Date ? 'a time' : v]),
      ),
    );
  }
  return {
    tables,
    columns: await q(`SELECT table_name, column_name, ordinal_position, data_type, udt_name,
      is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public'
      ORDER BY 1, 3`),
    constraints: await q(`SELECT conrelid::regclass::text AS rel, conname,
      pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' ORDER BY 1, 2`),
    sequences: await q(`SELECT sequencename, last_value, start_value, increment_by
      FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`),
    views: await q(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'
      ORDER BY 1`),
    functions: await q(`SELECT proname, pg_get_function_identity_arguments(oid) AS args,
      md5(prosrc) AS src FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1, 2`),
    triggers: await q(`SELECT tgrelid::regclass::text AS rel, tgname, pg_get_triggerdef(oid) AS def
      FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    types: await q(`SELECT typname, typtype FROM pg_type WHERE typnamespace = 'public'::regnamespace
      ORDER BY 1`),
    extensions: await q('SELECT extname, extversion FROM pg_extension ORDER BY 1'),
    settings: await q(`SELECT name, setting FROM pg_settings
      WHERE name IN ('server_encoding', 'lc_collate', 'lc_ctype', 'TimeZone') ORDER BY 1`),
    contents,
    migrations: await q('SELECT name FROM kysely_migration ORDER BY name'),
  };
}

const migratedAt = async (db: Kysely<Schema>) =>
  (
    await sql<{ name: string; timestamp: string }>`SELECT name, timestamp FROM kysely_migration
    ORDER BY name`.execute(db)
  ).rows;

describe('migrated PGlite templates', () => {
  let folder: string;
  let fresh: Database;
  let fromTemplate: Database;
  let again: Database;
  // One open a hook: each is seconds of PGlite start-up, more under load.
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'gl-templates-'));
    fresh = await openDatabase({ kind: 'pglite', templates: false });
  });
  beforeAll(async () => {
    await migratedTemplate(folder); // built here: an open, every migration and a dump
  });
  beforeAll(async () => {
    fromTemplate = await openDatabase({ kind: 'pglite', templates: folder });
  });
  beforeAll(async () => {
    again = await openDatabase({ kind: 'pglite', templates: folder });
  });
  afterAll(async () => {
    await Promise.all([fresh, fromTemplate, again].map((d) => d?.close()));
    await rm(folder, { recursive: true, force: true });
  });

  it('gives a database exactly like a freshly migrated one', async () => {
    const expected = await snapshot(fresh.db);
    expect(expected.migrations.length).toBe(
      Object.keys((await currentTemplateSource()).migrations).length,
    );
    expect(expected.tables.length).toBeGreaterThan(20);
    expect(await snapshot(fromTemplate.db)).toEqual(expected);
    expect(await snapshot(again.db)).toEqual(expected);
  });

  it('builds the template once, stores it under its key, and loads it for every later open', async () => {
    expect(await readdir(folder)).toEqual([expect.stringMatching(/^pglite-[0-9a-f]{32}\.tgz$/)]);
    // Both were migrated once, when the template was built, not each at its own open.
    const template = await migratedAt(fromTemplate.db);
    expect(await migratedAt(again.db)).toEqual(template);
    expect(template).not.toEqual(await migratedAt(fresh.db));
  });

  it('keeps each database its own: a write to one is not seen by another', async () => {
    await sql`INSERT INTO edges (id, secret_hash) VALUES ('e-1', 'x')`.execute(fromTemplate.db);
    const count = async (d: Database) =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM edges`.execute(d.db)).rows[0]?.n;
    expect(await count(fromTemplate)).toBe(1);
    expect(await count(again)).toBe(0);
  });

  it(`is off without ${TEMPLATES_ENV} (production) and when templates is false`, async () => {
    expect(templateFolder({})).toBeUndefined();
    expect(templateFolder({ [TEMPLATES_ENV]: '/x' })).toBe('/x');
    // `fresh` (templates: false) ran every migration at its own open, before the template's.
    const own = await migratedAt(fresh.db);
    const template = await migratedAt(fromTemplate.db);
    expect(own.length).toBe(template.length);
    expect(own.every((m, i) => m.timestamp !== template[i]?.timestamp)).toBe(true);
  });

  describe('in an empty data folder', () => {
    let dataDir: string;
    let reopened: Database;
    let firstMigratedAt: unknown;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'gl-template-disk-'));
      const first = await openDatabase({ kind: 'pglite', dataDir, templates: folder });
      firstMigratedAt = await migratedAt(first.db);
      await sql`INSERT INTO edges (id, secret_hash) VALUES ('kept', 'x')`.execute(first.db);
      await first.close();
    });
    beforeAll(async () => {
      // A folder that holds a database is opened as it is: its own data, not the template's.
      reopened = await openDatabase({ kind: 'pglite', dataDir, templates: folder });
    });
    afterAll(async () => {
      await reopened?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('starts from the template; its writes persist, and it reopens as that folder', async () => {
      expect(firstMigratedAt).toEqual(await migratedAt(fromTemplate.db));
      const { rows } = await sql<{ id: string }>`SELECT id FROM edges`.execute(reopened.db);
      expect(rows).toEqual([{ id: 'kept' }]);
      expect(await snapshot(reopened.db)).toMatchObject({
        migrations: (await snapshot(fresh.db)).migrations,
      });
    });
  });
});

describe('template keys', () => {
  const base = (): TemplateSource => ({
    engine: 'pglite 1.0\nworker',
    migrations: {
      '0001-a': { up: async () => undefined },
      '0002-b': { up: async () => undefined, down: async () => undefined },
    },
    files: [
      { name: '0001-a.ts', bytes: Buffer.from('a') },
      { name: '0002-b.ts', bytes: Buffer.from('b') },
    ],
  });

  it('is the same for the same migrations and changes with any part of them', () => {
    const key = templateKey(base());
    expect(templateKey(base())).toBe(key);
    // The files' order on disk does not matter.
    expect(templateKey({ ...base(), files: [...base().files].reverse() })).toBe(key);
    const changed: TemplateSource[] = [
      { ...base(), engine: 'pglite 1.1\nworker' },
      {
        ...base(),
        migrations: {
          ...base().migrations,
          '0002-b': {
            up: async (db) => {
              await sql`SELECT 1`.execute(db);
            },
          },
        },
      },
      { ...base(), migrations: { ...base().migrations, '0003-c': { up: async () => undefined } } },
      { ...base(), files: [{ name: '0001-a.ts', bytes: Buffer.from('a') }] },
      {
        ...base(),
        files: [
          { name: '0001-a.ts', bytes: Buffer.from('a') },
          { name: '0002-b.ts', bytes: Buffer.from('b ') },
        ],
      },
    ];
    const keys = changed.map(templateKey);
    expect(new Set([key, ...keys]).size).toBe(changed.length + 1);
  });

  it("covers this checkout's migrations: one more, or one edited, is another template", async () => {
    const current = await currentTemplateSource();
    const key = templateKey(current);
    expect(Object.keys(current.migrations).length).toBeGreaterThanOrEqual(16);
    expect(current.files.map((f) => f.name)).toContain('index.ts');
    expect(templateKey(await currentTemplateSource())).toBe(key);
    const [name, first] = Object.entries(current.migrations)[0] ?? [];
    if (!name || !first) throw new Error('no migrations');
    const added = { ...current.migrations, '9999-next': first };
    expect(templateKey({ ...current, migrations: added })).not.toBe(key);
    const edited = { ...current.migrations, [name]: { ...first, up: async () => undefined } };
    expect(templateKey({ ...current, migrations: edited })).not.toBe(key);
    const file = current.files.map((f, i) => (i === 0 ? { ...f, bytes: Buffer.from('x') } : f));
    expect(templateKey({ ...current, files: file })).not.toBe(key);
  });
});

describe('the template cache on disk', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'gl-template-cache-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('leaves one whole file when writers race: one of theirs, never a mix, no leftovers', async () => {
    const path = templatePath(folder, 'race');
    const versions = Array.from({ length: 8 }, (_, i) =>
      Buffer.alloc(200_000 + i * 150_000, 0x41 + i),
    );
    await Promise.all(versions.map((bytes) => storeTemplate(path, bytes)));
    const stored = await readFile(path);
    expect(versions.some((v) => v.equals(stored))).toBe(true);
    expect(await readdir(folder)).toEqual(['pglite-race.tgz']);
  });

  it('builds a missing key once per process, reads a stored one without building', async () => {
    let builds = 0;
    const build = async () => {
      builds++;
      return new Uint8Array([1, 2, 3]);
    };
    const [a, b] = await Promise.all([
      cachedTemplate(folder, 'k1', build),
      cachedTemplate(folder, 'k1', build),
    ]);
    expect(builds).toBe(1);
    expect([...a]).toEqual([1, 2, 3]);
    expect(b).toBe(a);
    await writeFile(templatePath(folder, 'k2'), new Uint8Array([9]));
    expect([...(await cachedTemplate(folder, 'k2', build))]).toEqual([9]);
    expect(builds).toBe(1);
  });

  it('does not remember a failed build', async () => {
    const failing = cachedTemplate(folder, 'k3', () => Promise.reject(new Error('no space')));
    await expect(failing).rejects.toThrow('no space');
    const bytes = await cachedTemplate(folder, 'k3', async () => new Uint8Array([7]));
    expect([...bytes]).toEqual([7]);
  });

  describe('a dump', () => {
    let tarball: Uint8Array;
    let copy: PGliteThread;
    beforeAll(async () => {
      const source = await PGliteThread.open();
      await source.query('CREATE TABLE t (id int PRIMARY KEY)');
      await source.query('INSERT INTO t VALUES (1), (2)');
      tarball = await source.dump();
      await source.close();
    });
    beforeAll(async () => {
      copy = await PGliteThread.open(undefined, tarball);
    });
    afterAll(() => copy?.close());

    it('holds the PGlite database whole: the tarball opens as the same data', async () => {
      const { rows } = await copy.query<{ id: number }>('SELECT id FROM t ORDER BY id');
      expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
    });
  });
});
