import { GridlinkError } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { Clock } from '../clock/index.js';
import { checkFaultSupported, type SimDevice } from '../devices/index.js';
import { DeviceFaults, type FaultSpec } from '../faults/index.js';
import { CarBattery } from './car-battery.js';
import type { CarModel } from './car-models.js';

/** What a car needs of the charger it is plugged into (a ChargerDevice). */
export interface ChargePoint {
  readonly deviceId: string;
  /** Power delivered right now, W. */
  readonly deliveringW: number;
  /** Integrates the charger (and so this car's battery) up to `toMs`. */
  advance(toMs: number): void;
  /** The vehicle leaves; the charger calls back `onUnplugged`. */
  unplug(): unknown;
  /** Plugs a vehicle in; refuses (GL_CONFLICT) when occupied. */
  plug(vehicle: CarDevice): unknown;
}

export interface CarDeviceOptions {
  deviceId: string;
  /** Licence plate: the MQTT topic segment (and, by default, in the MQTT username). */
  plate: string;
  model: CarModel;
  /**
   * MQTT username. Default `car@{plate}`, the GridLink central's form for a car credential
   * (central/src/broker/principals.ts `usernameOf`); give the bare plate for a broker that keys
   * cars by plate alone.
   */
  username?: string;
  /** MQTT password of this car. */
  password: string;
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  brokerUrl: string;
  clock: Clock;
  /** Status/battery publish interval, ms. Default 5000. */
  intervalMs?: number;
  /** When the first publish is due after start, ms (spreads a fleet's publishes). Default intervalMs. */
  phaseMs?: number;
  /** State of charge at start, 0..1. */
  initialSoc: number;
  /** Default 1000 ms between reconnect attempts. */
  reconnectMs?: number;
  /** Default true; false builds the model without an MQTT client (arithmetic tests). */
  connect?: boolean;
}

/** `carros/{plate}/status` (SEEDS.md A). */
export interface CarStatusPayload {
  placa: string;
  /** State of charge, %, one decimal. */
  nivel_bateria: number;
  /** Energy is flowing into the battery right now. */
  em_carregamento: boolean;
}

/** `carros/{plate}/bateria`: the battery in detail (GridLink's choice; docs/SIMULATOR.md). */
export interface CarBatteryPayload extends CarStatusPayload {
  /** The seed's model name, e.g. "Nissan Leaf". */
  modelo: string;
  /** kWh (the seed's battery_capacity). */
  capacidade_bateria: number;
  /** Energy stored, kWh, 3 decimals. */
  energia_kwh: number;
  /** Range left at the model's consumption, km, 1 decimal. */
  autonomia_km: number;
  /** kWh/km (the seed's energy_consumption; SEEDS.md B calls it taxa_descarga). */
  taxa_descarga: number;
  /** Charging power, kW, 3 decimals; 0 when not charging. */
  potencia_kw: number;
  /** When the reading was taken (the car's clock), ISO 8601 UTC. */
  timestamp: string;
}

/** The MQTT username of a car at the GridLink central: `car@{plate}`. */
export const carUsername = (plate: string) => `car@${plate}`;

export const carTopics = (plate: string) => ({
  status: `carros/${plate}/status`,
  bateria: `carros/${plate}/bateria`,
});

