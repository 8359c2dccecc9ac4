import { ID_PATTERN as ID } from '../topics/index.js';
import {
  EPOCH_PATTERN as EPOCH,
  MAX_BATCH_READINGS,
  MAX_READING_TS,
  type TelemetryBatch,
  VALUE_NAME_PATTERN as VALUE_NAME,
} from './telemetry.js';

// The schemas' own patterns (idSchema, epochSchema, valueNameSchema), so the two cannot drift.
const BATCH_KEYS = 7;
const READING_KEYS = 5;

const isId = (v: unknown): boolean => typeof v === 'string' && ID.test(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function ownKeyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/**
 * A reading's fields besides `seq` as the schema would return them unchanged: an id, a time in
 * the schema's range, a quality, and finite numbers under value names. Unknown keys are the
 * caller's to judge (the batch check here, `checkReading` in reading-window.ts).
 */
export function isReadingBody(r: Record<string, unknown>): boolean {
  if (!isId(r.deviceId) || !isCount(r.ts) || r.ts > MAX_READING_TS) return false;
  if (r.quality !== 'good' && r.quality !== 'uncertain' && r.quality !== 'bad') return false;
  const values = r.values;
  if (!isObject(values)) return false;
  for (const name in values) {
    const v = values[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !VALUE_NAME.test(name)) return false;
  }
  return true;
}

function isReading(r: unknown, seq: number): boolean {
  if (!isObject(r) || r.seq !== seq || !isReadingBody(r)) return false;
  // The five known fields are present, so any further key is one the schema would strip.
  return ownKeyCount(r) === READING_KEYS;
}

/**
 * The ingest's hot path: a hand-written check that accepts a parsed telemetry batch only when
 * `telemetryBatchSchema` would accept it and return it unchanged (no unknown keys to strip; a
 * missing `droppedUpTo` is filled with its default 0 here). Anything else returns false and
 * goes to the schema, which gives the precise error. It never accepts what the schema rejects
 * (telemetry-check.test.ts compares the two on mutated batches); it saves the schema's copy of
 * every reading.
 */
export function acceptTelemetryBatch(v: unknown): v is TelemetryBatch {
  if (!isObject(v)) return false;
  const { firstSeq, lastSeq, readings } = v;
  if (!isId(v.edgeId) || typeof v.epoch !== 'string' || !EPOCH.test(v.epoch)) return false;
  if (!isSeq(firstSeq) || !isSeq(lastSeq) || !isCount(v.dropped)) return false;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > MAX_BATCH_READINGS)
    return false;
  if (lastSeq !== firstSeq + readings.length - 1) return false;
  for (let i = 0; i < readings.length; i++) if (!isReading(readings[i], firstSeq + i)) return false;
  const keys = ownKeyCount(v);
  if (v.droppedUpTo === undefined) {
    if ('droppedUpTo' in v || keys !== BATCH_KEYS - 1) return false;
    v.droppedUpTo = 0;
    return true;
  }
  return isCount(v.droppedUpTo) && keys === BATCH_KEYS;
}
