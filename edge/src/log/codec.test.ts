import { describe, expect, it } from 'vitest';
import { decodeReading, encodeNewReading, seqKey } from './codec.js';
import type { NewReading } from './types.js';

describe('log codec', () => {
  it('keys sort bytewise in seq order across the 32-bit boundary and up to 2^53 - 1', () => {
    const seqs = [1, 2, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 7, 2 ** 53 - 1];
    const keys = seqs.map(seqKey);
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
    for (const [i, seq] of seqs.entries()) expect(keys[i]?.readBigUInt64BE(1)).toBe(BigInt(seq));
  });

  it('stores a new reading with the log seq, whatever the reading carries', () => {
    const r: NewReading = { deviceId: 'm1', ts: 5, quality: 'good', values: { a: 1.5 } };
    expect(decodeReading(encodeNewReading(r, 42))).toEqual({ ...r, seq: 42 });
    const sneaky = { ...r, seq: 7 } as NewReading;
    expect(decodeReading(encodeNewReading(sneaky, 42)).seq).toBe(42);
    expect(decodeReading(encodeNewReading({} as NewReading, 3))).toEqual({ seq: 3 });
  });

  it("writes the wire's key order, whatever order the reading was built in", () => {
    const r = { values: { b: -0.5, a: 1e-7 }, quality: 'uncertain', ts: 5, deviceId: 'm1' };
    expect(encodeNewReading(r as NewReading, 42)).toBe(
      '{"seq":42,"deviceId":"m1","ts":5,"quality":"uncertain","values":{"b":-0.5,"a":1e-7}}',
    );
    expect(encodeNewReading({ ...r, extra: 1 } as NewReading, 42)).not.toContain('extra');
  });
});
