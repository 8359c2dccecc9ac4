import {
  checkReading,
  formatZodIssues,
  GridlinkError,
  type Reading,
  type ReadingWindow,
  type TelemetryBatch,
  telemetryEnvelopeSchema,
} from '@gridlink/shared';
import { type QuarantinedReading, quarantinedReading } from './quarantined-reading.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** When readings are checked: against this window, at this time of the central's clock. */
export interface ReadingCheck {
  window: ReadingWindow;
  nowMs: number;
}

/** A batch split by the reading check: the readings to store, and those set aside. */
export interface CheckedBatch {
  /** The envelope with only the valid readings (so `readings.length` may be short of the range). */
  batch: TelemetryBatch;
  quarantine: QuarantinedReading[];
}

/** Every reading's time inside the window (the readings already passed the wire schema). */
export function allInWindow(readings: readonly Reading[], check: ReadingCheck): boolean {
  const lo = check.window.notBeforeMs;
  const hi = check.nowMs + check.window.maxFutureSkewMs;
  for (const r of readings) if (r.ts < lo || r.ts > hi) return false;
  return true;
}

/**
 * Validates the envelope of parsed JSON (`telemetryEnvelopeSchema`: the batch's fields and seq
 * rules, shared with the wire's batch schema) and checks each reading: the valid ones are kept
 * (re-encoded from the validated values, unknown keys stripped), the others become quarantine
 * entries under their position's seq.
 *
 * An envelope that fails is refused whole (GL_PAYLOAD_SCHEMA), as every batch used to be: without
 * a valid edge, epoch and seq range the central cannot tell which readings the batch holds. A
 * reading whose `seq` is a number must carry its position's seq (firstSeq + index): a batch that
 * numbers its readings otherwise is inconsistent and is refused. A reading without a usable seq
 * (missing, not a number, not an object) is still the seq of its position, and quarantined.
 */
export function checkTelemetry(json: unknown, check: ReadingCheck): CheckedBatch {
  const parsed = telemetryEnvelopeSchema.safeParse(json);
  if (!parsed.success) throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(parsed.error));
  const envelope = parsed.data;
  const readings: Reading[] = [];
  const quarantine: QuarantinedReading[] = [];
  envelope.readings.forEach((raw, i) => {
    const seq = envelope.firstSeq + i;
    const verdict = checkReading(raw, check.window, check.nowMs);
    if (!verdict.ok) {
      quarantine.push(quarantinedReading(seq, raw, verdict, check.nowMs));
      return;
    }
    if (!isObject(raw) || raw.seq !== seq) {
      const got =
        !isObject(raw) || !('seq' in raw) ? 'none' : raw.seq === null ? 'null' : typeof raw.seq;
      const message = `readings.${i}.seq: must be ${seq} (got ${got})`;
      quarantine.push(quarantinedReading(seq, raw, { reason: 'schema', message }, check.nowMs));
      return;
    }
    const { deviceId, ts, quality, values } = verdict.reading;
    readings.push({ seq, deviceId, ts, quality, values });
  });
  return { batch: { ...envelope, readings }, quarantine };
}
