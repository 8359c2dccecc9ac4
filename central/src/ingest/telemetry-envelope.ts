import {
  checkReading,
  epochSchema,
  formatZodIssues,
  GridlinkError,
  idSchema,
  MAX_BATCH_READINGS,
  type Reading,
  type ReadingWindow,
  type TelemetryBatch,
} from '@gridlink/shared';
import { z } from 'zod';
import { type QuarantinedReading, quarantinedReading } from './quarantined-reading.js';

const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A telemetry batch's envelope: everything but the readings' contents. An envelope that fails
 * this is refused whole (GL_PAYLOAD_SCHEMA), as every batch used to be: without a valid edge,
 * epoch and seq range the central cannot tell which readings the batch holds. Each reading is
 * then checked on its own (`checkReading`) and the invalid ones are set aside under their seq.
 * A reading whose `seq` is a number must carry its position's seq (firstSeq + index): a batch
 * that numbers its readings otherwise is inconsistent and is refused. A reading without a usable
 * seq (missing, not a number, not an object) is still the seq of its position, and quarantined.
 */
export const telemetryEnvelopeSchema = z
  .object({
    edgeId: idSchema,
    epoch: epochSchema,
    firstSeq: seqSchema,
    lastSeq: seqSchema,
    dropped: z.number().int().min(0),
    droppedUpTo: z.number().int().min(0).default(0),
    readings: z.array(z.unknown()).min(1).max(MAX_BATCH_READINGS),
  })
  .superRefine((batch, ctx) => {
    if (batch.lastSeq !== batch.firstSeq + batch.readings.length - 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['lastSeq'],
        message: `must equal firstSeq + readings.length - 1 (${batch.firstSeq + batch.readings.length - 1})`,
      });
    }
    batch.readings.forEach((r, i) => {
      if (isObject(r) && typeof r.seq === 'number' && r.seq !== batch.firstSeq + i) {
        ctx.addIssue({
          code: 'custom',
          path: ['readings', i, 'seq'],
          message: `must be ${batch.firstSeq + i}`,
        });
      }
    });
  });

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
 * Validates the envelope of parsed JSON (throws GL_PAYLOAD_SCHEMA) and checks each reading:
 * the valid ones are kept (re-encoded from the validated values, unknown keys stripped), the
 * others become quarantine entries under their position's seq.
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
