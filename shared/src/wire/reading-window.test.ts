import { describe, expect, it } from 'vitest';
import {
  checkReading,
  DEFAULT_CENTRAL_WINDOW,
  DEFAULT_EDGE_WINDOW,
  DEFAULT_NOT_BEFORE_MS,
  MAX_READING_TS,
} from './index.js';

const NOW = Date.UTC(2026, 11, 6, 12);
const good = {
  seq: 1,
  deviceId: 'meter-1',
  ts: NOW,
  quality: 'good',
  values: { energy_import: 1.5 },
};

describe('checkReading', () => {
  it('accepts a reading inside the window and returns it parsed', () => {
    expect(checkReading(good, DEFAULT_EDGE_WINDOW, NOW)).toEqual({ ok: true, reading: good });
  });

  it.each([
    // [what, reading, reason]
    ['1970', { ...good, ts: 0 }, 'time_before_window'],
    ['one ms before 2000-01-01', { ...good, ts: DEFAULT_NOT_BEFORE_MS - 1 }, 'time_before_window'],
    ['year 9999 from a 2026 clock', { ...good, ts: MAX_READING_TS }, 'time_after_window'],
    ['5 min + 1 ms ahead of the edge', { ...good, ts: NOW + 5 * 60_000 + 1 }, 'time_after_window'],
    ['year 277,662 (past the schema)', { ...good, ts: 8.7e15 }, 'schema'],
    ['1e20 ms', { ...good, ts: 1e20 }, 'schema'],
    ['a fractional ts', { ...good, ts: NOW + 0.5 }, 'schema'],
    [
      'Infinity (JSON 1e400)',
      { ...good, values: { energy_import: JSON.parse('1e400') } },
      'value_not_finite',
    ],
    ['NaN', { ...good, values: { p: Number.NaN } }, 'value_not_finite'],
    ['a string value', { ...good, values: { p: '1' } }, 'schema'],
    ['no deviceId', { ...good, deviceId: undefined }, 'schema'],
    ['null', null, 'schema'],
  ])('turns down %s', (_what, reading, reason) => {
    const verdict = checkReading(reading, DEFAULT_EDGE_WINDOW, NOW);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.reason).toBe(reason);
      expect(verdict.message.length).toBeGreaterThan(0);
    }
  });

  it('exactly at the skew edge is accepted; the central window is wider', () => {
    expect(checkReading({ ...good, ts: NOW + 5 * 60_000 }, DEFAULT_EDGE_WINDOW, NOW).ok).toBe(true);
    expect(checkReading({ ...good, ts: NOW + 30 * 60_000 }, DEFAULT_CENTRAL_WINDOW, NOW).ok).toBe(
      true,
    );
    expect(checkReading({ ...good, ts: NOW + 61 * 60_000 }, DEFAULT_CENTRAL_WINDOW, NOW).ok).toBe(
      false,
    );
  });
});

describe('checkReading: the hand-written fast check agrees with the schema', () => {
  it('accepts a reading without seq (as a driver produces it) and keeps it as it is', () => {
    const { seq: _seq, ...body } = good;
    const verdict = checkReading(body, DEFAULT_EDGE_WINDOW, NOW);
    expect(verdict).toEqual({ ok: true, reading: body });
    if (verdict.ok) expect(verdict.reading).toBe(body);
  });

  it('strips an unknown key through the schema instead of accepting it as it is', () => {
    const verdict = checkReading({ ...good, extra: 1 }, DEFAULT_EDGE_WINDOW, NOW);
    expect(verdict).toEqual({
      ok: true,
      reading: { deviceId: 'meter-1', ts: NOW, quality: 'good', values: { energy_import: 1.5 } },
    });
  });

  it('gives the same verdict as the schema on 5,000 mutated readings', async () => {
    const { seededRandom } = await import('../random/index.js');
    const { readingSchema } = await import('./telemetry.js');
    const rnd = seededRandom(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const mutations: Array<(r: Record<string, unknown>) => void> = [
      (r) => {
        r.ts = pick([NOW, -1, 1.5, 2 ** 53, MAX_READING_TS + 1, '1', null]);
      },
      (r) => {
        r.deviceId = pick(['m', '', '.x', 'a'.repeat(65), 5, 'é']);
      },
      (r) => {
        r.quality = pick(['good', 'bad', 'GOOD', 1]);
      },
      (r) => {
        r.values = pick([{}, { a: 1 }, { A: 1 }, { a: '1' }, [], null, { ['a'.repeat(65)]: 1 }]);
      },
      (r) => {
        delete r[pick(['deviceId', 'ts', 'quality', 'values'])];
      },
      (r) => {
        r[pick(['x', 'constructor', 'seqq'])] = 1;
      },
    ];
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const r: Record<string, unknown> = { ...good, values: { ...good.values } };
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) pick(mutations)(r);
      const verdict = checkReading(
        r,
        { notBeforeMs: 0, maxFutureSkewMs: Number.MAX_SAFE_INTEGER },
        NOW,
      );
      const schema = readingSchema.safeParse({ ...r, seq: 1 });
      expect(verdict.ok, JSON.stringify(r)).toBe(schema.success);
      if (verdict.ok) accepted++;
    }
    // Not vacuous: both verdicts occur often.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(4500);
  });
});
