import type { Clock, Reading } from '@gridlink/shared';

/** A reading as the poller produces it: the log assigns the seq. */
export type NewReading = Omit<Reading, 'seq'>;

export interface AppendResult {
  /** First seq assigned. For an empty append, `lastSeq + 1` (an empty range). */
  firstSeq: number;
  lastSeq: number;
}

export interface ReadingLogStats {
  epoch: string;
  /** Highest seq ever assigned in this epoch (0 before the first append). */
  lastSeq: number;
  /** Highest seq the central acknowledged. */
  ackedUpTo: number;
  /** Readings stored and neither acknowledged nor dropped. */
  pending: number;
  /** Readings dropped by the bounds before an acknowledgement (cumulative, this epoch). */
  dropped: number;
  /** Highest seq ever dropped (0 when none). */
  droppedUpTo: number;
  /** Stored bytes of the pending readings (keys + encoded values). */
  bytes: number;
}

export interface ReadingLogBounds {
  /** Drop the oldest pending readings while stored bytes exceed this. */
  maxBytes?: number;
  /** Drop the oldest pending readings whose `ts` is older than this, by the clock. */
  maxAgeMs?: number;
  clock?: Clock;
}

/**
 * Consecutive pending readings as wire JSON bytes; `count` is 0 (and the seqs 0, no chunks) when
 * none. Each chunk holds whole readings separated by newlines (JSON text holds no raw newline);
 * the readings follow each other across chunks.
 */
export interface EncodedReadings {
  firstSeq: number;
  lastSeq: number;
  count: number;
  chunks: Buffer[];
}

/**
 * Writes to the store's side keyspace (edge/src/provisioning keeps pending meters there): keys and
 * values are strings; committed in one atomic batch, with an append's readings when passed to it.
 */
export interface SideWrites {
  put?: ReadonlyArray<readonly [key: string, value: string]>;
  del?: readonly string[];
}

/**
 * The edge's store of readings not yet acknowledged by the central (ARCHITECTURE.md, data path
 * step 2). Seqs are consecutive from 1 within an epoch and never reused. Pending readings are
 * always one contiguous range: acks and drops both remove from the oldest end.
 */
export interface ReadingLog {
  readonly epoch: string;
  /**
   * Assigns consecutive seqs and commits all readings at once (one group commit). `side`, when
   * given, is committed in the same atomic batch (a store that keeps no side keyspace refuses it).
   */
  append(readings: readonly NewReading[], side?: SideWrites): Promise<AppendResult>;
  /** Side entries whose key starts with `prefix`, in key order (LevelDB log only). */
  sideEntries?(prefix: string): Promise<[string, string][]>;
  /** Commits side writes alone, atomically (LevelDB log only). */
  sideWrite?(writes: SideWrites): Promise<void>;
  /**
   * Pending readings with seq >= fromSeq, in seq order, at most `maxCount` and, past the first,
   * at most `maxBytes` of encoded readings. Never empty while a pending reading >= fromSeq exists.
   */
  read(fromSeq: number, maxCount: number, maxBytes?: number): Promise<Reading[]>;
  /**
   * The same selection as `read`, as each reading's wire JSON (exactly `JSON.stringify` of the
   * reading, seq included) in UTF-8, so the uplink can splice a batch without parsing,
   * re-encoding, or decoding to strings.
   */
  readEncoded(fromSeq: number, maxCount: number, maxBytes?: number): Promise<EncodedReadings>;
  /** Deletes every reading <= upTo. Idempotent; an upTo at or below the current mark is a no-op. */
  ack(upTo: number): Promise<void>;
  stats(): ReadingLogStats;
  close(): Promise<void>;
}
