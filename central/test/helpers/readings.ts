import type { TelemetryBatch } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import { upsertEdgeCredential } from '../../src/edges/index.js';
import { MeterDirectory, storeBatch, toDecodedBatch } from '../../src/ingest/index.js';
import type { Schema } from '../../src/storage/index.js';

/**
 * Feeds readings through the real exactly-once ingest path (storeBatch) of one edge.
 * Each call is one contiguous batch; returns the meter ids by device.
 */
export function readingFeeder(db: Kysely<Schema>, edgeId: string) {
  let seq = 0;
  let registered = false;
  const directory = new MeterDirectory(db);
  return async function feed(
    readings: Array<{
      deviceId: string;
      at: string;
      values: Record<string, number>;
      quality?: 'good' | 'uncertain' | 'bad';
    }>,
  ): Promise<Map<string, number>> {
    if (!registered) {
      await upsertEdgeCredential(db, edgeId);
      registered = true;
    }
    const ids = await directory.resolve(
      edgeId,
      readings.map((r) => r.deviceId),
    );
    if (readings.length === 0) return ids;
    const batch: TelemetryBatch = {
      edgeId,
      epoch: 'epoch-test-0001',
      firstSeq: seq + 1,
      lastSeq: seq + readings.length,
      dropped: 0,
      droppedUpTo: 0,
      readings: readings.map((r, i) => ({
        seq: seq + 1 + i,
        deviceId: r.deviceId,
        ts: Date.parse(r.at),
        quality: r.quality ?? 'good',
        values: r.values,
      })),
    };
    seq += readings.length;
    const out = await storeBatch(db, toDecodedBatch(batch), ids);
    if (out.kind !== 'stored') throw new Error(`batch not stored: ${out.kind}`);
    return ids;
  };
}
