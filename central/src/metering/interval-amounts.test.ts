import { describe, expect, it } from 'vitest';
import { intervalHour, intervalMwh, intervalToHourly } from './interval-amounts.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('interval amounts', () => {
  it('reads kWh text exactly into mWh; negative, non-numbers and absurd amounts are not energy', () => {
    expect(intervalMwh('100')).toBe(100_000_000);
    expect(intervalMwh('0.1')).toBe(100_000);
    expect(intervalMwh(0.1)).toBe(100_000);
    // 0.1 + 0.2 as a double prints 0.30000000000000004: read as 300 Wh exactly.
    expect(intervalMwh(0.1 + 0.2)).toBe(300_000);
    expect(intervalMwh('0.0000005')).toBe(0); // half a mWh: half to even
    expect(intervalMwh('0.0000015')).toBe(2);
    expect(intervalMwh('0')).toBe(0);
    expect(intervalMwh('-0.5')).toBeUndefined();
    expect(intervalMwh('abc')).toBeUndefined();
    expect(intervalMwh(null)).toBeUndefined();
    expect(intervalMwh('1e300')).toBeUndefined();
  });

  it('an amount belongs to the hour holding the end of its interval (ts − 1 ms)', () => {
    expect(intervalHour(at('2024-11-10T13:00:00Z'))).toBe(at('2024-11-10T12:00:00Z'));
    expect(intervalHour(at('2024-11-10T13:00:00.001Z'))).toBe(at('2024-11-10T13:00:00Z'));
    expect(intervalHour(at('2024-11-10T13:59:59.999Z'))).toBe(at('2024-11-10T13:00:00Z'));
    // Midnight closes the previous day.
    expect(intervalHour(at('2024-12-01T00:00:00Z'))).toBe(at('2024-11-30T23:00:00Z'));
  });

  it('whole Wh go to the hours; the sub-Wh remainder is carried, never lost or doubled', () => {
    const t = at('2024-11-10T10:30:00Z');
    const step = intervalToHourly(0, [
      { ts: t, mwh: 400 }, // 0.4 Wh: carried
      { ts: t + H, mwh: 400 }, // 0.8 Wh: carried
      { ts: t + 2 * H, mwh: 1_500 }, // 2.3 Wh: 2 Wh to 12:00, 0.3 carried
    ]);
    expect([...step.hours]).toEqual([[at('2024-11-10T12:00:00Z'), 2]]);
    expect(step.carryMwh).toBe(300);
    // The carry joins the next run of amounts.
    const next = intervalToHourly(step.carryMwh, [{ ts: t + 3 * H, mwh: 700 }]);
    expect([...next.hours]).toEqual([[at('2024-11-10T13:00:00Z'), 1]]);
    expect(next.carryMwh).toBe(0);
  });

  it('for any amounts, Σ hours × 1000 + carry = carry before + Σ amounts', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 200; run++) {
      const carry = Math.floor(rand() * 1000);
      const samples = Array.from({ length: 1 + Math.floor(rand() * 50) }, () => ({
        ts: at('2024-01-01T00:00:00Z') + Math.floor(rand() * 72) * 600_000,
        mwh: Math.floor(rand() * (rand() < 0.5 ? 2000 : 5_000_000)),
      }));
      const step = intervalToHourly(carry, samples);
      const wh = [...step.hours.values()].reduce((a, b) => a + b, 0);
      expect(wh * 1000 + step.carryMwh).toBe(carry + samples.reduce((a, s) => a + s.mwh, 0));
      expect(step.carryMwh).toBeGreaterThanOrEqual(0);
      expect(step.carryMwh).toBeLessThan(1000);
      for (const h of step.hours.keys()) expect(h % H).toBe(0);
    }
  });
});
