import { describe, expect, it } from 'vitest';
import { formatTally, fuzzHttpApi, HTTP_CLASSES } from '../fuzz/index.js';

const SEED = Number(process.env.GRIDLINK_FUZZ_SEED ?? 1);

/**
 * Issue 14, fuzz target 4: every operation of the central's /openapi.json, with inputs made
 * from its schemas and damaged, as admin against the real HTTP server: never a 5xx, every error
 * a documented status with a catalog code, a second client served throughout.
 */
describe('fuzz: HTTP API from its OpenAPI document', () => {
  it('1,200 requests: no 5xx, every error documented with a catalog code, the other client served', async () => {
    const r = await fuzzHttpApi({ seed: SEED, cases: 1200 });
    console.info(
      `fuzz http seed ${SEED}: ${r.operations} operations; statuses ${formatTally(r.statuses)}; codes ${formatTally(r.codes)}`,
    );
    expect(r.failures.count, r.failures.format()).toBe(0);
    // Every operation that takes a body documents 413 and 415 (policyRoute adds them), and the
    // fuzz sends both: they are answered as documented, not tolerated.
    expect(r.tolerated).toEqual({});
    expect(r.statuses['413'] ?? 0).toBeGreaterThan(0);
    expect(r.statuses['415'] ?? 0).toBeGreaterThan(0);
    for (const k of HTTP_CLASSES) expect([k, r.classes[k] ?? 0]).not.toEqual([k, 0]);
    expect(r.operations).toBeGreaterThan(20);
    // Valid requests reach most operations; damaged ones are refused.
    expect(r.reached2xx).toBeGreaterThan(r.operations / 2);
    expect(r.statuses['400']).toBeGreaterThan(0);
    expect(r.statuses['404']).toBeGreaterThan(0);
    expect(r.wellBehavedRequests).toBeGreaterThan(50);
  }, 180_000);
});
