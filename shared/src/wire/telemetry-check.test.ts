import { describe, expect, it } from 'vitest';
import { parseJsonPayload } from './parse.js';
import { telemetryBatchSchema } from './telemetry.js';
import { acceptTelemetryBatch } from './telemetry-check.js';

const batch = (firstSeq = 5, n = 3): Record<string, unknown> => ({
  edgeId: 'edge-1',
  epoch: 'ep0000001',
  firstSeq,
  lastSeq: firstSeq + n - 1,
  dropped: 2,
  droppedUpTo: 1,
  readings: Array.from({ length: n }, (_, i) => ({
    seq: firstSeq + i,
    deviceId: `m${i % 2}`,
    ts: 1_700_000_000_000 + i,
    quality: i === 1 ? 'uncertain' : 'good',
    values: { voltage_l1: 230.1 + i, energy_import: 12 },
  })),
});

/** Deterministic PRNG so a failure names its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const oddValues: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  '',
  'x',
  'a/b',
  '_x',
  'Ab',
  'bad',
  'good',
  'ep-short',
  'e'.repeat(65),
  [],
  {},
  true,
  '1',
  1e308,
  -0,
];

/** One random edit somewhere in the batch: replace, delete or add a key, or resize the readings. */
function mutate(b: Record<string, unknown>, next: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const readings = Array.isArray(b.readings) ? (b.readings as unknown[]) : [];
  const objects = readings.filter(isObj);
  const reading = objects.length > 0 ? pick(objects) : b;
  const target = pick([b, reading, isObj(reading.values) ? reading.values : b]);
  const key = pick([...Object.keys(target), 'extra', '__proto__', 'Bad-Name', 'ok_name']);
  const op = next();
  if (op < 0.5) target[key] = pick(oddValues);
  else if (op < 0.7) delete target[key];
  else if (op < 0.8) target[key] = 230.5;
  else if (op < 0.9) readings.pop();
  else b.firstSeq = pick([4, 6, 0, 5]);
}

describe('acceptTelemetryBatch (the ingest fast path)', () => {
  it('passes a well-formed batch through as the same object, without the schema copy', () => {
    const b = batch();
    const json = JSON.stringify(b);
    const parsed = parseJsonPayload(telemetryBatchSchema, json, 1e6, acceptTelemetryBatch);
    expect(parsed).toEqual(telemetryBatchSchema.parse(JSON.parse(json)));
    const input = JSON.parse(json);
    expect(acceptTelemetryBatch(input)).toBe(true);
  });

  it('fills a missing droppedUpTo with the default, as the schema does', () => {
    const b = batch();
    delete b.droppedUpTo;
    const viaSchema = telemetryBatchSchema.parse(structuredClone(b));
    expect(acceptTelemetryBatch(b)).toBe(true);
    expect(b).toEqual(viaSchema);
  });

  it('never accepts what the schema rejects or would change (20,000 mutated batches)', () => {
    let accepted = 0;
    let rejected = 0;
    for (let seed = 1; seed <= 20_000; seed++) {
      const next = rng(seed);
      const b = batch(5, 1 + Math.floor(next() * 3));
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) mutate(b, next);
      const wire = JSON.parse(JSON.stringify(b)); // what JSON can carry
      const viaSchema = telemetryBatchSchema.safeParse(structuredClone(wire));
      if (acceptTelemetryBatch(wire)) {
        accepted++;
        expect(viaSchema.success, `seed ${seed}`).toBe(true);
        expect(wire, `seed ${seed}`).toEqual(viaSchema.data);
      } else rejected++;
    }
    // Both branches are exercised, so the comparison means something.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('leaves the error message to the schema', () => {
    const b = batch();
    (b.readings as Array<Record<string, unknown>>)[1] = { seq: 7 };
    expect(() =>
      parseJsonPayload(telemetryBatchSchema, JSON.stringify(b), 1e6, acceptTelemetryBatch),
    ).toThrow(/readings\.1/);
  });
});
