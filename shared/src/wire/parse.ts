import type { z } from 'zod';
import { GridlinkError } from '../errors/gridlink-error.js';
import { formatZodIssues } from '../errors/zod-issues.js';

/**
 * Decodes a wire payload: size limit, JSON, schema — in that order, each with its own code.
 * Never returns a partly valid value.
 */
export function parseJsonPayload<S extends z.ZodType>(
  schema: S,
  payload: Uint8Array | string,
  maxBytes: number,
): z.infer<S> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) {
    throw new GridlinkError(
      'GL_PAYLOAD_TOO_LARGE',
      `payload is ${size} bytes, limit is ${maxBytes}`,
    );
  }
  const json = parseJsonText(
    typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'),
    'payload is not JSON',
  );
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
