import { type Kysely, sql } from 'kysely';

/**
 * Readings set aside at ingest (docs/WIRE.md, "Readings the central sets aside"): a reading of a
 * valid batch that fails the reading check is kept here under its seq, in the transaction that
 * stores the rest of its batch, and counted on its stream beside `dropped`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('ingest_streams')
    .addColumn('quarantined', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('ingest_quarantine')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('stream_id', 'integer', (c) => c.notNull().references('ingest_streams.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    // The reading's deviceId when it was a valid id (the raw text shows any other).
    .addColumn('device_id', 'text')
    .addColumn('reason', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`reason IN ('schema','time_before_window','time_after_window','value_not_finite')`,
        ),
    )
    .addColumn('message', 'text', (c) => c.notNull())
    // The reading as JSON, at most 4 KiB of it; raw_bytes is the length of the whole text.
    .addColumn('raw', 'text', (c) => c.notNull())
    .addColumn('raw_bytes', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    // As for readings: a (stream, seq) is set aside at most once, the mark's last line of defence.
    .addUniqueConstraint('ingest_quarantine_stream_seq', ['stream_id', 'seq'])
    .execute();
  // The API pages an edge's quarantine newest first, by id.
  await db.schema
    .createIndex('ingest_quarantine_stream_id')
    .on('ingest_quarantine')
    .columns(['stream_id', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ingest_quarantine').ifExists().execute();
  await db.schema.alterTable('ingest_streams').dropColumn('quarantined').execute();
}
