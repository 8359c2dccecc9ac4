import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';
import type { DecodedBatch } from './decoded-batch.js';

export type BatchOutcome =
  /** New readings committed; the mark moved to `upTo`. */
  | { kind: 'stored'; upTo: number; stored: number; gap?: { from: number; to: number } }
  /** Everything in the batch was already stored; acknowledge again. */
  | { kind: 'duplicate'; upTo: number }
  /** The batch starts beyond the mark and the edge did not drop the gap: nothing stored. */
  | { kind: 'gap'; upTo: number; expected: number };

/**
 * Stores one telemetry batch exactly once (ARCHITECTURE.md, data path step 4). In a single
 * transaction: lock the (edge, epoch) mark, decide, insert only the seqs above it, advance it.
 * A batch may straddle the mark (the edge re-batched after a restart): the stored part is skipped.
 * `meterIds` maps each deviceId in the batch to its meter row.
 */
export async function storeBatch(
  db: Kysely<Schema>,
  batch: DecodedBatch,
  meterIds: ReadonlyMap<string, number>,
): Promise<BatchOutcome> {
  return db.transaction().execute(async (trx) => {
    // Statement 1: create the mark on first sight and lock it, returning it (ON CONFLICT DO UPDATE
    // takes the row lock, so concurrent deliveries of one stream serialize here).
    const stream = await trx
      .insertInto('ingest_streams')
      .values({ edge_id: batch.edgeId, epoch: batch.epoch })
      .onConflict((oc) => oc.columns(['edge_id', 'epoch']).doUpdateSet({ updated_at: sql`now()` }))
      .returning(['id', 'up_to'])
      .executeTakeFirstOrThrow();
    const mark = Number(stream.up_to);

    if (batch.lastSeq <= mark) return { kind: 'duplicate', upTo: mark };

    let gap: { from: number; to: number } | undefined;
    if (batch.firstSeq > mark + 1) {
      // Only a gap the edge itself dropped (its log was full) may be skipped.
      if (batch.droppedUpTo < batch.firstSeq - 1)
        return { kind: 'gap', upTo: mark, expected: mark + 1 };
      gap = { from: mark + 1, to: batch.firstSeq - 1 };
      await trx
        .insertInto('ingest_gaps')
        .values({
          stream_id: stream.id,
          from_seq: gap.from,
          to_seq: gap.to,
          reported_dropped: batch.dropped,
        })
        .execute();
    }

    // Statement 2: the readings above the mark and the new mark, together. Seqs are contiguous.
    await insertReadingsAndAdvance(trx, stream.id, mark, meterIds, batch);
    const stored = batch.lastSeq - Math.max(mark, batch.firstSeq - 1);
    return gap
      ? { kind: 'stored', upTo: batch.lastSeq, stored, gap }
      : { kind: 'stored', upTo: batch.lastSeq, stored };
  });
}

/**
 * One statement: the readings above the mark, expanded from the batch's JSON document by
 * jsonb_to_recordset (two parameters whatever the batch size: the readings and the deviceId ->
 * meter id map), in a data-modifying CTE, and the mark's UPDATE. PostgreSQL runs a
 * data-modifying CTE exactly once and to completion even when nothing reads its output.
 */
async function insertReadingsAndAdvance(
  trx: Kysely<Schema>,
  streamId: number,
  mark: number,
  meterIds: ReadonlyMap<string, number>,
  batch: DecodedBatch,
): Promise<void> {
  for (const deviceId of batch.deviceIds)
    if (!meterIds.has(deviceId)) throw new Error(`no meter row for device ${deviceId}`);
  const meters = JSON.stringify(Object.fromEntries(meterIds));
  await sql`
    WITH inserted AS (
      INSERT INTO readings (stream_id, seq, meter_id, ts, quality, values)
      SELECT ${streamId}, x.seq, (${meters}::jsonb ->> x."deviceId")::int,
             to_timestamp(x.ts / 1000.0), x.quality, x.values
      FROM jsonb_to_recordset(${batch.readingsDoc}::jsonb)
        AS x(seq bigint, "deviceId" text, ts bigint, quality text, values jsonb)
      WHERE x.seq > ${mark}
    )
    UPDATE ingest_streams SET up_to = ${batch.lastSeq}, dropped = ${batch.dropped}, updated_at = now()
    WHERE id = ${streamId}
  `.execute(trx);
}
