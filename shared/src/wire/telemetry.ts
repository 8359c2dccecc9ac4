import { z } from 'zod';
import { idSchema } from '../topics/index.js';

/** A value name inside a reading: the profile field name, e.g. `voltage_l1`. */
export const VALUE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const valueNameSchema = z
  .string()
  .regex(VALUE_NAME_PATTERN, 'must be snake_case, 1-64 chars');

const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/**
 * A reading's values: value name → number. zod's record skips an own `__proto__` key without
 * checking it (so that the key cannot replace the output's prototype), which let
 * `{"__proto__": true}` through with the value silently dropped. Here it fails the name pattern
 * like any other bad name.
 */
const valuesSchema = z.preprocess(
  (input, ctx) => {
    if (input !== null && typeof input === 'object' && Object.hasOwn(input, '__proto__'))
      ctx.addIssue({
        code: 'custom',
        path: ['__proto__'],
        message: 'must be snake_case, 1-64 chars',
        input,
      });
    return input;
  },
  z.record(valueNameSchema, z.number()),
);

/** The last instant a reading may carry: 9999-12-31T23:59:59.999Z (four-digit years only). */
export const MAX_READING_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * One poll of one device. `quality`: good = every field read; uncertain = some blocks failed
 * (the values present are real); bad = nothing usable (carries no values).
 */
export const readingSchema = z.object({
  seq: seqSchema,
  deviceId: idSchema,
  ts: z.number().int().min(0).max(MAX_READING_TS),
  quality: z.enum(['good', 'uncertain', 'bad']),
  values: valuesSchema,
});
export type Reading = z.infer<typeof readingSchema>;

/** An epoch names one instance of an edge log; a wiped store gets a new one. */
export const EPOCH_PATTERN = /^[A-Za-z0-9-]{8,64}$/;
export const epochSchema = z.string().regex(EPOCH_PATTERN, 'must be 8-64 of A-Z a-z 0-9 -');

export const MAX_BATCH_READINGS = 5000;

/** The fields of a telemetry batch besides its readings. */
const envelopeShape = {
  edgeId: idSchema,
  epoch: epochSchema,
  firstSeq: seqSchema,
  lastSeq: seqSchema,
  dropped: z.number().int().min(0),
  droppedUpTo: z.number().int().min(0).default(0),
};

/**
 * The seq rules of a batch: `lastSeq` is `firstSeq + readings.length - 1`, and a reading whose
 * `seq` is a number carries its position's seq (`firstSeq + index`). A reading without a numeric
 * seq is left to the reading's own schema.
 */
function checkSeqs(
  batch: { firstSeq: number; lastSeq: number; readings: readonly unknown[] },
  ctx: z.RefinementCtx,
): void {
  if (batch.lastSeq !== batch.firstSeq + batch.readings.length - 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['lastSeq'],
      message: `must equal firstSeq + readings.length - 1 (${batch.firstSeq + batch.readings.length - 1})`,
    });
  }
  batch.readings.forEach((r, i) => {
    const seq = typeof r === 'object' && r !== null && 'seq' in r ? r.seq : undefined;
    if (typeof seq === 'number' && seq !== batch.firstSeq + i) {
      ctx.addIssue({
        code: 'custom',
        path: ['readings', i, 'seq'],
        message: `must be ${batch.firstSeq + i}`,
      });
    }
  });
}

/**
 * `gl/v1/edges/{edgeId}/telemetry`, MQTT QoS 1. Readings carry consecutive seqs firstSeq..lastSeq.
 * `dropped`: readings this epoch's log dropped unsent (cumulative). `droppedUpTo`: the highest seq
 * it dropped (0 when none): a gap at the central below it is accounted for, any other gap is not.
 */
export const telemetryBatchSchema = z
  .object({
    ...envelopeShape,
    readings: z.array(readingSchema).min(1).max(MAX_BATCH_READINGS),
  })
  .superRefine(checkSeqs);
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;

/**
 * A telemetry batch's envelope: the batch with each reading left unchecked (any JSON value), under
 * the same seq rules. A receiver that checks readings one by one (the central's ingest sets the
 * invalid ones aside) validates this first: without a valid edge, epoch and seq range it cannot
 * tell which readings the batch holds.
 */
export const telemetryEnvelopeSchema = z
  .object({
    ...envelopeShape,
    readings: z.array(z.unknown()).min(1).max(MAX_BATCH_READINGS),
  })
  .superRefine(checkSeqs);
export type TelemetryEnvelope = z.infer<typeof telemetryEnvelopeSchema>;

/** `gl/v1/edges/{edgeId}/ack`: everything up to `upTo` in `epoch` is stored at the central. */
export const ackSchema = z.object({
  epoch: epochSchema,
  upTo: z.number().int().min(0),
});
export type Ack = z.infer<typeof ackSchema>;
