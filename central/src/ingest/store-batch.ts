import { type Kysely, sql } from 'kysely';
import type { CopyTransaction, Schema } from '../storage/index.js';
import { COPY_TARGET, dropRows } from './copy-rows.js';
import type { DecodedBatch } from './decoded-batch.js';

export type BatchOutcome = {
  streamId: number;
} /** New readings committed; the mark moved to `upTo`. */ & (
  | { kind: 'stored'; upTo: number; stored: number; gap?: { from: number; to: number } }
  /** Everything in the batch was already stored; acknowledge again. */
  | { kind: 'duplicate'; upTo: number }
  /** The batch starts beyond the mark and the edge did not drop the gap: nothing stored. */
  | { kind: 'gap'; upTo: number; expected: number }
);

/** What the mark says about a batch, before anything is written. */
type Decision =
  | { kind: 'duplicate' }
  | { kind: 'gap' }
  /** Store the readings above the mark; `gap` is a dropped range to record first. */
  | { kind: 'store'; skip: number; gap?: { from: number; to: number } };

function decide(batch: DecodedBatch, mark: number): Decision {
  if (batch.lastSeq <= mark) return { kind: 'duplicate' };
  if (batch.firstSeq > mark + 1) {
    // Only a gap the edge itself dropped (its log was full) may be skipped.
    if (batch.droppedUpTo < batch.firstSeq - 1) return { kind: 'gap' };
    return { kind: 'store', skip: 0, gap: { from: mark + 1, to: batch.firstSeq - 1 } };
  }
  // A batch may straddle the mark (the edge re-batched after a restart): skip the stored part.
  return { kind: 'store', skip: mark + 1 - batch.firstSeq };
}

function outcome(
  batch: DecodedBatch,
  streamId: number,
  mark: number,
  decision: Decision,
): BatchOutcome {
  if (decision.kind === 'duplicate') return { streamId, kind: 'duplicate', upTo: mark };
  if (decision.kind === 'gap') return { streamId, kind: 'gap', upTo: mark, expected: mark + 1 };
  const stored = batch.lastSeq - batch.firstSeq + 1 - decision.skip;
  return decision.gap
    ? { streamId, kind: 'stored', upTo: batch.lastSeq, stored, gap: decision.gap }
    : { streamId, kind: 'stored', upTo: batch.lastSeq, stored };
}

/**
 * Stores one telemetry batch exactly once (ARCHITECTURE.md, data path step 4). In a single
 * transaction: lock the (edge, epoch) mark, decide, insert only the seqs above it, advance it.
 * JSON rows go through Kysely; COPY rows need `copy`, a transaction that can COPY.
 * `meterIds` maps each deviceId in the batch to its meter row.
 */
export async function storeBatch(
  db: Kysely<Schema>,
  batch: DecodedBatch,
  meterIds: ReadonlyMap<string, number>,
  copy?: CopyTransaction,
): Promise<BatchOutcome> {
  for (const deviceId of batch.deviceIds)
    if (!meterIds.has(deviceId)) throw new Error(`no meter row for device ${deviceId}`);
  if (batch.rows.kind === 'copy') {
    if (!copy) throw new Error('COPY rows need a transaction that can COPY');
    return storeByCopy(copy, batch, batch.rows);
  }
  const { doc } = batch.rows;
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
    const decision = decide(batch, mark);
    if (decision.kind === 'store') {
      if (decision.gap) await recordGap(trx, stream.id, batch, decision.gap);
      // Statement 2: the readings above the mark and the new mark, together.
      await insertReadingsAndAdvance(trx, stream.id, mark, meterIds, batch, doc);
    }
    return outcome(batch, stream.id, mark, decision);
  });
}

async function recordGap(
  trx: Kysely<Schema>,
  streamId: number,
  batch: DecodedBatch,
  gap: { from: number; to: number },
): Promise<void> {
  await trx
    .insertInto('ingest_gaps')
    .values({
      stream_id: streamId,
      from_seq: gap.from,
      to_seq: gap.to,
      reported_dropped: batch.dropped,
    })
    .execute();
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
  doc: Uint8Array,
): Promise<void> {
  const meters = JSON.stringify(Object.fromEntries(meterIds));
  await sql`
    WITH inserted AS (
      INSERT INTO readings (stream_id, seq, meter_id, ts, quality, values)
      SELECT ${streamId}, x.seq, (${meters}::jsonb ->> x."deviceId")::int,
             to_timestamp(x.ts / 1000.0), x.quality, x.values
      FROM jsonb_to_recordset(${doc}::jsonb)
        AS x(seq bigint, "deviceId" text, ts bigint, quality text, values jsonb)
      WHERE x.seq > ${mark}
    )
    UPDATE ingest_streams SET up_to = ${batch.lastSeq}, dropped = ${batch.dropped}, updated_at = now()
    WHERE id = ${streamId}
  `.execute(trx);
}

/**
 * The same transaction with COPY: lock and read the mark, decide, COPY the rows above it, advance
 * the mark. The rows carry the stream id the decode worker was taught; it must be this stream's.
 */
async function storeByCopy(
  copy: CopyTransaction,
  batch: DecodedBatch,
  rows: { streamId: number; text: Uint8Array },
): Promise<BatchOutcome> {
  return copy(async (session) => {
    const [stream] = await session.query<{ id: number; up_to: string }>(
      `INSERT INTO ingest_streams (edge_id, epoch) VALUES ($1, $2)
       ON CONFLICT (edge_id, epoch) DO UPDATE SET updated_at = now()
       RETURNING id, up_to::text`,
      [batch.edgeId, batch.epoch],
    );
    if (!stream) throw new Error('ingest_streams upsert returned no row');
    if (stream.id !== rows.streamId)
      throw new Error(`COPY rows carry stream ${rows.streamId}, the mark is stream ${stream.id}`);
    const mark = Number(stream.up_to);
    const decision = decide(batch, mark);
    if (decision.kind === 'store') {
      if (decision.gap)
        await session.query(
          'INSERT INTO ingest_gaps (stream_id, from_seq, to_seq, reported_dropped) VALUES ($1, $2, $3, $4)',
          [stream.id, decision.gap.from, decision.gap.to, batch.dropped],
        );
      await session.copyIn(COPY_TARGET, dropRows(rows.text, decision.skip));
      await session.query(
        'UPDATE ingest_streams SET up_to = $1, dropped = $2, updated_at = now() WHERE id = $3',
        [batch.lastSeq, batch.dropped, stream.id],
      );
    }
    return outcome(batch, stream.id, mark, decision);
  });
}
