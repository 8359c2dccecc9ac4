import type { Kysely } from 'kysely';
import { type CopyTransaction, kyselyTransaction, type Schema } from '../storage/index.js';
import { type Decision, decide } from './batch-decision.js';
import { COPY_TARGET, dropRows } from './copy-rows.js';
import type { DecodedBatch } from './decoded-batch.js';
import type { QuarantinedReading } from './quarantined-reading.js';

/** What became of a batch, and the id of its (edge, epoch) stream. */
export type BatchOutcome = { streamId: number } & Verdict;

type Verdict =
  /**
   * The part above the mark committed: `stored` readings, and the readings set aside in
   * `quarantined` (present only when there are any); the mark moved to `upTo`.
   */
  | {
      kind: 'stored';
      upTo: number;
      stored: number;
      gap?: { from: number; to: number };
      quarantined?: QuarantinedReading[];
    }
  /** Everything in the batch was already stored; acknowledge again. */
  | { kind: 'duplicate'; upTo: number }
  /** The batch starts beyond the mark and the edge did not drop the gap: nothing stored. */
  | { kind: 'gap'; upTo: number; expected: number };

function outcome(
  batch: DecodedBatch,
  streamId: number,
  mark: number,
  decision: Decision,
): BatchOutcome {
  if (decision.kind === 'duplicate') return { streamId, kind: 'duplicate', upTo: mark };
  if (decision.kind === 'gap')
    return { streamId, kind: 'gap', upTo: mark, expected: decision.expected };
  return {
    streamId,
    kind: 'stored',
    upTo: batch.lastSeq,
    stored: decision.stored,
    ...(decision.gap ? { gap: decision.gap } : {}),
    ...(decision.quarantine.length > 0 ? { quarantined: decision.quarantine } : {}),
  };
}

/**
 * Stores one telemetry batch exactly once (ARCHITECTURE.md, data path step 4). In a single
 * transaction: lock the (edge, epoch) mark, decide, insert only the seqs above it (valid readings
 * into `readings`, the ones set aside into `ingest_quarantine`), advance it over both.
 * COPY rows need `copy`, a transaction that can COPY; JSON rows go through it too when given,
 * else through a Kysely transaction. `meterIds` maps each meter of the batch to its meter row;
 * `deviceRefs` each device that is not a meter (a charger…) to its device row. Only meters have
 * COPY rows (the decoder knows only meter ids): a batch with another kind's readings goes as JSON.
 */
export async function storeBatch(
  db: Kysely<Schema>,
  batch: DecodedBatch,
  meterIds: ReadonlyMap<string, number>,
  copy?: CopyTransaction,
  deviceRefs: ReadonlyMap<string, number> = NO_DEVICES,
): Promise<BatchOutcome> {
  for (const deviceId of batch.deviceIds)
    if (!meterIds.has(deviceId) && !deviceRefs.has(deviceId))
      throw new Error(`no meter or device row for device ${deviceId}`);
  const { rows } = batch;
  if (rows.kind === 'copy' && !copy) throw new Error('COPY rows need a transaction that can COPY');
  if (rows.kind === 'copy' && deviceRefs.size > 0)
    throw new Error('COPY rows are meter rows; a batch with other devices goes as JSON');
  return (copy ?? kyselyTransaction(db))(async (session) => {
    // Create the mark on first sight and lock it, returning it (ON CONFLICT DO UPDATE takes the
    // row lock, so concurrent deliveries of one stream serialize here).
    const [stream] = await session.query<{ id: number; up_to: string }>(
      `INSERT INTO ingest_streams (edge_id, epoch) VALUES ($1, $2)
       ON CONFLICT (edge_id, epoch) DO UPDATE SET updated_at = now()
       RETURNING id, up_to::text`,
      [batch.edgeId, batch.epoch],
    );
    if (!stream) throw new Error('ingest_streams upsert returned no row');
    if (rows.kind === 'copy' && stream.id !== rows.streamId)
      throw new Error(`COPY rows carry stream ${rows.streamId}, the mark is stream ${stream.id}`);
    const mark = Number(stream.up_to);
    const decision = decide(batch, mark);
    if (decision.kind !== 'store') return outcome(batch, stream.id, mark, decision);
    if (decision.gap)
      await session.query(
        'INSERT INTO ingest_gaps (stream_id, from_seq, to_seq, reported_dropped) VALUES ($1, $2, $3, $4)',
        [stream.id, decision.gap.from, decision.gap.to, batch.dropped],
      );
    const quarantined = decision.quarantine.length;
    if (quarantined > 0)
      await session.query(INSERT_QUARANTINE, [stream.id, quarantineDocument(decision.quarantine)]);
    if (rows.kind === 'copy') {
      const text = dropRows(rows.text, decision.skipRows);
      if (text.byteLength > 0) await session.copyIn(COPY_TARGET, text);
      await session.query(ADVANCE_MARK, [batch.lastSeq, batch.dropped, stream.id, quarantined]);
    } else {
      await session.query(INSERT_JSON_AND_ADVANCE, [
        stream.id,
        JSON.stringify(Object.fromEntries(meterIds)),
        rows.doc,
        mark,
        batch.lastSeq,
        batch.dropped,
        quarantined,
        JSON.stringify(Object.fromEntries(deviceRefs)),
      ]);
    }
    return outcome(batch, stream.id, mark, decision);
  });
}

