import type { QuarantinedReading } from './quarantined-reading.js';

/** What the decision needs of a batch: its seq range, drop fields and quarantined seqs. */
export interface BatchSeqs {
  firstSeq: number;
  lastSeq: number;
  droppedUpTo: number;
  /** The readings set aside, in seq order, within firstSeq..lastSeq. */
  quarantine: readonly QuarantinedReading[];
}

/** What the mark says about a batch, before anything is written. */
export type Decision =
  /** Everything in the batch is at or below the mark: acknowledge again, write nothing. */
  | { kind: 'duplicate' }
  /** The batch starts beyond the mark and the edge did not drop the gap: write nothing. */
  | { kind: 'gap'; expected: number }
  | StorePlan;

/**
 * Store the part of the batch above the mark: every seq there is exactly one of a reading row or
 * a quarantine row, and the mark moves to lastSeq over both.
 */
export interface StorePlan {
  kind: 'store';
  /** Leading rows (valid readings at or below the mark) to skip: rows hold only valid readings. */
  skipRows: number;
  /** Valid readings stored. */
  stored: number;
  /** The readings to set aside: those above the mark. */
  quarantine: QuarantinedReading[];
  /** A range the edge dropped before sending it, to record as a gap first. */
  gap?: { from: number; to: number };
}

/**
 * The pure core of exactly-once (docs/WIRE.md, "Exactly once"): duplicate, gap, or the part above
 * the mark. A batch may straddle the mark (the edge re-batched after a restart): the stored part
 * is skipped, quarantined readings included, so a redelivery never writes a seq twice.
 */
export function decide(batch: BatchSeqs, mark: number): Decision {
  if (batch.lastSeq <= mark) return { kind: 'duplicate' };
  const count = batch.lastSeq - batch.firstSeq + 1;
  if (batch.firstSeq > mark + 1) {
    // Only a gap the edge itself dropped (its log was full) may be skipped.
    if (batch.droppedUpTo < batch.firstSeq - 1) return { kind: 'gap', expected: mark + 1 };
    const quarantine = [...batch.quarantine];
    return {
      kind: 'store',
      skipRows: 0,
      stored: count - quarantine.length,
      quarantine,
      gap: { from: mark + 1, to: batch.firstSeq - 1 },
    };
  }
  const skipSeqs = mark + 1 - batch.firstSeq;
  const quarantine = batch.quarantine.filter((q) => q.seq > mark);
  const quarantinedBelow = batch.quarantine.length - quarantine.length;
  return {
    kind: 'store',
    skipRows: skipSeqs - quarantinedBelow,
    stored: count - skipSeqs - quarantine.length,
    quarantine,
  };
}
