import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapFirstAdmin } from '../src/auth/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const NOW = new Date('2024-02-20T12:00:00Z');

/**
 * docs/DEPLOY.md, "The first admin token": several centrals starting at once on one database
 * mint one admin token between them, and no later start mints another.
 */
describeEachStore('the first admin token', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database?.dispose());

  it('eight centrals starting at once mint exactly one; a later start mints none', async () => {
    const minted = await Promise.all(
      Array.from({ length: 8 }, () => bootstrapFirstAdmin(database.db, NOW)),
    );
    expect(minted.filter((t) => t !== undefined)).toHaveLength(1);
    expect(await bootstrapFirstAdmin(database.db, NOW)).toBeUndefined();
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM api_tokens WHERE role = 'admin'`.execute(database.db);
    expect(rows[0]?.n).toBe(1);
  });
});
