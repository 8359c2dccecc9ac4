import {
  type DecodedValue,
  GridlinkError,
  getProfile,
  type Profile,
  type RegisterField,
} from '@gridlink/shared';
import type { Clock } from '../clock/index.js';
import { checkFaultSupported, type SimDevice } from '../devices/index.js';
import { DeviceFaults, type FaultSpec } from '../faults/index.js';
import { ProfileRegisterBank } from '../meters/index.js';
import {
  ExceptionCode,
  ModbusException,
  type RegisterBank,
  type ReplyShaper,
} from '../modbus/index.js';
import { uniform } from '../random/index.js';
import type { ChargingVehicle } from './charging-vehicle.js';
import {
  CHARGE_CONTROL,
  type ConnectorEvent,
  type ConnectorState,
  type ConnectorStatus,
  connectorStatus,
  initialConnectorState,
  reservationMinutesLeft,
  STATUS_CODE,
  transition,
} from './connector-machine.js';
import { SessionEnergy } from './session-energy.js';

export type { ChargingVehicle } from './charging-vehicle.js';

export interface ChargerDeviceOptions {
  deviceId: string;
  unitId: number;
  clock: Clock;
  /** How it is reached, for listings: {transport:'tcp', host, port}. */
  endpoint: Record<string, unknown>;
  /** Seeds the lifetime energy register. */
  seed: number;
  /** Default the gridlink-charger profile. */
  profile?: Profile;
  /** Current limit at start, A (6-32). Default 32. */
  currentLimitA?: number;
  /** Phases the charger supplies: offered power = phases × voltageV × limit. Default 1. */
  phases?: 1 | 3;
  /** Phase-to-neutral voltage, V. Default 220. */
  voltageV?: number;
  /** How long a stopped session stays `finishing` before the driver unplugs, ms. Default 30 s. */
  finishingMs?: number;
  /** Lifetime energy at start, kWh. Default seeded in 0..2000. */
  initialEnergyKWh?: number;
  /** Power is recomputed at each step boundary (aligned to the epoch). Default 1000 ms. */
  stepMs?: number;
}

const CHARGER_FAULTS = [
  'no-reply',
  'late-reply',
  'bad-crc',
  'wrong-unit',
  'exception',
  'short-frame',
  'link-flap',
  'connector-fault',
] as const;

/**
 * A GridLink AC charger served over Modbus through its profile's register map. The connector
 * state machine (connector-machine.ts) decides what each command does; the charger adds time:
 * while charging it offers phases × V × current limit, the vehicle takes what its charging curve
 * allows, and both energy counters integrate that power step by step (power is recomputed at
 * every step boundary and at every event, so any tick pattern gives the same energies).
 *
 * Commands arrive as Modbus writes of the profile's holding registers. A write the connector
 * refuses (a value out of range, or a command its status cannot take) is exception 03, illegal
 * data value, and changes nothing (docs/PROFILES.md: "03 for a value it cannot accept").
 */
export class ChargerDevice implements SimDevice {
  readonly kind = 'charger' as const;
  readonly deviceId: string;
  readonly unitId: number;
  readonly faults: DeviceFaults;
  readonly profile: Profile;
  private readonly clock: Clock;
  private readonly registers: ProfileRegisterBank;
  private readonly endpoint: Record<string, unknown>;
  private readonly phases: number;
  private readonly voltageV: number;
  private readonly finishingMs: number;
  private state: ConnectorState;
  private vehicleRef: ChargingVehicle | null = null;
  private readonly energy: SessionEnergy;
  private sessions = 0;
  private readonly refused: Record<string, number> = {};