const NO_DEVICES: ReadonlyMap<string, number> = new Map();

const ADVANCE_MARK = `UPDATE ingest_streams
  SET up_to = $1, dropped = $2, quarantined = quarantined + $4, updated_at = now() WHERE id = $3`;

/** The readings set aside, one statement: rows expanded from a JSON document ($2). */
const INSERT_QUARANTINE = `
  INSERT INTO ingest_quarantine
    (stream_id, seq, device_id, reason, message, raw, raw_bytes, received_at)
  SELECT $1, x.seq, x.device_id, x.reason, x.message, x.raw, x.raw_bytes,
         to_timestamp(x.checked_at / 1000.0)
  FROM jsonb_to_recordset($2::jsonb) AS x(seq bigint, device_id text, reason text, message text,
                                          raw text, raw_bytes int, checked_at bigint)`;

/** Quarantine entries as the JSON document INSERT_QUARANTINE expands (every string is safe). */
function quarantineDocument(entries: readonly QuarantinedReading[]): string {
  return JSON.stringify(
    entries.map((q) => ({
      seq: q.seq,
      device_id: q.deviceId,
      reason: q.reason,
      message: q.message,
      raw: q.raw,
      raw_bytes: q.rawBytes,
      checked_at: q.checkedAt,
    })),
  );
}

/**
 * JSON rows, one statement: the readings above the mark ($4), expanded from the batch's jsonb
 * document ($3) by jsonb_to_recordset with a deviceId -> meter id map ($2) and, for devices that
 * are not meters, a deviceId -> device row map ($8), in a data-modifying
 * CTE, and the mark's UPDATE. PostgreSQL runs a data-modifying CTE exactly once and to completion
 * even when nothing reads its output.
 */
const INSERT_JSON_AND_ADVANCE = `
  WITH inserted AS (
    INSERT INTO readings (stream_id, seq, meter_id, device_ref, ts, quality, values)
    SELECT $1, x.seq, ($2::jsonb ->> x."deviceId")::int, ($8::jsonb ->> x."deviceId")::int,
           to_timestamp(x.ts / 1000.0), x.quality, x.values
    FROM jsonb_to_recordset($3::jsonb)
      AS x(seq bigint, "deviceId" text, ts bigint, quality text, values jsonb)
    WHERE x.seq > $4
  )
  UPDATE ingest_streams SET up_to = $5, dropped = $6, quarantined = quarantined + $7,
    updated_at = now()
  WHERE id = $1`;
