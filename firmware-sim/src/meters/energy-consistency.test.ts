import { getProfile } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { MeterModel } from './meter-model.js';
import { SimulatedMeter } from './simulated-meter.js';

describe('energy registers vs integrated power over a simulated day', () => {
  it.each([1, 2])(
    'agree within one part in a thousand, seed %i, reading only what the registers serve',
    (seed) => {
      // A whole day in well under a second: the manual clock moves 1 s per step.
      const start = Date.UTC(2024, 5, 3, 3, 0, 0); // local midnight, America/Bahia
      const clock = createManualClock(start);
      const meter = new SimulatedMeter({
        deviceId: 'm',
        unitId: 1,
        profile: getProfile('eastron-sdm630'),
        model: new MeterModel({ seed, clock }),
      });
      const e0 = meter.snapshot().energy_import!;
      let wattSeconds = 0;
      for (let s = 0; s < 86_400; s++) {
        wattSeconds += meter.snapshot().power_total!; // the float32 power the register serves
        clock.advance(1000);
        meter.advance();
      }
      const integrated = wattSeconds / 3.6e6;
      const registered = meter.snapshot().energy_import! - e0;
      expect(integrated).toBeGreaterThan(10); // a household's day, not a rounding artefact
      expect(Math.abs(registered - integrated) / integrated).toBeLessThan(0.001);
    },
  );
});
