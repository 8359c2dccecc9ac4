import {
  acceptTelemetryBatch,
  DEFAULT_CENTRAL_WINDOW,
  decodePayload,
  GridlinkError,
  parseJsonText,
  systemClock,
  type TelemetryBatch,
} from '@gridlink/shared';
import type { DecodedBatch } from './batch-shape.js';
import { canonicalCopyRows } from './canonical-rows.js';
import { copyRows, type KnownIds } from './copy-rows.js';
import { jsonbDocument } from './jsonb-document.js';
import type { QuarantinedReading } from './quarantined-reading.js';
import { allInWindow, checkTelemetry, type ReadingCheck } from './telemetry-envelope.js';

export type { BatchRows, DecodedBatch } from './batch-shape.js';

/**
 * With `ids` (the decode worker's), the rows are COPY rows when every id is known. `batch` holds
 * the valid readings; `quarantine` the others of its seq range.
 */
export function toDecodedBatch(
  batch: TelemetryBatch,
  ids?: KnownIds,
  quarantine: QuarantinedReading[] = [],
): DecodedBatch {
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
    quarantine,
  };
}

/** How a payload is decoded: with the decode worker's ids, and the reading check. */
export interface DecodeOptions {
  ids?: KnownIds;
  /** Default: DEFAULT_CENTRAL_WINDOW at the system clock's now. */
  check?: ReadingCheck;
}

/**
 * A telemetry payload as received on `gl/v1/edges/{edgeId}/telemetry`: inflated when gzip,
 * parsed, its envelope validated and checked against the topic's edge, each reading checked
 * (schema, finite values, time window). Throws a GridlinkError with the code when the payload or
 * its envelope is bad; invalid readings of a valid envelope come back in `quarantine`.
 * A batch in the edge's canonical form, all in the window, whose stream and meters `ids` knows is
 * read straight into COPY rows (canonical-rows.ts); every other payload takes the full path.
 */
export function decodeTelemetry(
  edgeId: string,
  payload: Buffer,
  maxPayloadBytes: number,
  options: DecodeOptions = {},
): DecodedBatch {
  const { ids } = options;
  const check = options.check ?? { window: DEFAULT_CENTRAL_WINDOW, nowMs: systemClock.now() };
  // A gzip payload (the edge's optional compression) inflates to the JSON, within the limit.
  const json = decodePayload(payload, maxPayloadBytes);
  if (ids && json.byteLength <= maxPayloadBytes) {
    const rows = canonicalCopyRows(edgeId, json, ids, check);
    if (rows) return rows;
  }
  return parseTelemetry(edgeId, json, maxPayloadBytes, { ids, check });
}

/**
 * The full path: JSON.parse; a batch the hand-written check accepts whole and whose times are all
 * in the window is taken as it is; any other goes through the envelope schema and the reading
 * check one reading at a time. The rows are re-encoded from the validated values.
 */
export function parseTelemetry(
  edgeId: string,
  json: Buffer,
  maxPayloadBytes: number,
  options: DecodeOptions = {},
): DecodedBatch {
  const { ids } = options;
  const check = options.check ?? { window: DEFAULT_CENTRAL_WINDOW, nowMs: systemClock.now() };
  if (json.byteLength > maxPayloadBytes)
    throw new GridlinkError(
      'GL_PAYLOAD_TOO_LARGE',
      `payload is ${json.byteLength} bytes, limit is ${maxPayloadBytes}`,
    );
  const parsed = parseJsonText(json.toString('utf8'), 'payload is not JSON');
  const { batch, quarantine } =
    acceptTelemetryBatch(parsed) && allInWindow(parsed.readings, check)
      ? { batch: parsed, quarantine: [] }
      : checkTelemetry(parsed, check);
  if (batch.edgeId !== edgeId) {
    throw new GridlinkError(
      'GL_EDGE_MISMATCH',
      `payload edgeId ${batch.edgeId} on the topic of ${edgeId}`,
    );
  }
  return toDecodedBatch(batch, ids, quarantine);
}
