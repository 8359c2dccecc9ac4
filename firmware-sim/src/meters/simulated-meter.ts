import { GridlinkError, type Profile } from '@gridlink/shared';
import type { RegisterBank } from '../modbus/index.js';
import type { MeterModel } from './meter-model.js';
import { ProfileRegisterBank } from './profile-register-bank.js';

export interface SimulatedMeterOptions {
  deviceId: string;
  unitId: number;
  profile: Profile;
  model: MeterModel;
}

/**
 * One simulated meter: a physical model whose values are served through a profile's register
 * map. `snapshot()` is the ground truth: exactly what a poller reads right now.
 */
export class SimulatedMeter {
  readonly deviceId: string;
  readonly unitId: number;
  readonly profile: Profile;
  readonly model: MeterModel;
  private readonly registers: ProfileRegisterBank;
  /** Served energy minus measured energy, kWh: 0 until a counter reset or tampering. */
  private energyOffset = 0;

  constructor(options: SimulatedMeterOptions) {
    if (options.profile.kind !== 'meter') {
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `profile ${options.profile.id} is a ${options.profile.kind}, not a meter`,
      );
    }
    this.deviceId = options.deviceId;
    this.unitId = options.unitId;
    this.profile = options.profile;
    this.model = options.model;
    this.registers = new ProfileRegisterBank(options.profile);
    this.load();
  }

  /** What the Modbus server reads and writes. */
  get bank(): RegisterBank {
    return this.registers;
  }

  /** Moves the model to `toMs` (default: its clock's now) and re-encodes the registers. */
  advance(toMs?: number): void {
    this.model.advance(toMs);
    this.load();
  }

  /** What the physics says: the model's values, not float32-rounded, without any offset. */
  measured(): Record<string, number> {
    return this.model.values();
  }

  /** Served minus measured import energy, kWh. */
  get energyOffsetKWh(): number {
    return this.energyOffset;
  }

  /**
   * Makes the served import register read `kWh` from now on, counting on from there: a replaced
   * meter (counter reset) or a tampered one (a value below the last). The model is untouched.
   */
  setServedEnergy(kWh: number): void {
    this.energyOffset = kWh - (this.model.values().energy_import ?? 0);
    this.load();
  }

  private load(): void {
    const values = this.model.values();
    if (this.energyOffset !== 0 && values.energy_import !== undefined) {
      values.energy_import += this.energyOffset;
    }
    this.registers.load(values);
  }

  /** The values currently served, decoded from the registers (float32-rounded). */
  snapshot(): Record<string, number> {
    return this.registers.snapshot();
  }
}
