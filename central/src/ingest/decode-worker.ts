/**
 * The ingest's decode thread: inflates, parses and validates telemetry payloads off the thread
 * that runs the broker. One request, one response, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isGridlinkError, type ReadingWindow } from '@gridlink/shared';
import type { DecodeRequest, DecodeResponse } from './batch-decoder.js';
import { KnownIds } from './copy-rows.js';
import { decodeTelemetry } from './decoded-batch.js';

const { maxPayloadBytes, window } = workerData as {
  maxPayloadBytes: number;
  window: ReadingWindow;
};
const port = parentPort;
if (!port) throw new Error('decode-worker runs as a worker thread');

const ids = new KnownIds();

port.on('message', (request: DecodeRequest) => {
  if (request.type === 'learn') {
    ids.learn(request.ids);
    return;
  }
  const { id, edgeId, payload, nowMs } = request;
  let response: DecodeResponse;
  try {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const batch = decodeTelemetry(edgeId, bytes, maxPayloadBytes, {
      ids,
      check: { window, nowMs },
    });
    const rows = batch.rows.kind === 'copy' ? batch.rows.text : batch.rows.doc;
    // The rows have a buffer of their own: moved to the main thread, not copied.
    port.postMessage({ id, ok: true, batch } satisfies DecodeResponse, [
      rows.buffer as ArrayBuffer,
    ]);
    return;
  } catch (err) {
    response = {
      id,
      ok: false,
      code: isGridlinkError(err) ? err.code : 'GL_INTERNAL',
      message: (err as Error).message,
    };
  }
  port.postMessage(response);
});
