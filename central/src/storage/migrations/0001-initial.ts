import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gist`.execute(db);
  await db.schema
    .createTable('edges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz')
    .addColumn('status', 'jsonb')
    .execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role IN ('admin','operator','customer','driver')`),
    )
    .addColumn('subject', 'text')
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('meters')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('edge_id', 'text', (c) => c.notNull().references('edges.id'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('meters_edge_device', ['edge_id', 'device_id'])
    .execute();
  await db.schema
    .createTable('ingest_streams')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('edge_id', 'text', (c) => c.notNull().references('edges.id'))
    .addColumn('epoch', 'text', (c) => c.notNull())
    .addColumn('up_to', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('dropped', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ingest_streams_edge_epoch', ['edge_id', 'epoch'])
    .execute();
  await db.schema
    .createTable('ingest_gaps')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('stream_id', 'integer', (c) => c.notNull().references('ingest_streams.id'))
    .addColumn('from_seq', 'bigint', (c) => c.notNull())
    .addColumn('to_seq', 'bigint', (c) => c.notNull())
    .addColumn('reported_dropped', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The primary key is the last line of defence for exactly-once: a (stream, seq) is stored once.
  await db.schema
    .createTable('readings')
    .addColumn('stream_id', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('meter_id', 'integer', (c) => c.notNull())
    .addColumn('ts', 'timestamptz', (c) => c.notNull())
    .addColumn('quality', 'text', (c) =>
      c.notNull().check(sql`quality IN ('good','uncertain','bad')`),
    )
    .addColumn('values', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('readings_pk', ['stream_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('readings_meter_ts')
    .on('readings')
    .columns(['meter_id', 'ts'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['readings', 'ingest_gaps', 'ingest_streams', 'meters', 'api_tokens', 'edges']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