  constructor(options: ChargerDeviceOptions) {
    this.deviceId = options.deviceId;
    this.unitId = options.unitId;
    this.clock = options.clock;
    this.endpoint = options.endpoint;
    this.profile = options.profile ?? getProfile('gridlink-charger');
    if (this.profile.kind !== 'charger') {
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `profile ${this.profile.id} is a ${this.profile.kind}, not a charger`,
      );
    }
    this.phases = options.phases ?? 1;
    this.voltageV = options.voltageV ?? 220;
    this.finishingMs = options.finishingMs ?? 30_000;
    this.energy = new SessionEnergy({
      startMs: this.clock.now(),
      // Whole Wh, as the counter register holds it.
      totalKWh:
        options.initialEnergyKWh ?? Math.floor(2_000_000 * uniform(options.seed, 0xe7)) / 1000,
      stepMs: options.stepMs ?? 1000,
      power: () => this.stepPower(),
    });
    this.state = initialConnectorState(options.currentLimitA ?? 32);
    this.faults = new DeviceFaults(options.clock, CHARGER_FAULTS);
    this.registers = new ProfileRegisterBank(this.profile, {
      beforeWrite: (changes) => this.acceptWrite(changes),
      onWrite: () => this.refresh(),
    });
    this.refresh();
  }

  /** What the Modbus server reads and writes. */
  get bank(): RegisterBank {
    return this.registers;
  }

  get shapeReply(): ReplyShaper {
    return this.faults.shapeModbus;
  }

  get status(): ConnectorStatus {
    return connectorStatus(this.state);
  }

  /** A copy of the connector's facts. */
  get connector(): Readonly<ConnectorState> {
    return { ...this.state };
  }

  /** Power delivered right now, W. */
  get deliveringW(): number {
    return this.energy.powerW;
  }

  get vehicle(): ChargingVehicle | null {
    return this.vehicleRef;
  }

  /**
   * Plugs a vehicle in; GL_CONFLICT when the connector is occupied. Cars call this from
   * `CarDevice.plugInto`, which also tells the car where it is plugged: use that.
   */
  plug(vehicle: ChargingVehicle): ConnectorStatus {
    this.event({ type: 'plug' });
    this.vehicleRef = vehicle;
    this.energy.recompute();
    this.refresh();
    return this.status;
  }

  /** Takes the vehicle away (control API). GL_CONFLICT when there is none. */
  unplug(): ConnectorStatus {
    this.event({ type: 'unplug' });
    return this.status;
  }

  /** Takes the connector out of service (unavailable) or back (OCPP ChangeAvailability). */
  setOperative(operative: boolean): ConnectorStatus {
    this.event({ type: 'set-operative', operative });
    return this.status;
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      unitId: this.unitId,
      profile: this.profile.id,
      ...this.endpoint,
      status: this.status,
      vehicle: this.vehicleRef?.deviceId ?? null,
      fault: this.faults.active?.spec ?? null,
    };
  }

  truth(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      unitId: this.unitId,
      timeMs: this.energy.timeMs,
      status: this.status,
      vehicle: this.vehicleRef?.deviceId ?? null,
      measured: {
        powerW: this.energy.powerW,
        sessionEnergyKWh: this.energy.sessionKWh,
        energyTotalKWh: this.energy.totalKWh,
        currentLimitA: this.state.currentLimitA,
        reservationMinutes: reservationMinutesLeft(this.state, this.energy.timeMs),
        faultCode: this.state.faultCode,
      },
      served: this.registers.snapshot(),
      sessions: this.sessions,
      refusedWrites: { ...this.refused },
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    if (spec.mode === 'connector-fault') {
      this.event({ type: 'fault', code: spec.faultCode ?? 1 });
    } else if (this.faults.active?.spec.mode === 'connector-fault') {
      this.event({ type: 'clear-fault' });
    }
    this.faults.set(spec);
  }

  clearFault(): void {
    if (this.faults.active?.spec.mode === 'connector-fault') {
      this.event({ type: 'clear-fault' });
    }
    this.faults.clear();
  }

  /**
   * Integrates power up to `toMs`, step by step, then lets time act on the connector
   * (reservations expire; a finished car is unplugged by its driver). Never backwards.
   */
  advance(toMs: number): void {
    this.integrate(toMs);
    this.apply({ type: 'tick', nowMs: this.energy.timeMs, finishingMs: this.finishingMs });
    this.refresh();
  }

  private integrate(toMs: number): void {
    this.energy.advance(toMs, this.vehicleRef);
  }

  /** The power of the current step: what the vehicle takes of what the limit offers. */
  private stepPower(): number {
    const offered = this.phases * this.voltageV * this.state.currentLimitA;
    return this.status === 'charging' && this.vehicleRef
      ? this.vehicleRef.acceptPowerW(offered)
      : 0;
  }

  /** An event from outside Modbus, at the clock's now; a refusal is a GridlinkError. */
  private event(e: ConnectorEvent): void {
    this.integrate(this.clock.now());
    const t = transition(this.state, e);
    if (!t.ok) {
      throw new GridlinkError(
        t.kind === 'value' ? 'GL_CONFIG_INVALID' : 'GL_CONFLICT',
        `${this.deviceId}: ${t.reason}`,
        { deviceId: this.deviceId, status: this.status },
      );
    }
    this.commit(t.state);
    this.refresh();
  }

  /** Applies a transition that cannot be refused (time). */
  private apply(e: ConnectorEvent): void {
    const t = transition(this.state, e);
    if (t.ok) this.commit(t.state);
  }

  /** Adopts a new state: a session that begins resets its energy; a vehicle that left is let go. */
  private commit(next: ConnectorState): void {
    const before = connectorStatus(this.state);
    const hadVehicle = this.state.vehicle;
    this.state = next;
    if (before !== 'charging' && connectorStatus(next) === 'charging') {
      this.energy.sessionKWh = 0;
      this.sessions++;
    }
    if (hadVehicle && !next.vehicle) {
      const v = this.vehicleRef;
      this.vehicleRef = null;
      v?.onUnplugged();
    }
    this.energy.recompute();
  }

  /**
   * The Modbus write hook: every field written becomes one connector command, applied in
   * address order on a copy; if any is refused the whole write is exception 03 and nothing
   * changes.
   */
  private acceptWrite(changes: ReadonlyArray<{ field: RegisterField; value: DecodedValue }>): void {
    const now = this.clock.now();
    this.integrate(now);
    let next = this.state;
    for (const { field, value } of changes) {
      const e = commandFor(field.name, Number(value), now);
      const t = e ? transition(next, e) : { ok: false as const, kind: 'value', reason: '' };
      if (!t.ok) {
        this.refused[field.name] = (this.refused[field.name] ?? 0) + 1;
        throw new ModbusException(
          ExceptionCode.IllegalDataValue,
          `${this.deviceId}: ${t.reason || `${field.name} = ${value} is not accepted`}`,
        );
      }
      next = t.state;
    }
    this.commit(next);
  }

  /** Re-encodes the register image from the connector and the counters. */
  private refresh(): void {
    this.registers.load({
      status: STATUS_CODE[this.status],
      fault_code: this.state.faultCode,
      power: this.energy.powerW,
      // Wh counters show whole watt-hours completed.
      session_energy: Math.floor(this.energy.sessionKWh * 1000 + 1e-6) / 1000,
      energy_total: Math.floor(this.energy.totalKWh * 1000 + 1e-6) / 1000,
      current_limit: this.state.currentLimitA,
      charge_control: this.state.lastCommand,
      reservation_minutes: reservationMinutesLeft(this.state, this.energy.timeMs),
    });
  }
}

/** The connector command a write of one holding register means (the profile's commands). */
function commandFor(field: string, value: number, nowMs: number): ConnectorEvent | undefined {
  switch (field) {
    case 'charge_control':
      if (value === CHARGE_CONTROL.start) return { type: 'start' };
      if (value === CHARGE_CONTROL.stop) return { type: 'stop', nowMs };
      return undefined; // 0 (none) or anything else is not a command
    case 'reservation_minutes':
      return value === 0
        ? { type: 'cancel-reservation' }
        : { type: 'reserve', minutes: value, nowMs };
    case 'current_limit':
      // 0.1 A steps: undo the scale's float error (165 × 0.1 = 16.500000000000004).
      return { type: 'set-current-limit', amps: Math.round(value * 10) / 10 };
    default:
      return undefined;
  }
}
