/**
 * What the reconciliation checker compares. Three independent witnesses of one edge's readings:
 * the edge's log (what it committed), the central's database (what it stored), and optionally the
 * simulator (what the devices served).
 */

/** The edge's side: the meta record of its LevelDB log plus the seqs still physically in it. */
export interface EdgeLogState {
  epoch: string;
  /** Committed seqs are exactly 1..lastSeq (seqs are consecutive and never reused). */
  lastSeq: number;
  ackedUpTo: number;
  /** Readings the log's bounds dropped unsent, cumulative for this epoch. */
  dropped: number;
  /** Highest seq dropped; every seq at or below it was acknowledged or dropped. */
  droppedUpTo: number;
  /** Seqs still in the log (pending: neither acknowledged nor dropped). */
  pendingSeqs: readonly number[];
}

export interface StoredReading {
  epoch: string;
  seq: number;
  deviceId: string;
  /** Epoch milliseconds. */
  ts: number;
  values: Record<string, number>;
}

export interface StoredGap {
  epoch: string;
  fromSeq: number;
  toSeq: number;
  reportedDropped: number;
}

/** A reading the central set aside at ingest (ingest_quarantine): it holds the seq, not a row. */
export interface StoredQuarantine {
  epoch: string;
  seq: number;
  reason: string;
}

/**
 * The central's side for one edge: every stream (epoch), reading row, recorded gap and reading
 * set aside.
 */
export interface CentralState {
  streams: ReadonlyArray<{ epoch: string; upTo: number; dropped: number; quarantined: number }>;
  readings: readonly StoredReading[];
  gaps: readonly StoredGap[];
  quarantined: readonly StoredQuarantine[];
}

/** What the simulator served: per device, every snapshot of values it exposed. */
export type GroundTruth = ReadonlyMap<string, ReadonlyArray<Record<string, number>>>;

export interface ReconcileTotals {
  /** Seqs the edge committed: 1..lastSeq of its epoch. */
  committed: number;
  /** Distinct committed seqs stored at the central. */
  stored: number;
  /** Distinct committed seqs the central set aside at ingest (the third outcome, not a loss). */
  quarantined: number;
  /** Reading rows at the central for this edge and epoch (stored + duplicated + phantom). */
  rows: number;
  /** Committed seqs still in the edge's log, not yet stored: in transit, not lost. */
  pending: number;
  /** The edge's own drop counter (`dropped`, an upper bound: it may count readings also stored). */
  countedDrops: number;
  /** Committed seqs neither stored nor pending that the edge's drop accounting covers. */
  droppedMissing: number;
  /** Seqs in the central's ingest_gaps for this epoch. */
  gapSeqs: number;
  /** Committed seqs neither stored, nor pending, nor covered by the edge's drop accounting. */
  lost: number;
  /**
   * Rows repeating an earlier row's (stream, seq) or its (meter, ts, values), and quarantine rows
   * for a seq already stored or already set aside.
   */
  duplicated: number;
  duplicatedBySeq: number;
  duplicatedByContent: number;
  /** Reading or quarantine rows of this epoch with a seq the edge never committed. */
  phantom: number;
  /** Rows of the same edge under other epochs (older log instances); informational. */
  otherEpochRows: number;
  /** With ground truth: stored readings with a field value the device never served in it. */
  unserved?: number;
}

export interface ReconcileReport {
  totals: ReconcileTotals;
  /** Up to 20 examples per problem, for the error message of a failing check. */
  examples: { lost: number[]; duplicated: string[]; phantom: number[]; unserved: string[] };
}
