import type { ChargingVehicle } from './charging-vehicle.js';

const MS_PER_KWH_AT_1W = 3_600_000_000;

export interface SessionEnergyOptions {
  /** Simulated time the counters start at, ms. */
  startMs: number;
  /** Lifetime energy at start, kWh. */
  totalKWh: number;
  /** Power is recomputed at each step boundary (aligned to the epoch), ms. */
  stepMs: number;
  /** The power of the current step, W: what the vehicle takes of what the charger offers. */
  power: () => number;
}

/**
 * Time and energy of a simulated charger (the GridLink charger and the KEBA station share it).
 * Time moves in steps; the power of a step is computed once, at its start or after an event
 * (`recompute`), so any tick pattern gives the same energies. The vehicle receives power × time
 * and what it takes adds to the session and lifetime counters. An optional session cap (KEBA's
 * energy limit) stops delivery exactly at the cap.
 */
export class SessionEnergy {
  timeMs: number;
  powerW = 0;
  sessionKWh = 0;
  totalKWh: number;
  readonly #o: SessionEnergyOptions;
  /** The step the current power was computed for; NaN forces a recompute. */
  #powerStep = Number.NaN;

  constructor(options: SessionEnergyOptions) {
    this.#o = options;
    this.timeMs = options.startMs;
    this.totalKWh = options.totalKWh;
  }

  /** Recomputes the power now (after an event), for the rest of the current step. */
  recompute(): void {
    this.powerW = this.#o.power();
    this.#powerStep = Math.floor(this.timeMs / this.#o.stepMs);
  }

  /** Moves time to `toMs` (never backwards), delivering energy to `vehicle`. */
  advance(toMs: number, vehicle: ChargingVehicle | null, capKWh = 0): void {
    const { stepMs } = this.#o;
    while (this.timeMs < toMs) {
      const step = Math.floor(this.timeMs / stepMs);
      if (step !== this.#powerStep) this.recompute();
      const end = Math.min((step + 1) * stepMs, toMs);
      if (this.powerW > 0 && vehicle) {
        let kWh = (this.powerW * (end - this.timeMs)) / MS_PER_KWH_AT_1W;
        if (capKWh > 0 && this.sessionKWh + kWh >= capKWh) {
          // The cap ends the session: power stops once it is reached.
          kWh = Math.max(0, capKWh - this.sessionKWh);
          this.#powerStep = Number.NaN;
        }
        const taken = vehicle.receiveEnergy(kWh);
        this.sessionKWh += taken;
        this.totalKWh += taken;
      }
      this.timeMs = end;
    }
  }
}
