import { GridlinkError } from '@gridlink/shared';
import type { Clock } from '../clock/index.js';
import { checkFaultSupported, type SimDevice } from '../devices/index.js';
import { DeviceFaults, type FaultMode, type FaultSpec } from '../faults/index.js';
import { uniform } from '../random/index.js';
import type { ChargingVehicle } from './charger-device.js';
import {
  initialKebaState,
  type KebaEvent,
  type KebaStateCode,
  type KebaStationState,
  type KebaTransition,
  kebaPlug,
  kebaState,
  kebaTransition,
  offeredCurrentMa,
} from './keba-station.js';
import { SessionEnergy } from './session-energy.js';

export interface KebaChargerOptions {
  deviceId: string;
  clock: Clock;
  /** Seeds the serial number and the lifetime energy. */
  seed: number;
  /** Phases the station supplies (KEBA P30: 1 or 3). Default 3. */
  phases?: 1 | 3;
  /** Phase-to-neutral voltage, V. Default 230. */
  voltageV?: number;
  /** What the hardware allows ("Curr HW" / 1110), A. Default 32. */
  currentHwA?: number;
  /** Lifetime energy at start, kWh. Default seeded in 0..2000 (whole 0.1 Wh). */
  initialEnergyKWh?: number;
  /** A vehicle that takes the whole offer is plugged in at start. Default false. */
  vehicle?: boolean;
  /** Power is recomputed at each step boundary (aligned to the epoch). Default 1000 ms. */
  stepMs?: number;
}

const STATE_NAMES = ['starting', 'not ready', 'ready', 'charging', 'error', 'suspended'] as const;

/** Reports in the station's own units (keys as the UDP guide names them). */
export type KebaReport = Record<string, number | string>;

/** Served values in raw protocol units; both transports format them from here. */
export interface KebaMeasurements {
  /** V per phase. */
  u: [number, number, number];
  /** mA per phase. */
  i: [number, number, number];
  /** mW. */
  p: number;
  /** 0.1 %. */
  pf: number;
  /** Session and lifetime energy, 0.1 Wh. */
  ePres: number;
  eTotal: number;
}

/**
 * A KEBA KeContact P30 station: the state machine (keba-station.ts) plus time and energy. While
 * charging it offers phases × V × the offered current; the vehicle takes what it accepts and the
 * energy counters integrate that power step by step (like the GridLink charger: power is
 * recomputed at each step boundary and at every event). Served values are those of the last
 * `advance` or event, so a report reads the same until the model moves.
 *
 * Transports (UDP, Modbus TCP) extend it; `changed()` tells them the served state moved.
 */
export abstract class KebaCharger implements SimDevice {
  readonly kind = 'keba-charger' as const;
  readonly deviceId: string;
  readonly serial: string;
  readonly faults: DeviceFaults;
  protected readonly clock: Clock;
  protected endpoint: Record<string, unknown> = {};
  private readonly phases: 1 | 3;
  private readonly voltageV: number;
  private readonly bootMs: number;
  private state: KebaStationState;
  private vehicleRef: ChargingVehicle | null = null;
  private readonly energy: SessionEnergy;
  private sessions = 0;
  private readonly refused: Record<string, number> = {};
  private accepted = 0;

  protected constructor(options: KebaChargerOptions, supportedFaults: readonly FaultMode[]) {
    this.deviceId = options.deviceId;
    this.clock = options.clock;
    this.phases = options.phases ?? 3;
    this.voltageV = options.voltageV ?? 230;
    this.bootMs = this.clock.now();
    this.serial = String(10_000_000 + Math.floor(uniform(options.seed, 0x5e) * 89_999_999));
    this.energy = new SessionEnergy({
      startMs: this.bootMs,
      totalKWh:
        options.initialEnergyKWh ?? Math.floor(20_000_000 * uniform(options.seed, 0xe7)) / 10_000,
      stepMs: options.stepMs ?? 1000,
      power: () => this.stepPower(),
    });
    this.state = initialKebaState(Math.round((options.currentHwA ?? 32) * 1000));
    this.faults = new DeviceFaults(options.clock, supportedFaults);
    if (options.vehicle) this.plug();
  }

  /** KEBA State (0 start-up … 5 suspended). */
  get stateCode(): KebaStateCode {
    return kebaState(this.state, this.sessionTenthsWh(), this.energy.powerW > 0);
  }

  /** The state's name, for listings and the control API. */
  get status(): string {
    return STATE_NAMES[this.stateCode];
  }

  /** Power delivered right now, W. */
  get deliveringW(): number {
    return this.energy.powerW;
  }

  get station(): Readonly<KebaStationState> {
    return { ...this.state };
  }

  /** Plugs a vehicle in (default: one that takes the whole offer). GL_CONFLICT when occupied. */
  plug(vehicle?: ChargingVehicle): string {
    this.event({ type: 'plug' });
    this.vehicleRef = vehicle ?? wholeOfferVehicle(`${this.deviceId}-vehicle`);
    // A new vehicle is a new session: "E pres" starts again from 0.
    this.energy.sessionKWh = 0;
    this.sessions++;
    this.energy.recompute();
    this.changed();
    return this.status;
  }

  /** Takes the vehicle away. GL_CONFLICT when there is none. */
  unplug(): string {
    this.event({ type: 'unplug' });
    return this.status;
  }

