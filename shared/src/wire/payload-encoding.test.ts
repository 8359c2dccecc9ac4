import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressIfSmaller, decodePayload, isGzipPayload } from './payload-encoding.js';

const batchJson = JSON.stringify({
  edgeId: 'e',
  readings: Array.from({ length: 200 }, (_, i) => ({
    seq: i + 1,
    deviceId: `meter-${i % 20}`,
    ts: 1767225600000 + i,
    quality: 'good',
    values: { voltage_l1: 220 + (i % 7) / 10, energy_import: 1000 + i },
  })),
});

describe('payload encoding', () => {
  it('compresses a batch when gzip is smaller, and the central gets the same JSON back', () => {
    const { payload, compressed } = compressIfSmaller(batchJson);
    expect(compressed).toBe(true);
    expect(Buffer.isBuffer(payload) && isGzipPayload(payload)).toBe(true);
    expect((payload as Buffer).length).toBeLessThan(Buffer.byteLength(batchJson) / 4);
    expect(decodePayload(payload as Buffer, 1 << 20).toString('utf8')).toBe(batchJson);
  });

  it('shrinks a batch of meter readings as the edge stores them more than 4x', () => {
    // 2,000 SDM630-like readings: seven float32 registers decoded to doubles (long decimals).
    const f = (x: number) => Math.fround(x);
    const readings = Array.from({ length: 2000 }, (_, i) => ({
      seq: i + 1,
      deviceId: `meter-${(i % 20) + 1}`,
      ts: 1767225600000 + Math.floor(i / 20) * 1000,
      quality: 'good',
      values: {
        voltage_l1: f(220 + Math.sin(i) * 3),
        voltage_l2: f(219 + Math.cos(i) * 3),
        voltage_l3: f(221.3 + Math.sin(i / 3)),
        current_l1: f(5 + (i % 17) / 10),
        power: f(1100 + (i % 97) * 3.7),
        energy_import: f(1532.25 + i * 0.0137),
        frequency: f(59.98 + (i % 5) / 100),
      },
    }));
    const json = JSON.stringify({ edgeId: 'e', epoch: 'x', firstSeq: 1, lastSeq: 2000, readings });
    const { payload, compressed } = compressIfSmaller(json);
    expect(compressed).toBe(true);
    expect(Buffer.byteLength(json) / (payload as Buffer).length).toBeGreaterThan(4);
  });

  it('sends the JSON itself when gzip would not be smaller', () => {
    const tiny = '{"a":1}';
    expect(compressIfSmaller(tiny)).toEqual({ payload: tiny, compressed: false });
  });

  it('passes JSON payloads through untouched', () => {
    const json = Buffer.from(batchJson);
    expect(decodePayload(json, 1 << 20)).toBe(json);
  });

  it('stops a decompression bomb at the size limit with GL_PAYLOAD_TOO_LARGE', () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20, 0x20)); // 8 MiB of spaces, ~8 KB compressed
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(() => decodePayload(bomb, 1 << 20)).toThrow(
      expect.objectContaining({ code: 'GL_PAYLOAD_TOO_LARGE' }),
    );
  });

  it('rejects a payload that claims gzip but does not inflate with GL_PAYLOAD_ENCODING', () => {
    const broken = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.from('not gzip')]);
    expect(() => decodePayload(broken, 1 << 20)).toThrow(
      expect.objectContaining({ code: 'GL_PAYLOAD_ENCODING' }),
    );
    const truncated = gzipSync(batchJson).subarray(0, 100);
    expect(() => decodePayload(truncated, 1 << 20)).toThrow(
      expect.objectContaining({ code: 'GL_PAYLOAD_ENCODING' }),
    );
  });
});
