import { gunzipSync, gzipSync } from 'node:zlib';
import { GridlinkError } from '../errors/gridlink-error.js';

/**
 * Optional compression of a telemetry payload (docs/WIRE.md, "Compression"). A compressed payload
 * is one gzip member (RFC 1952) whose content is the JSON batch; its first two bytes, the gzip
 * magic 1f 8b, are the declaration: JSON text never starts with them (it starts with `{`).
 */
const GZIP_ID1 = 0x1f;
const GZIP_ID2 = 0x8b;

/** How an uplink may encode its batches. */
export type PayloadCompression = 'none' | 'gzip';

export function isGzipPayload(payload: Uint8Array): boolean {
  return payload.length >= 2 && payload[0] === GZIP_ID1 && payload[1] === GZIP_ID2;
}

/**
 * The payload to publish: gzip when that is smaller than the JSON itself, otherwise the JSON
 * unchanged. Level 1, the fastest: a batch of meter readings still shrinks more than 4×.
 */
export function compressIfSmaller(json: string | Buffer): {
  payload: Buffer | string;
  compressed: boolean;
} {
  const gz = gzipSync(json, { level: 1 });
  return gz.length < Buffer.byteLength(json)
    ? { payload: gz, compressed: true }
    : { payload: json, compressed: false };
}

/**
 * The JSON bytes of a received payload: a gzip payload is inflated, never beyond `maxBytes` (a
 * decompression bomb stops there); anything else is returned as it is. Throws
 * GL_PAYLOAD_TOO_LARGE or GL_PAYLOAD_ENCODING.
 */
export function decodePayload(payload: Buffer, maxBytes: number): Buffer {
  if (!isGzipPayload(payload)) return payload;
  if (payload.length > maxBytes)
    throw new GridlinkError(
      'GL_PAYLOAD_TOO_LARGE',
      `payload is ${payload.length} bytes, limit is ${maxBytes}`,
    );
  try {
    return gunzipSync(payload, { maxOutputLength: maxBytes });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE')
      throw new GridlinkError(
        'GL_PAYLOAD_TOO_LARGE',
        `gzip payload inflates beyond the limit of ${maxBytes} bytes`,
      );
    throw new GridlinkError(
      'GL_PAYLOAD_ENCODING',
      `gzip payload does not inflate: ${e.message ?? String(err)}`,
    );
  }
}
