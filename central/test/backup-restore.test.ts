import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { raiseAlarm } from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { closeBillingPeriod } from '../src/billing/index.js';
import {
  backupToFile,
  RestoreRefused,
  restoreFromFile,
  tablesInOrder,
} from '../src/cli/backup-format.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { rollupMeters } from '../src/metering/index.js';
import { createWebhook } from '../src/notifications/index.js';
import { type Database, openDatabase, type Schema } from '../src/storage/index.js';
import { centralCommand } from '../src/testing/index.js';
import { CPF_A, CPF_B } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore, freshPostgres } from './helpers/stores.js';

const NOW = new Date('2024-03-10T12:00:00Z');

/** Readings, customers, meters, rollups, invoices, alarms, tokens, a webhook: every kind of column. */
async function populate(db: Kysely<Schema>) {
  const feed = readingFeeder(db, 'edge-bk');
  const ids = await feed([
    // Sub-millisecond times must survive: ts is timestamptz (µs).
    { deviceId: 'm1', at: '2024-01-01T03:00:00.000Z', values: { energy_import: 1000.125 } },
    { deviceId: 'm1', at: '2024-02-01T03:00:00.000Z', values: { energy_import: 1100.5 } },
    {
      deviceId: 'm2',
      at: '2024-01-01T03:00:00.000Z',
      values: { energy_import: 5, voltage_l1: 221.4 },
    },
    { deviceId: 'm2', at: '2024-02-01T03:00:00.000Z', values: { energy_import: 65 } },
  ]);
  await sql`UPDATE readings SET ts = ts + interval '123 microseconds' WHERE seq = 1`.execute(db);
  const tariff = { id: 'flat', energy: { model: 'flat', pricePerKwh: '1.07' } } as const;
  const ana = await createCustomer(db, { document: CPF_A, name: 'Ana Conceição "A"', tariff });
  const bia = await createCustomer(db, {
    document: CPF_B,
    name: 'Bia',
    tariff,
    password: 'senha-da-bia',
  });
  await bindMeter(db, ana.id, { meterId: ids.get('m1') as number });
  await bindMeter(db, bia.id, { meterId: ids.get('m2') as number });
  await rollupMeters(db, undefined, { now: NOW });
  await closeBillingPeriod(db, { period: '2024-01', now: NOW });
  await raiseAlarm(
    db,
    {
      source: 'meter:1',
      type: 'meter.tamper',
      severity: 'CRITICAL',
      customerId: ana.id,
      details: { a: [1, 2] },
    },
    NOW,
  );
  await mintToken(db, { role: 'admin' });
  await createWebhook(db, {
    name: 'pager',
    url: 'https://ops.example.com/x',
    createdBy: 'admin:t',
    now: NOW,
  });
}

/** Every table, every row, as to_jsonb text, sorted: equal means the same data. */
async function snapshot(db: Kysely<Schema>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of await tablesInOrder(db)) {
    const { rows } = await sql<{
      j: string;
    }>`SELECT to_jsonb(t)::text AS j FROM ${sql.id(table)} t`.execute(db);
    out[table] = rows.map((r) => r.j).sort();
  }
  return out;
}

describeEachStore('backup and restore, round trip', (store) => {
  let source: Database & { dispose(): Promise<void> };
  let dir: string;
  let file: string;
  let before: Record<string, string[]>;

  beforeAll(async () => {
    source = await store.open();
    await populate(source.db);
    dir = await mkdtemp(join(tmpdir(), 'gl-backup-'));
    file = join(dir, 'central.backup.gz');
    before = await snapshot(source.db);
  });
  afterAll(async () => {
    await source.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('backs up every table in one snapshot', async () => {
    const out = await backupToFile(source.db, file, NOW);
    const total = Object.values(before).reduce((n, rows) => n + rows.length, 0);
    expect(out).toEqual({ tables: Object.keys(before).length, rows: total });
    expect(before.readings?.length).toBe(4);
    expect(before.invoices?.length).toBe(2);
    expect(before.webhooks?.length).toBe(1);
  });

  it.each(['pglite', 'postgres'] as const)(
    'restores into a fresh %s: every table equal, ids continue',
    async (target) => {
      const fresh = target === 'postgres' ? await freshPostgres() : undefined;
      const db = await openDatabase(
        fresh ? { kind: 'postgres', url: fresh.url, poolSize: 2 } : { kind: 'pglite' },
      );
      try {
        await restoreFromFile(db.db, file);
        expect(await snapshot(db.db)).toEqual(before);
        // Sequences continue past the restored ids.
        const c = await createCustomer(db.db, { document: '39053344705', name: 'Carla' });
        const max = await db.db
          .selectFrom('customers')
          .select((eb) => eb.fn.max('id').as('m'))
          .executeTakeFirstOrThrow();
        expect(c.id).toBe(Number(max.m));
        expect(c.id).toBeGreaterThan(2);
        // Not twice: the database is no longer empty.
        await expect(restoreFromFile(db.db, file)).rejects.toBeInstanceOf(RestoreRefused);
      } finally {
        await db.close();
        await fresh?.drop();
      }
    },
  );

  it('refuses a file that is not a backup', async () => {
    const bad = join(dir, 'not-a-backup');
    await writeFile(bad, 'hello');
    const db = await openDatabase({ kind: 'pglite' });
    try {
      await expect(restoreFromFile(db.db, bad)).rejects.toThrow();
    } finally {
      await db.close();
    }
  });
});

it('gridlink-central backup / restore on PGlite data directories, through the real CLI', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gl-backup-cli-'));
  try {
    const a = join(dir, 'a');
    const src = await openDatabase({ kind: 'pglite', dataDir: join(a, 'db') });
    await populate(src.db);
    const before = await snapshot(src.db);
    await src.close();
    const file = join(dir, 'a.backup.gz');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [...centralCommand(), ...args], {
        encoding: 'utf8',
        timeout: 120_000,
      });
    const b1 = run('backup', '--data-dir', a, '--out', file);
    expect(b1.stderr).toBe('');
    expect(b1.status).toBe(0);
    expect(b1.stdout).toMatch(/^backed up \d+ rows of \d+ tables to /);
    const b = join(dir, 'b');
    const r1 = run('restore', '--data-dir', b, '--in', file);
    expect(r1.status, r1.stderr).toBe(0);
    const again = run('restore', '--data-dir', b, '--in', file);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/GL_CONFLICT: table \S+ is not empty/);
    expect(run('backup', '--data-dir', a).status).toBe(2);
    const restored = await openDatabase({ kind: 'pglite', dataDir: join(b, 'db') });
    try {
      expect(await snapshot(restored.db)).toEqual(before);
    } finally {
      await restored.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
