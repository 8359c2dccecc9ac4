import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../errors/index.js';
import { parseJsonPayload } from './parse.js';
import { readingSchema, telemetryBatchSchema } from './telemetry.js';

const reading = (seq: number) => ({
  seq,
  deviceId: 'm1',
  ts: 1_700_000_000_000,
  quality: 'good',
  values: { voltage_l1: 230.1 },
});
const batch = (over: Record<string, unknown> = {}) => ({
  edgeId: 'edge-1',
  epoch: 'ep0000001',
  firstSeq: 5,
  lastSeq: 6,
  dropped: 0,
  readings: [reading(5), reading(6)],
  ...over,
});

describe('telemetry batch', () => {
  it('accepts a contiguous batch and defaults droppedUpTo', () => {
    expect(telemetryBatchSchema.parse(batch()).droppedUpTo).toBe(0);
  });

  it('rejects seqs that are not firstSeq..lastSeq', () => {
    const r = telemetryBatchSchema.safeParse(batch({ readings: [reading(5), reading(7)] }));
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('must be 6');
    expect(telemetryBatchSchema.safeParse(batch({ lastSeq: 9 })).success).toBe(false);
  });

  it('gives each failure its own code', () => {
    const code = (payload: string, max = 10_000) => {
      try {
        parseJsonPayload(telemetryBatchSchema, payload, max);
        return 'ok';
      } catch (err) {
        return isGridlinkError(err) ? err.code : 'thrown';
      }
    };
    expect(code(JSON.stringify(batch()))).toBe('ok');
    expect(code('{"edgeId":')).toBe('GL_PAYLOAD_INVALID_JSON');
    expect(code(JSON.stringify(batch({ dropped: -1 })))).toBe('GL_PAYLOAD_SCHEMA');
    expect(
      code(
        JSON.stringify(batch({ readings: [{ ...reading(5), values: { v: 'x' } }, reading(6)] })),
      ),
    ).toBe('GL_PAYLOAD_SCHEMA');
    expect(code(JSON.stringify(batch()), 50)).toBe('GL_PAYLOAD_TOO_LARGE');
  });

  it('refuses a value named __proto__ instead of dropping it (found by the fuzz suite)', () => {
    // JSON.parse makes `__proto__` an own key; zod's record skips that key unchecked, so the
    // reading used to pass with the value silently gone. It is a bad value name like any other.
    for (const values of [
      '{"__proto__":true,"a":1}',
      '{"__proto__":5}',
      '{"a":1,"__proto__":{}}',
    ]) {
      const text = `{"seq":5,"deviceId":"m1","ts":1700000000000,"quality":"good","values":${values}}`;
      const r = readingSchema.safeParse(JSON.parse(text));
      expect([values, r.success]).toEqual([values, false]);
      expect(JSON.stringify(r.error?.issues)).toContain('__proto__');
    }
    const ok = readingSchema.parse({ ...reading(5), values: { constructor: 1, a: 2 } });
    expect(ok.values).toEqual({ constructor: 1, a: 2 });
  });

  it('names the bad key in the message', () => {
    try {
      parseJsonPayload(telemetryBatchSchema, JSON.stringify(batch({ edgeId: 'a/b' })), 10_000);
    } catch (err) {
      expect((err as Error).message).toMatch(/^edgeId: /);
    }
  });
});

describe('edge status', () => {
  it('keeps per-channel counters', async () => {
    const { edgeStatusSchema } = await import('./status.js');
    const status = {
      edgeId: 'e1',
      online: true,
      channels: [
        {
          driver: 'modbus-tcp',
          channel: '127.0.0.1:502',
          counters: { transactions: 10, timeouts: 1 },
        },
      ],
    };
    expect(edgeStatusSchema.parse(status).channels).toEqual(status.channels);
    expect(
      edgeStatusSchema.safeParse({
        ...status,
        channels: [{ driver: 'x', channel: 'y', counters: { 'Bad Name': 1 } }],
      }).success,
    ).toBe(false);
  });
});
