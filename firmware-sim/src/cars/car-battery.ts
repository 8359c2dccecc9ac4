import type { CarModel } from './car-models.js';

/** Above this state of charge the car takes less than it is offered (constant-voltage phase). */
export const TAPER_START_SOC = 0.8;
/** Near full the car still takes this fraction of the offer, so a charge ends in finite time. */
export const TAPER_FLOOR = 0.1;

const MS_PER_HOUR = 3_600_000;

/**
 * A traction battery, pure arithmetic: energy in kWh between 0 and the model's capacity.
 * Driving takes the model's kWh/km; charging takes what the charging curve allows: the whole
 * offer up to 80 % state of charge, then a share falling linearly to 0 at 100 %, floored at
 * 10 % so the last percent still fills.
 *
 * The seed gives no on-board charger rating, so the car takes any AC offer up to 80 %
 * (docs/SIMULATOR.md, "Cars").
 */
export class CarBattery {
  readonly capacityKWh: number;
  readonly consumptionKWhPerKm: number;
  private energy: number;

  constructor(model: CarModel, initialSoc: number) {
    this.capacityKWh = model.batteryCapacityKWh;
    this.consumptionKWhPerKm = model.consumptionKWhPerKm;
    this.energy = Math.min(1, Math.max(0, initialSoc)) * this.capacityKWh;
  }

  get energyKWh(): number {
    return this.energy;
  }

  /** State of charge, 0..1. */
  get soc(): number {
    return this.energy / this.capacityKWh;
  }

  /** How far the stored energy goes, km. */
  get rangeKm(): number {
    return this.energy / this.consumptionKWhPerKm;
  }

  /** The share of an offer the car takes at its state of charge (the charging curve). */
  curve(): number {
    const soc = this.soc;
    if (soc >= 1) return 0;
    if (soc <= TAPER_START_SOC) return 1;
    return Math.max(TAPER_FLOOR, (1 - soc) / (1 - TAPER_START_SOC));
  }

  /** Power taken from an offer, W. */
  acceptPowerW(offeredW: number): number {
    return offeredW * this.curve();
  }

  /** Stores energy, up to full; returns what was taken, kWh. */
  charge(kWh: number): number {
    const taken = Math.min(Math.max(0, kWh), this.capacityKWh - this.energy);
    this.energy += taken;
    return taken;
  }

  /**
   * Drives at `speedKmh` for `ms`; stops when the battery is empty. Returns the distance
   * covered, km, and the energy used, kWh.
   */
  drive(speedKmh: number, ms: number): { km: number; kWh: number } {
    const wantKm = (speedKmh * ms) / MS_PER_HOUR;
    const km = Math.min(wantKm, this.rangeKm);
    const kWh = km === this.rangeKm ? this.energy : km * this.consumptionKWhPerKm;
    this.energy -= kWh;
    return { km, kWh };
  }
}
