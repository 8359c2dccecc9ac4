import type { QuarantinedReading } from './quarantined-reading.js';

/**
 * The valid readings of a batch, re-encoded from the validated values (never the payload's own
 * text), in seq order (the seqs firstSeq..lastSeq but the quarantined ones): COPY text rows when
 * the stream and every meter id are known, else one JSON array as a binary jsonb document.
 */
export type BatchRows =
  | { kind: 'copy'; streamId: number; text: Uint8Array }
  | { kind: 'json'; doc: Uint8Array };

/** A validated telemetry batch as the store takes it: the header, the devices it names, its rows. */
export interface DecodedBatch {
  edgeId: string;
  epoch: string;
  firstSeq: number;
  lastSeq: number;
  dropped: number;
  droppedUpTo: number;
  /** Each deviceId of the valid readings, once. */
  deviceIds: string[];
  rows: BatchRows;
  /** The readings set aside, in seq order (docs/WIRE.md, "Readings the central sets aside"). */
  quarantine: QuarantinedReading[];
}
