import type { z } from 'zod';
import { GridlinkError } from '../errors/gridlink-error.js';
import { formatZodIssues } from '../errors/zod-issues.js';

/**
 * Decodes a wire payload: size limit, JSON, schema — in that order, each with its own code.
 * Never returns a partly valid value. `accept`, for hot paths, is a cheaper check that may pass
 * the parsed JSON as it is; it must accept only what `schema` would return unchanged (the
 * schema still decides, with its message, whatever `accept` turns down).
 */
export function parseJsonPayload<S extends z.ZodType>(
  schema: S,
  payload: Uint8Array | string,
  maxBytes: number,
  accept?: (json: unknown) => json is z.infer<S>,
): z.infer<S> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) {
    throw new GridlinkError(
      'GL_PAYLOAD_TOO_LARGE',
      `payload is ${size} bytes, limit is ${maxBytes}`,
    );
  }
  const json = parseJsonText(
    typeof payload === 'string' ? payload : utf8(payload),
    'payload is not JSON',
  );
  if (accept?.(json)) return json;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(parsed.error));
  }
  return parsed.data;
}

/**
 * JSON.parse with the catalog's error: GL_PAYLOAD_INVALID_JSON, the message `context` followed by
 * the parser's reason (e.g. `datagram is not JSON: Unexpected token …`).
 */
export function parseJsonText(text: string, context: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GridlinkError('GL_PAYLOAD_INVALID_JSON', `${context}: ${(err as Error).message}`);
  }
}

/** Decodes without copying the bytes first (Buffer.from(uint8Array) would). */
function utf8(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes)
    ? bytes.toString('utf8')
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
