import {
  acceptTelemetryBatch,
  decodePayload,
  GridlinkError,
  parseJsonPayload,
  type TelemetryBatch,
  telemetryBatchSchema,
} from '@gridlink/shared';
import { jsonbDocument } from './jsonb-document.js';

/**
 * A validated telemetry batch as the store takes it: the header, the devices it names, and its
 * readings as one JSON array re-encoded from the validated values (never the payload's own
 * text), ready to be handed to the database as one binary jsonb document.
 */
export interface DecodedBatch {
  edgeId: string;
  epoch: string;
  firstSeq: number;
  lastSeq: number;
  dropped: number;
  droppedUpTo: number;
  /** Each deviceId of the readings, once. */
  deviceIds: string[];
  /** JSON array of the readings, seqs firstSeq..lastSeq in order, as binary jsonb. */
  readingsDoc: Uint8Array;
}

export function toDecodedBatch(batch: TelemetryBatch): DecodedBatch {
  return {
    edgeId: batch.edgeId,
    epoch: batch.epoch,
    firstSeq: batch.firstSeq,
    lastSeq: batch.lastSeq,
    dropped: batch.dropped,
    droppedUpTo: batch.droppedUpTo,
    deviceIds: [...new Set(batch.readings.map((r) => r.deviceId))],
    readingsDoc: jsonbDocument(JSON.stringify(batch.readings)),
  };
}

/**
 * A telemetry payload as received on `gl/v1/edges/{edgeId}/telemetry`: inflated when gzip,
 * parsed, validated, checked against the topic's edge. Throws a GridlinkError with the code.
 */
export function decodeTelemetry(
  edgeId: string,
  payload: Buffer,
  maxPayloadBytes: number,
): DecodedBatch {
  // A gzip payload (the edge's optional compression) inflates to the JSON, within the limit.
  const json = decodePayload(payload, maxPayloadBytes);
  const batch = parseJsonPayload(telemetryBatchSchema, json, maxPayloadBytes, acceptTelemetryBatch);
  if (batch.edgeId !== edgeId) {
    throw new GridlinkError(
      'GL_EDGE_MISMATCH',
      `payload edgeId ${batch.edgeId} on the topic of ${edgeId}`,
    );
  }
  return toDecodedBatch(batch);
}
