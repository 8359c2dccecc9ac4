import { getProfile } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { dailyShape, hourOfDay } from './daily-load.js';
import { MeterModel } from './meter-model.js';
import { SimulatedMeter } from './simulated-meter.js';

// 2024-06-03 00:00 local time in America/Bahia (UTC-3).
const MIDNIGHT = Date.UTC(2024, 5, 3, 3, 0, 0);
const HOUR = 3_600_000;

describe('dailyShape', () => {
  it('is low at night, peaks in the evening, and stays within 0..1', () => {
    expect(hourOfDay(MIDNIGHT, -180)).toBe(0);
    expect(hourOfDay(MIDNIGHT + 19.5 * HOUR, -180)).toBe(19.5);
    expect(dailyShape(3)).toBeLessThan(0.05);
    expect(dailyShape(19.5)).toBe(1);
    expect(dailyShape(7.5)).toBeGreaterThan(dailyShape(3));
    for (let h = 0; h < 24; h += 0.25) {
      expect(dailyShape(h)).toBeGreaterThanOrEqual(0);
      expect(dailyShape(h)).toBeLessThanOrEqual(1);
    }
  });
});

describe('MeterModel', () => {
  it('is deterministic: same seed and times, same values', () => {
    const a = new MeterModel({ seed: 42, startMs: MIDNIGHT });
    const b = new MeterModel({ seed: 42, startMs: MIDNIGHT });
    a.advance(MIDNIGHT + 90_000);
    b.advance(MIDNIGHT + 90_000);
    expect(a.values()).toEqual(b.values());
    const c = new MeterModel({ seed: 43, startMs: MIDNIGHT });
    c.advance(MIDNIGHT + 90_000);
    expect(c.values().voltage_l1).not.toBe(a.values().voltage_l1);
  });

  it('gives the same result however advance is stepped', () => {
    const jump = new MeterModel({ seed: 7, startMs: MIDNIGHT });
    const steps = new MeterModel({ seed: 7, startMs: MIDNIGHT });
    jump.advance(MIDNIGHT + HOUR);
    for (let t = MIDNIGHT; t <= MIDNIGHT + HOUR; t += 1000) steps.advance(t);
    expect(steps.values()).toEqual(jump.values());
    const ragged = new MeterModel({ seed: 7, startMs: MIDNIGHT });
    for (let t = MIDNIGHT; t < MIDNIGHT + HOUR; t += 777) ragged.advance(t);
    ragged.advance(MIDNIGHT + HOUR);
    expect(ragged.values().energy_import).toBeCloseTo(jump.values().energy_import!, 9);
  });

  it('keeps quantities plausible and consistent: power = V × I, total = sum of phases', () => {
    const model = new MeterModel({ seed: 1, startMs: MIDNIGHT });
    for (let t = MIDNIGHT; t < MIDNIGHT + 24 * HOUR; t += 10 * 60_000) {
      model.advance(t);
      const v = model.values();
      let sum = 0;
      for (const p of [1, 2, 3]) {
        const volts = v[`voltage_l${p}`]!;
        expect(volts).toBeGreaterThan(220 * 0.98);
        expect(volts).toBeLessThan(220 * 1.02);
        expect(v[`current_l${p}`]).toBeGreaterThan(0);
        expect(v[`power_l${p}`]).toBeCloseTo(volts * v[`current_l${p}`]!, 6);
        sum += v[`power_l${p}`]!;
      }
      expect(v.power_total).toBeCloseTo(sum, 6);
      expect(v.frequency).toBeGreaterThan(59.9);
      expect(v.frequency).toBeLessThan(60.1);
      expect(v.power_factor).toBe(1);
      expect(v.energy_export).toBe(0);
    }
  });

  it('integrates energy from the power it reports', () => {
    const model = new MeterModel({ seed: 3, startMs: MIDNIGHT + 18 * HOUR });
    const start = model.values().energy_import!;
    let wattMs = 0;
    for (let t = MIDNIGHT + 18 * HOUR; t < MIDNIGHT + 19 * HOUR; t += 1000) {
      wattMs += model.values().power_total! * 1000; // power holds for the whole step
      model.advance(t + 1000);
    }
    expect(model.values().energy_import! - start).toBeCloseTo(wattMs / 3.6e9, 6);
    expect(model.values().energy_import! - start).toBeGreaterThan(0.5); // an evening hour
  });

  it('draws more in the evening than at night', () => {
    const mean = (fromHour: number) => {
      const m = new MeterModel({ seed: 9, startMs: MIDNIGHT + fromHour * HOUR });
      let sum = 0;
      for (let i = 1; i <= 60; i++) {
        m.advance(MIDNIGHT + fromHour * HOUR + i * 60_000);
        sum += m.values().power_total!;
      }
      return sum / 60;
    };
    expect(mean(19)).toBeGreaterThan(3 * mean(3));
  });

  it('follows its injected clock, and never runs backwards', () => {
    const clock = createManualClock(MIDNIGHT);
    const model = new MeterModel({ seed: 5, clock });
    expect(model.timeMs).toBe(MIDNIGHT);
    const e0 = model.values().energy_import!;
    clock.advance(60_000);
    model.advance();
    expect(model.timeMs).toBe(MIDNIGHT + 60_000);
    const e1 = model.values().energy_import!;
    expect(e1).toBeGreaterThan(e0);
    model.advance(MIDNIGHT);
    expect(model.timeMs).toBe(MIDNIGHT + 60_000);
    expect(model.values().energy_import).toBe(e1);
  });
});