const CAR_FAULTS = ['no-reply', 'late-reply', 'link-flap', 'clock-skew'] as const;
const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * A car as an MQTT client (SEEDS.md A). Its battery drains while it drives (the model's kWh/km)
 * and fills while a charger delivers (power × time, tapering above 80 %). Every interval it
 * publishes `carros/{plate}/status` and `carros/{plate}/bateria` at QoS 1, logged in with
 * username `car@{plate}` (or `username`) and its own password. Publishing is driven by `advance`: each interval
 * boundary passed is one reading, computed at that boundary's time.
 */
export class CarDevice implements SimDevice {
  readonly kind = 'car' as const;
  readonly deviceId: string;
  readonly plate: string;
  readonly model: CarModel;
  readonly faults: DeviceFaults;
  readonly battery: CarBattery;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly topics: { status: string; bateria: string };
  private readonly client: MqttClient | undefined;
  private time: number;
  private nextDueMs: number;
  private speed = 0;
  private chargePoint: ChargePoint | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private connectedOnce = false;
  private readyWaiters: Array<() => void> = [];
  private refusedWaiters: Array<() => void> = [];
  private readonly stats = {
    sent: 0,
    acked: 0,
    publishErrors: 0,
    skipped: 0,
    connects: 0,
    authFailures: 0,
    distanceKm: 0,
    drivenKWh: 0,
    chargedKWh: 0,
    emptied: 0,
  };
  private lastStatus: CarStatusPayload | null = null;
  private lastBateria: CarBatteryPayload | null = null;

  constructor(private readonly options: CarDeviceOptions) {
    this.deviceId = options.deviceId;
    this.plate = options.plate;
    this.model = options.model;
    this.clock = options.clock;
    this.intervalMs = options.intervalMs ?? 5000;
    this.topics = carTopics(options.plate);
    this.battery = new CarBattery(options.model, options.initialSoc);
    this.time = this.clock.now();
    this.nextDueMs = this.time + (options.phaseMs ?? this.intervalMs);
    this.faults = new DeviceFaults(options.clock, CAR_FAULTS);
    if (options.connect !== false) {
      const username = options.username ?? carUsername(options.plate);
      const client = mqtt.connect(options.brokerUrl, {
        username,
        password: options.password,
        // Inside the username's client-id namespace (`{username}:{suffix}`), which the central's
        // broker requires of a car (central/src/broker/client-ids.ts).
        clientId: `${username}:sim`,
        reconnectPeriod: options.reconnectMs ?? 1000,
        connectTimeout: 10_000,
        clean: true,
      });
      client.on('connect', () => {
        this.stats.connects++;
        this.connectedOnce = true;
        for (const w of this.readyWaiters.splice(0)) w();
      });
      client.on('error', (err: Error & { code?: unknown }) => {
        // CONNACK return codes 4 (bad user name or password) and 5 (not authorized), MQTT 3.1.1 §3.2.2.3.
        if (err.code === 4 || err.code === 5) {
          this.stats.authFailures++;
          for (const w of this.refusedWaiters.splice(0)) w();
        }
      });
      this.client = client;
    }
  }

  /** Resolves once the car has connected to the broker. */
  ready(): Promise<void> {
    if (this.connectedOnce) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * A new MQTT password (a credential the central issued or rotated): the car connects again
   * with it at once (mqtt.js does not retry after a refused CONNACK by itself).
   */
  setPassword(password: string): void {
    const client = this.client;
    if (!client) return;
    client.options.password = password;
    client.reconnect();
  }

  /** Resolves the next time the broker refuses this car's credentials. */
  refused(): Promise<void> {
    return new Promise((resolve) => this.refusedWaiters.push(resolve));
  }

  get speedKmh(): number {
    return this.speed;
  }

  get charger(): string | null {
    return this.chargePoint?.deviceId ?? null;
  }

  get mode(): 'driving' | 'plugged' | 'parked' {
    if (this.chargePoint) return 'plugged';
    return this.speed > 0 ? 'driving' : 'parked';
  }

  /** Energy is flowing into the battery right now. */
  get charging(): boolean {
    return this.chargePoint !== null && this.chargePoint.deliveringW > 0;
  }

  /** Drives at `speedKmh` from now on (0 parks). Refused while plugged in or with an empty battery. */
  setDriving(speedKmh: number): number {
    if (
      typeof speedKmh !== 'number' ||
      !Number.isFinite(speedKmh) ||
      speedKmh < 0 ||
      speedKmh > this.model.maxSpeedKmh
    ) {
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `speedKmh: must be a number 0..${this.model.maxSpeedKmh} (the ${this.model.name}'s max_speed), got ${JSON.stringify(speedKmh)}`,
        { key: 'speedKmh' },
      );
    }
    this.moveTo(this.clock.now());
    if (speedKmh > 0 && this.chargePoint) {
      throw new GridlinkError('GL_CONFLICT', `${this.deviceId} is plugged into ${this.charger}`, {
        deviceId: this.deviceId,
      });
    }
    if (speedKmh > 0 && this.battery.energyKWh <= 0) {
      throw new GridlinkError('GL_CONFLICT', `${this.deviceId}: battery empty`, {
        deviceId: this.deviceId,
      });
    }
    this.speed = speedKmh;
    return this.speed;
  }

  /** Plugs into a charger (the car must be parked and free). */
  plugInto(charger: ChargePoint): void {
    if (this.chargePoint) {
      throw new GridlinkError(
        'GL_CONFLICT',
        `${this.deviceId} is already plugged into ${this.charger}`,
        {
          deviceId: this.deviceId,
        },
      );
    }
    this.moveTo(this.clock.now());
    if (this.speed > 0) {
      throw new GridlinkError('GL_CONFLICT', `${this.deviceId} is driving; park it first`, {
        deviceId: this.deviceId,
      });
    }
    this.chargePoint = charger;
    try {
      charger.plug(this);
    } catch (err) {
      this.chargePoint = null;
      throw err;
    }
  }

  /** Takes the car off its charger. */
  unplug(): void {
    const cp = this.chargePoint;
    if (!cp) {
      throw new GridlinkError('GL_CONFLICT', `${this.deviceId} is not plugged in`, {
        deviceId: this.deviceId,
      });
    }
    this.moveTo(this.clock.now());
    cp.unplug(); // calls onUnplugged
  }

  // ChargingVehicle, for the charger:
  acceptPowerW(offeredW: number): number {
    return this.battery.acceptPowerW(offeredW);
  }

  receiveEnergy(kWh: number): number {
    const taken = this.battery.charge(kWh);
    this.stats.chargedKWh += taken;
    return taken;
  }

  onUnplugged(): void {
    this.chargePoint = null;
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      plate: this.plate,
      model: this.model.name,
      broker: this.options.brokerUrl,
      topics: this.topics,
      intervalMs: this.intervalMs,
      mode: this.mode,
      speedKmh: this.speed,
      charger: this.charger,
      fault: this.faults.active?.spec ?? null,
    };
  }

  truth(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      plate: this.plate,
      model: this.model.name,
      timeMs: this.time,
      batteryKWh: this.battery.energyKWh,
      soc: this.battery.soc,
      mode: this.mode,
      speedKmh: this.speed,
      charger: this.charger,
      ...this.stats,
      lastStatus: this.lastStatus,
      lastBateria: this.lastBateria,
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    this.faults.set(spec);
  }

  clearFault(): void {
    this.faults.clear();
  }

  advance(nowMs: number): void {
    while (this.nextDueMs <= nowMs) {
      const at = this.nextDueMs;
      this.moveTo(at);
      this.nextDueMs += this.intervalMs;
      const plan = this.faults.sendPlan();
      if (!plan.send) {
        this.stats.skipped++;
        continue;
      }
      this.publishReading(at, plan.delayMs);
    }
    this.moveTo(nowMs);
  }

  /** The two payloads as of now (the model's time). */
  payloads(atMs = this.time): { status: CarStatusPayload; bateria: CarBatteryPayload } {
    const status: CarStatusPayload = {
      placa: this.plate,
      nivel_bateria: round(this.battery.soc * 100, 1),
      em_carregamento: this.charging,
    };
    const bateria: CarBatteryPayload = {
      ...status,
      modelo: this.model.name,
      capacidade_bateria: this.model.batteryCapacityKWh,
      energia_kwh: round(this.battery.energyKWh, 3),
      autonomia_km: round(this.battery.rangeKm, 1),
      taxa_descarga: this.model.consumptionKWhPerKm,
      potencia_kw: this.charging ? round((this.chargePoint?.deliveringW ?? 0) / 1000, 3) : 0,
      timestamp: new Date(atMs + this.faults.clockSkewMs()).toISOString(),
    };
    return { status, bateria };
  }

  /** Moves the model to `toMs`: driving drains the battery; a charger fills it. */
  private moveTo(toMs: number): void {
    if (toMs <= this.time) return;
    if (this.speed > 0) {
      const { km, kWh } = this.battery.drive(this.speed, toMs - this.time);
      this.stats.distanceKm += km;
      this.stats.drivenKWh += kWh;
      if (this.battery.energyKWh <= 0) {
        this.speed = 0; // empty: the car stops where it is
        this.stats.emptied++;
      }
    }
    this.chargePoint?.advance(toMs);
    this.time = toMs;
  }

  private publishReading(atMs: number, delayMs: number): void {
    const { status, bateria } = this.payloads(atMs);
    this.lastStatus = status;
    this.lastBateria = bateria;
    const go = () => {
      this.publish(this.topics.status, status);
      this.publish(this.topics.bateria, bateria);
    };
    if (delayMs <= 0) {
      go();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      go();
    }, delayMs);
    this.timers.add(timer);
  }

  private publish(topic: string, payload: object): void {
    this.stats.sent++;
    // QoS 1: the broker acknowledges with PUBACK (MQTT 3.1.1 §4.3.2); offline publishes queue.
    this.client?.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
      if (err) this.stats.publishErrors++;
      else this.stats.acked++;
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const client = this.client;
    if (!client) return;
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }
}
