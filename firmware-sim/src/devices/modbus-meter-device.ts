import type { Clock } from '../clock/index.js';
import { DeviceFaults, type FaultSpec } from '../faults/index.js';
import type { SimulatedMeter } from '../meters/index.js';
import type { RegisterBank, ReplyShaper } from '../modbus/index.js';
import { checkFaultSupported, type SimDevice } from './device.js';

export interface ModbusMeterDeviceOptions {
  meter: SimulatedMeter;
  clock: Clock;
  /** How it is reached, for listings: e.g. {transport:'tcp', port} or {transport:'rtu', path}. */
  endpoint: Record<string, unknown>;
  /** RTU turnaround of this slave, ms. */
  replyDelayMs?: number;
}

const MODBUS_FAULTS = [
  'no-reply',
  'late-reply',
  'bad-crc',
  'wrong-unit',
  'exception',
  'short-frame',
  'counter-reset',
  'tamper',
  'link-flap',
] as const;

/** A simulated meter served over Modbus (TCP or RTU), with its fault switch. */
export class ModbusMeterDevice implements SimDevice {
  readonly kind = 'modbus-meter' as const;
  readonly faults: DeviceFaults;
  readonly meter: SimulatedMeter;
  readonly replyDelayMs: number;
  private readonly endpoint: Record<string, unknown>;

  constructor(options: ModbusMeterDeviceOptions) {
    this.meter = options.meter;
    this.endpoint = options.endpoint;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    this.faults = new DeviceFaults(options.clock, MODBUS_FAULTS);
  }

  get deviceId(): string {
    return this.meter.deviceId;
  }

  get unitId(): number {
    return this.meter.unitId;
  }

  get bank(): RegisterBank {
    return this.meter.bank;
  }

  /** The answer step for the Modbus server this device sits behind. */
  get shapeReply(): ReplyShaper {
    return this.faults.shapeModbus;
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      unitId: this.unitId,
      profile: this.meter.profile.id,
      ...this.endpoint,
      fault: this.faults.active?.spec ?? null,
    };
  }

  truth(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      timeMs: this.meter.model.timeMs,
      measured: this.meter.measured(),
      served: this.meter.snapshot(),
      energyOffsetKWh: this.meter.energyOffsetKWh,
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    const served = this.meter.snapshot().energy_import ?? 0;
    if (spec.mode === 'counter-reset') this.meter.setServedEnergy(spec.toKWh ?? 0);
    if (spec.mode === 'tamper') this.meter.setServedEnergy(served - (spec.backKWh ?? 10));
    this.faults.set(spec);
  }

  clearFault(): void {
    this.faults.clear();
  }

  advance(nowMs: number): void {
    this.meter.advance(nowMs);
  }
}