  /**
   * A command from the wire (`ena`, `curr`, `setenergy`, `unlock`, or their registers), at the
   * clock's now. A refusal changes nothing and is returned, for the transport to answer with
   * (TCH-ERR, Modbus exception 03).
   */
  protected command(e: KebaEvent, name: string): KebaTransition {
    this.integrate(this.clock.now());
    const event = e.type === 'unlock' ? { ...e, charging: this.energy.powerW > 0 } : e;
    const t = kebaTransition(this.state, event);
    if (!t.ok) {
      this.refused[name] = (this.refused[name] ?? 0) + 1;
      return t;
    }
    this.accepted++;
    this.commit(t.state);
    return t;
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    if (spec.mode === 'connector-fault') this.event({ type: 'fault', code: spec.faultCode ?? 1 });
    else if (this.faults.active?.spec.mode === 'connector-fault')
      this.event({ type: 'clear-fault' });
    this.faults.set(spec);
  }

  clearFault(): void {
    if (this.faults.active?.spec.mode === 'connector-fault') this.event({ type: 'clear-fault' });
    this.faults.clear();
  }

  /** Integrates power up to `toMs` (never backwards); served values move to that time. */
  advance(toMs: number): void {
    this.integrate(toMs);
    this.changed();
  }

  /** Raw served values at the model's time. */
  measurements(): KebaMeasurements {
    const active = (k: number) => k < this.phases;
    const perPhaseMa =
      this.energy.powerW > 0 ? (this.energy.powerW / (this.phases * this.voltageV)) * 1000 : 0;
    const u = [0, 1, 2].map((k) => (active(k) ? this.voltageV : 0)) as KebaMeasurements['u'];
    const i = [0, 1, 2].map((k) =>
      active(k) ? Math.round(perPhaseMa) : 0,
    ) as KebaMeasurements['i'];
    return {
      u,
      i,
      p: Math.round(this.energy.powerW * 1000),
      pf: this.energy.powerW > 0 ? 1000 : 0,
      ePres: this.sessionTenthsWh(),
      eTotal: Math.floor(this.energy.totalKWh * 10_000 + 1e-6),
    };
  }

  /** "Max curr": the current offered now, mA. */
  offeredMa(): number {
    return offeredCurrentMa(this.state, this.sessionTenthsWh());
  }

  /** "Plug" bit flags. */
  plugState(): number {
    return kebaPlug(this.state);
  }

  /** Seconds since the station started ("Sec"). */
  uptimeS(): number {
    return Math.floor((this.energy.timeMs - this.bootMs) / 1000);
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      serial: this.serial,
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
      serial: this.serial,
      ...this.endpoint,
      timeMs: this.energy.timeMs,
      state: this.stateCode,
      status: this.status,
      vehicle: this.vehicleRef?.deviceId ?? null,
      station: this.station,
      measured: {
        powerW: this.energy.powerW,
        sessionEnergyKWh: this.energy.sessionKWh,
        energyTotalKWh: this.energy.totalKWh,
        offeredMa: this.offeredMa(),
      },
      served: this.served(),
      sessions: this.sessions,
      commands: this.accepted,
      refusedCommands: { ...this.refused },
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  /** What the transport serves right now, in its own terms (reports, registers). */
  protected abstract served(): Record<string, unknown>;

  /** The served state moved (an event, or time); transports may announce it. */
  protected changed(): void {}

  private sessionTenthsWh(): number {
    return Math.floor(this.energy.sessionKWh * 10_000 + 1e-6);
  }

  /** A physical or fault event at the clock's now; a refusal is a GridlinkError. */
  private event(e: KebaEvent): void {
    this.integrate(this.clock.now());
    const t = kebaTransition(this.state, e);
    if (!t.ok) {
      throw new GridlinkError(
        t.kind === 'value' ? 'GL_CONFIG_INVALID' : 'GL_CONFLICT',
        `${this.deviceId}: ${t.reason}`,
        { deviceId: this.deviceId, status: this.status },
      );
    }
    this.commit(t.state);
  }

  private commit(next: KebaStationState): void {
    const hadVehicle = this.state.vehicle;
    this.state = next;
    if (hadVehicle && !next.vehicle) {
      const v = this.vehicleRef;
      this.vehicleRef = null;
      v?.onUnplugged();
    }
    this.energy.recompute();
    this.changed();
  }

  /** Time and energy up to `toMs`; the energy limit (0.1 Wh, 0 = none) caps the session. */
  private integrate(toMs: number): void {
    this.energy.advance(toMs, this.vehicleRef, this.state.energyLimit / 10_000);
  }

  /** The power of the current step: what the vehicle takes of the offered current. */
  private stepPower(): number {
    const offeredW = (this.phases * this.voltageV * this.offeredMa()) / 1000;
    return this.vehicleRef && this.state.vehicle && offeredW > 0
      ? this.vehicleRef.acceptPowerW(offeredW)
      : 0;
  }
}

/** A vehicle with an endless battery: takes every watt offered. */
function wholeOfferVehicle(deviceId: string): ChargingVehicle {
  return {
    deviceId,
    acceptPowerW: (offeredW) => offeredW,
    receiveEnergy: (kWh) => kWh,
    onUnplugged: () => {},
  };
}
