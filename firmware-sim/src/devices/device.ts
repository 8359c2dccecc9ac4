import { GridlinkError } from '@gridlink/shared';
import type { DeviceFaults, FaultSpec } from '../faults/index.js';

export type DeviceKind =
  | 'modbus-meter'
  | 'udp-meter'
  | 'tcp-json-meter'
  | 'charger'
  | 'keba-charger'
  | 'car';

/** A consumption-rate change from the control API (SEEDS E: raise, lower or set at run time). */
export type RateChange =
  | { set: number }
  /** Multiplies the rate by `factor` (> 1 raises, < 1 lowers). */
  | { factor: number };

/**
 * What the fleet, the control API and the ground-truth export need of any simulated device.
 * `truth()` is what the device measured and what it served or sent, as plain JSON.
 */
export interface SimDevice {
  readonly deviceId: string;
  readonly kind: DeviceKind;
  readonly faults: DeviceFaults;
  /** Where and how to reach it (unit id, port, protocol…), as plain JSON. */
  info(): Record<string, unknown>;
  truth(): Record<string, unknown>;
  /** Applies a fault; refuses (GL_CONFIG_INVALID) a mode this kind does not support. */
  setFault(spec: FaultSpec): void;
  clearFault(): void;
  /** Devices whose consumption rate can be changed at run time; returns the new rate. */
  setRate?(change: RateChange): number;
  /** Moves the device's model to `nowMs`; push devices also send what is due. */
  advance(nowMs: number): void;
  /** Stops timers and connections of its own. */
  close?(): Promise<void>;
}

/** The common check of setFault: the mode must be one this device supports. */
export function checkFaultSupported(device: SimDevice, spec: FaultSpec): void {
  if (!device.faults.supported.includes(spec.mode)) {
    throw new GridlinkError(
      'GL_CONFIG_INVALID',
      `fault.mode: ${spec.mode} is not supported by a ${device.kind} (supported: ${device.faults.supported.join('|')})`,
      { key: 'fault.mode' },
    );
  }
}

/** Applies a rate change to a rate; refuses a negative or non-finite result. */
export function applyRate(current: number, change: RateChange): number {
  const next = 'set' in change ? change.set : current * change.factor;
  if (!Number.isFinite(next) || next < 0) {
    throw new GridlinkError('GL_CONFIG_INVALID', `rate: must end ≥ 0, got ${next}`, {
      key: 'rate',
    });
  }
  return next;
}

/** Parses an untrusted rate change body: {set: kW} or {raise: factor} or {lower: factor}. */
export function parseRateChange(input: unknown): RateChange {
  const body = (typeof input === 'object' && input !== null ? input : {}) as Record<
    string,
    unknown
  >;
  const keys = Object.keys(body);
  const bad = (reason: string): never => {
    throw new GridlinkError('GL_CONFIG_INVALID', `rate: ${reason}`, { key: 'rate' });
  };
  if (keys.length !== 1)
    bad('give exactly one of set (kW), raise (factor > 1), lower (factor > 1)');
  const [key] = keys as [string];
  const value = body[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${key} must be a number`);
  const v = value as number;
  if (key === 'set') return v >= 0 ? { set: v } : bad('set must be ≥ 0');
  if (key === 'raise') return v > 0 ? { factor: v } : bad('raise must be > 0');
  if (key === 'lower') return v > 0 ? { factor: 1 / v } : bad('lower must be > 0');
  return bad(`unknown key ${key}`);
}