describe('SimulatedMeter', () => {
  const profile = getProfile('eastron-sdm630');

  it('serves the model through the profile; snapshot() is the float32 ground truth', () => {
    const clock = createManualClock(MIDNIGHT + 20 * HOUR);
    const meter = new SimulatedMeter({
      deviceId: 'meter-1',
      unitId: 1,
      profile,
      model: new MeterModel({ seed: 11, clock }),
    });
    clock.advance(5_000);
    meter.advance();
    const truth = meter.snapshot();
    const raw = meter.model.values();
    expect(Object.keys(truth).sort()).toEqual(profile.fields.map((f) => f.name).sort());
    for (const [name, value] of Object.entries(truth)) {
      expect(value).toBe(Math.fround(raw[name]!)); // exactly the float32 on the wire
    }
    const words = meter.bank.readInputRegisters(0, 76);
    const wire = Buffer.alloc(152);
    for (const [i, w] of Array.from(words).entries()) wire.writeUInt16BE(w, i * 2);
    for (const field of profile.fields) {
      expect(wire.readFloatBE(field.address * 2)).toBe(truth[field.name]);
    }
  });

  it('keeps serving the same values until time moves', () => {
    const clock = createManualClock(MIDNIGHT);
    const model = new MeterModel({ seed: 12, clock });
    const meter = new SimulatedMeter({ deviceId: 'm', unitId: 1, profile, model });
    const before = meter.snapshot();
    meter.advance();
    expect(meter.snapshot()).toEqual(before);
    clock.advance(1000);
    meter.advance();
    expect(meter.snapshot().voltage_l1).not.toBe(before.voltage_l1); // new second, new noise
    // A float32 register near 5,000 kWh moves in steps of ~0.0005 kWh: a minute shows up.
    clock.advance(60_000);
    meter.advance();
    expect(meter.snapshot().energy_import).toBeGreaterThan(before.energy_import!);
  });
});

describe('weekday, weekend and commercial load', () => {
  it('knows the day of week in the local zone', async () => {
    const { dayOfWeek } = await import('./daily-load.js');
    // 2026-11-22 is a Sunday; 02:00 UTC is still Saturday 23:00 in Bahia (UTC-3).
    expect(dayOfWeek(Date.parse('2026-11-22T12:00:00Z'), -180)).toBe(0);
    expect(dayOfWeek(Date.parse('2026-11-22T02:00:00Z'), -180)).toBe(6);
    expect(dayOfWeek(Date.parse('2026-11-23T12:00:00Z'), -180)).toBe(1);
  });

  it('a household is home at weekend middays; the evening peak stays', () => {
    expect(dailyShape(13, 6)).toBeGreaterThan(dailyShape(13, 3) * 1.5);
    expect(dailyShape(7.5, 0)).toBeLessThan(dailyShape(7.5, 3));
    expect(dailyShape(19.5, 0)).toBe(1);
  });

  it('a shop works weekday hours, a short Saturday, and is closed on Sunday', () => {
    expect(dailyShape(10, 2, 'commercial')).toBeGreaterThan(0.9);
    expect(dailyShape(22, 2, 'commercial')).toBeLessThan(0.05);
    expect(dailyShape(10, 6, 'commercial')).toBeGreaterThan(0.5);
    expect(dailyShape(16, 6, 'commercial')).toBeLessThan(0.05);
    expect(dailyShape(10, 0, 'commercial')).toBe(0);
  });

  it('a commercial meter integrates more energy on a Wednesday than on a Sunday', () => {
    const day = (start: string) => {
      const t0 = Date.parse(start);
      const clock = createManualClock(t0);
      const m = new MeterModel({ seed: 3, clock, startMs: t0, loadKind: 'commercial' });
      const e0 = m.values().energy_import as number;
      m.advance(t0 + 24 * HOUR);
      return (m.values().energy_import as number) - e0;
    };
    expect(day('2026-11-18T03:00:00Z')).toBeGreaterThan(day('2026-11-22T03:00:00Z') * 2);
  });
});
