import { formatZodIssues } from '../errors/zod-issues.js';
import { type Reading, readingSchema } from './telemetry.js';
import { isReadingBody } from './telemetry-check.js';

/** A reading as a device produces it: everything but the log's `seq`. */
export type ReadingBody = Omit<Reading, 'seq'>;
const readingBodySchema = readingSchema.omit({ seq: true });

/**
 * The plausibility window a reading's time must fall in (docs/WIRE.md, "Valid readings").
 * The edge checks it against its own clock where a reading is born; the central checks it again
 * at ingest (with a wider skew, since edge clocks drift) and quarantines what falls outside.
 */
export interface ReadingWindow {
  /** Earliest plausible time, epoch ms (default 2000-01-01T00:00:00Z). */
  notBeforeMs: number;
  /** How far past the checking side's clock a reading may be, ms. */
  maxFutureSkewMs: number;
}

/** 2000-01-01T00:00:00Z: no meter GridLink reads was installed before it. */
export const DEFAULT_NOT_BEFORE_MS = Date.UTC(2000, 0, 1);
/** Edge default: a meter's clock may run 5 minutes ahead of the edge's. */
export const EDGE_FUTURE_SKEW_MS = 5 * 60_000;
/** Central default: an edge's clock may run an hour ahead of the central's. */
export const CENTRAL_FUTURE_SKEW_MS = 60 * 60_000;

export const DEFAULT_EDGE_WINDOW: ReadingWindow = Object.freeze({
  notBeforeMs: DEFAULT_NOT_BEFORE_MS,
  maxFutureSkewMs: EDGE_FUTURE_SKEW_MS,
});
export const DEFAULT_CENTRAL_WINDOW: ReadingWindow = Object.freeze({
  notBeforeMs: DEFAULT_NOT_BEFORE_MS,
  maxFutureSkewMs: CENTRAL_FUTURE_SKEW_MS,
});

/** Why a reading was turned down; stable, used as a metric label and in the quarantine table. */
export type ReadingRejection =
  | 'schema'
  | 'time_before_window'
  | 'time_after_window'
  | 'value_not_finite';

export type ReadingVerdict =
  | { ok: true; reading: ReadingBody }
  | { ok: false; reason: ReadingRejection; message: string };

/**
 * Checks one reading: the shared wire schema (all but `seq`, which the log assigns and the
 * batch envelope checks), finite values, and its time inside `window` relative to `nowMs`. Pure;
 * the caller decides what a rejection means (the edge drops and counts it, the central
 * quarantines it). `reading` is what arrived, of any shape. A well-formed reading is returned as
 * it is (no copy: this runs once per reading on the edge's hot path); anything else goes through
 * the schema, which strips unknown keys or says precisely what is wrong.
 */
export function checkReading(
  reading: unknown,
  window: ReadingWindow,
  nowMs: number,
): ReadingVerdict {
  let body: ReadingBody;
  if (isPlainReading(reading)) body = reading;
  else {
    const finite = firstNonFinite(reading);
    if (finite) return { ok: false, reason: 'value_not_finite', message: finite };
    const parsed = readingBodySchema.safeParse(reading);
    if (!parsed.success)
      return { ok: false, reason: 'schema', message: formatZodIssues(parsed.error) };
    body = parsed.data;
  }
  const { ts } = body;
  if (ts < window.notBeforeMs)
    return {
      ok: false,
      reason: 'time_before_window',
      message: `ts ${isoOrNumber(ts)} is before ${isoOrNumber(window.notBeforeMs)}`,
    };
  if (ts > nowMs + window.maxFutureSkewMs)
    return {
      ok: false,
      reason: 'time_after_window',
      message: `ts ${isoOrNumber(ts)} is more than ${window.maxFutureSkewMs} ms past the clock (${isoOrNumber(nowMs)})`,
    };
  return { ok: true, reading: body };
}

const READING_KEYS = new Set(['seq', 'deviceId', 'ts', 'quality', 'values']);

/** True only for what `readingBodySchema` would return unchanged (no key to strip). */
function isPlainReading(r: unknown): r is ReadingBody {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  if (!isReadingBody(o)) return false;
  // A `seq`, when present, is the envelope's business and is left as it is.
  for (const key in o) if (!READING_KEYS.has(key)) return false;
  return true;
}

function firstNonFinite(reading: unknown): string | undefined {
  if (reading === null || typeof reading !== 'object' || !('values' in reading)) return undefined;
  const values = (reading as { values: unknown }).values;
  if (values === null || typeof values !== 'object') return undefined;
  for (const [name, v] of Object.entries(values))
    if (typeof v === 'number' && !Number.isFinite(v)) return `values.${name} is ${v}`;
  return undefined;
}

function isoOrNumber(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
