/**
 * Seed C's wire format (docs/LEGACY-SEED-C.md, "Protocol"): one JSON envelope per line,
 * `{type, data, status: {code, message}, timestamp}`, in both directions.
 */

export const SEED_C_TYPES = [
  'START',
  'LOGIN',
  'NAVIGATION',
  'SELECTION_STATION',
  'PAYMENT',
  'AUTH',
] as const;
export type SeedCType = (typeof SEED_C_TYPES)[number];

/** What answers a request: an HTTP-like status code, a message and the data. */
export interface SeedCReply {
  code: number;
  message: string;
  data: Record<string, unknown> | null;
}

export interface SeedCEnvelope {
  type: string;
  data: unknown;
  status: { code: number; message: string };
  timestamp: string;
}

export type ParsedLine =
  | { ok: true; type: SeedCType; data: Record<string, unknown> }
  | { ok: false; type: string; reply: SeedCReply };

const ENVELOPE_KEYS = ['type', 'data', 'status', 'timestamp'] as const;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const fail = (code: number, message: string): SeedCReply => ({ code, message, data: null });

/**
 * A request line: invalid JSON or a non-object -> 400, a missing envelope key -> 400 naming it,
 * an unknown type -> 404. `data` must be an object (400 otherwise). `status` and `timestamp` are
 * required (the seed's envelope) but not read: a request has no status of its own.
 */
export function parseLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, type: 'ERROR', reply: fail(400, 'invalid JSON') };
  }
  if (!isObject(value))
    return { ok: false, type: 'ERROR', reply: fail(400, 'the envelope must be a JSON object') };
  const type = typeof value.type === 'string' ? value.type.slice(0, 64) : 'ERROR';
  const missing = ENVELOPE_KEYS.filter((k) => !(k in value));
  if (missing.length)
    return { ok: false, type, reply: fail(400, `missing envelope key(s): ${missing.join(', ')}`) };
  if (typeof value.type !== 'string')
    return { ok: false, type, reply: fail(400, 'type must be a string') };
  if (!(SEED_C_TYPES as readonly string[]).includes(value.type))
    return { ok: false, type, reply: fail(404, `unknown type: ${type}`) };
  if (!isObject(value.data)) return { ok: false, type, reply: fail(400, 'data must be an object') };
  return { ok: true, type: value.type as SeedCType, data: value.data };
}

/** The answer envelope as one line (the request's type; ERROR when it had none). */
export function formatReply(type: string, reply: SeedCReply, at: Date): string {
  const envelope: SeedCEnvelope = {
    type,
    data: reply.data,
    status: { code: reply.code, message: reply.message },
    timestamp: at.toISOString(),
  };
  return `${JSON.stringify(envelope)}\n`;
}
