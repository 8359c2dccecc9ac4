import type { BatchRows, DecodedBatch } from './decoded-batch.js';
import { concatJsonbArrays } from './jsonb-document.js';

/** The rows of two consecutive batches as one, when both are of one kind (and COPY stream). */
function mergeRows(a: BatchRows, b: BatchRows): BatchRows | undefined {
  if (a.kind === 'json' && b.kind === 'json')
    return { kind: 'json', doc: concatJsonbArrays(a.doc, b.doc) };
  if (a.kind === 'copy' && b.kind === 'copy' && a.streamId === b.streamId)
    return { kind: 'copy', streamId: a.streamId, text: Buffer.concat([a.text, b.text]) };
  return undefined;
}

/**
 * Readings one merged transaction may carry. A group smaller than what an edge keeps in flight
 * leaves the rest queued behind it, so the next transaction can start the moment this one
 * commits instead of waiting for the edge to refill. 10,000 lets two batches of the default
 * 5,000 go as one transaction when both queued up (a quarter of a window of 8): in PGlite a
 * 10,000-row COPY stored ~5 % more rows a second than two of 5,000 (one-off, sixth session),
 * and each group saves a transaction's statements and an ack. Before, 8,000 (chosen with
 * 2,000-reading batches, against 20,000: PostgreSQL drains 55k against 51k readings/s) stored
 * default batches one per transaction. Smaller batches (edges that send on `maxDelayMs`) merge
 * by more.
 */
export const MAX_COALESCED_READINGS = 10_000;

/**
 * Group commit at the central: batches of one edge that queued up while the previous transaction
 * ran are merged when they continue each other (same epoch, firstSeq = previous lastSeq + 1), so
 * one transaction and one cumulative ack serve them all. Anything else (a resend, a new epoch, a
 * gap, rows of another kind) starts a new group, keeping arrival order. The drop fields come from the newest batch:
 * both only grow within an epoch. Quarantined readings are joined in seq order, as the rows are.
 */
export function coalesceBatches(
  batches: readonly DecodedBatch[],
  maxReadings = MAX_COALESCED_READINGS,
): Array<{ batch: DecodedBatch; count: number }> {
  const out: Array<{ batch: DecodedBatch; count: number }> = [];
  for (const b of batches) {
    const last = out.at(-1);
    const continues =
      last !== undefined &&
      last.batch.edgeId === b.edgeId &&
      last.batch.epoch === b.epoch &&
      b.firstSeq === last.batch.lastSeq + 1 &&
      b.lastSeq - last.batch.firstSeq + 1 <= maxReadings;
    const rows = continues ? mergeRows(last.batch.rows, b.rows) : undefined;
    if (last && rows) {
      last.batch = {
        ...last.batch,
        lastSeq: b.lastSeq,
        dropped: b.dropped,
        droppedUpTo: b.droppedUpTo,
        deviceIds: [...new Set([...last.batch.deviceIds, ...b.deviceIds])],
        rows,
        quarantine:
          b.quarantine.length > 0
            ? [...last.batch.quarantine, ...b.quarantine]
            : last.batch.quarantine,
      };
      last.count++;
    } else {
      out.push({ batch: b, count: 1 });
    }
  }
  return out;
}
