import { describe, expect, it } from 'vitest';
import { formatTally, fuzzTelemetry, JSON_MUTATIONS, TELEMETRY_CLASSES } from '../fuzz/index.js';

const SEED = Number(process.env.GRIDLINK_FUZZ_SEED ?? 1);

/**
 * Issue 14, fuzz target 2: an authenticated edge publishes mutated versions of valid telemetry
 * batches on its own topic. Every batch gets an ack or a logged refusal with a catalog code,
 * every reading stored for it passes the schema and the central's window and is what the
 * payload said, and a second, well-behaved edge keeps delivering. Both stores: their row paths
 * differ (COPY and jsonb on PGlite and PostgreSQL).
 */
describe.each([
  ['pglite', 500],
  ['postgres', 300],
] as const)('fuzz: mutated telemetry batches (%s)', (store, cases) => {
  it(`${cases} batches: acked or refused with a code, nothing invalid stored, the other edge served`, async () => {
    const r = await fuzzTelemetry({ seed: SEED, cases, store });
    console.info(
      `fuzz telemetry ${store} seed ${SEED}: ${formatTally(r.verdicts)}; stored ${r.storedFuzz}; log ${formatTally(r.logCodes)}`,
    );
    expect(r.failures.count, r.failures.format()).toBe(0);
    expect(r.cases).toBe(cases);
    for (const k of TELEMETRY_CLASSES) expect([k, r.classes[k] ?? 0]).not.toEqual([k, 0]);
    for (const m of JSON_MUTATIONS) expect([m, r.mutations[m] ?? 0]).not.toEqual([m, 0]);
    // Both verdicts, many times: some stored (valid cases), some refused whole.
    const verdicts = Object.entries(r.verdicts);
    const acked = verdicts.filter(([k]) => k.endsWith(':acked')).reduce((s, [, n]) => s + n, 0);
    expect(acked).toBeGreaterThan(cases / 10);
    expect(cases - acked).toBeGreaterThan(cases / 10);
    expect(r.verdicts['valid:acked']).toBe(r.classes.valid);
    expect(r.storedFuzz).toBeGreaterThan(0);
    expect(r.wellBehaved.disconnects).toBe(0);
    expect(r.wellBehaved.committed).toBeGreaterThan(0);
  }, 240_000);
});
