import type { TelemetryBatch } from '@gridlink/shared';

/** Readings one merged transaction may carry (the unnest arrays have no practical limit). */
export const MAX_COALESCED_READINGS = 20_000;

/**
 * Group commit at the central: batches of one edge that queued up while the previous transaction
 * ran are merged when they continue each other (same epoch, firstSeq = previous lastSeq + 1), so
 * one transaction and one cumulative ack serve them all. Anything else (a resend, a new epoch, a
 * gap) starts a new group, keeping arrival order. The drop fields come from the newest batch:
 * both only grow within an epoch.
 */
export function coalesceBatches(
  batches: readonly TelemetryBatch[],
  maxReadings = MAX_COALESCED_READINGS,
): Array<{ batch: TelemetryBatch; count: number }> {
  const out: Array<{ batch: TelemetryBatch; count: number }> = [];
  for (const b of batches) {
    const last = out.at(-1);
    if (
      last &&
      last.batch.edgeId === b.edgeId &&
      last.batch.epoch === b.epoch &&
      b.firstSeq === last.batch.lastSeq + 1 &&
      last.batch.readings.length + b.readings.length <= maxReadings
    ) {
      last.batch = {
        ...last.batch,
        lastSeq: b.lastSeq,
        dropped: b.dropped,
        droppedUpTo: b.droppedUpTo,
        readings: last.batch.readings.concat(b.readings),
      };
      last.count++;
    } else {
      out.push({ batch: b, count: 1 });
    }
  }
  return out;
}
