import {
  acceptTelemetryBatch,
  decodePayload,
  GridlinkError,
  parseJsonPayload,
  type TelemetryBatch,
  telemetryBatchSchema,
} from '@gridlink/shared';
import { canonicalCopyRows } from './canonical-rows.js';
import { copyRows, type KnownIds } from './copy-rows.js';
import { jsonbDocument } from './jsonb-document.js';

/**
 * The readings of a batch, re-encoded from the validated values (never the payload's own text),
 * seqs firstSeq..lastSeq in order: COPY text rows when the stream and every meter id are known,
 * else one JSON array as a binary jsonb document.
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
  /** Each deviceId of the readings, once. */
  deviceIds: string[];
  rows: BatchRows;
}

/** With `ids` (the decode worker's), the rows are COPY rows when every id is known. */
export function toDecodedBatch(batch: TelemetryBatch, ids?: KnownIds): DecodedBatch {
  const streamId = ids?.stream(batch.edgeId, batch.epoch);
  const text =
    ids && streamId !== undefined
      ? copyRows(streamId, batch.readings, (deviceId) => ids.meter(batch.edgeId, deviceId))
      : undefined;
  return {
    edgeId: batch.edgeId,
    epoch: batch.epoch,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    dropped: batch.dropped,
    droppedUpTo: batch.droppedUpTo,
    deviceIds: [...new Set(batch.readings.map((r) => r.deviceId))],
    rows:
      streamId !== undefined && text
        ? { kind: 'copy', streamId, text }
        : { kind: 'json', doc: jsonbDocument(JSON.stringify(batch.readings)) },
  };
}

/**
 * A telemetry payload as received on `gl/v1/edges/{edgeId}/telemetry`: inflated when gzip,
 * parsed, validated, checked against the topic's edge. Throws a GridlinkError with the code.
 * A batch in the edge's canonical form whose stream and meters `ids` knows is read straight into
 * COPY rows (canonical-rows.ts); every other payload takes the full path.
 */
export function decodeTelemetry(
  edgeId: string,
  payload: Buffer,
  maxPayloadBytes: number,
  ids?: KnownIds,
): DecodedBatch {
  // A gzip payload (the edge's optional compression) inflates to the JSON, within the limit.
  const json = decodePayload(payload, maxPayloadBytes);
  if (ids && json.byteLength <= maxPayloadBytes) {
    const rows = canonicalCopyRows(edgeId, json, ids);
    if (rows) return rows;
  }
  return parseTelemetry(edgeId, json, maxPayloadBytes, ids);
}

/** The full path: JSON.parse, validation, the rows re-encoded from the validated values. */
export function parseTelemetry(
  edgeId: string,
  json: Buffer,
  maxPayloadBytes: number,
  ids?: KnownIds,
): DecodedBatch {
  const batch = parseJsonPayload(telemetryBatchSchema, json, maxPayloadBytes, acceptTelemetryBatch);
  if (batch.edgeId !== edgeId) {
    throw new GridlinkError(
      'GL_EDGE_MISMATCH',
      `payload edgeId ${batch.edgeId} on the topic of ${edgeId}`,
    );
  }
  return toDecodedBatch(batch, ids);
}
