import {
  type ClockAndTimers,
  cpfCheckDigits,
  GridlinkError,
  getProfile,
  systemClock,
} from '@gridlink/shared';
import { type Logger, pino } from 'pino';
import { CarDevice, getCarModel, mercosulPlate } from '../cars/index.js';
import {
  ChargerDevice,
  KEBA_UNIT_ID,
  KebaCharger,
  KebaModbusCharger,
  KebaUdpCharger,
} from '../chargers/index.js';
import { type ControlServer, startControlServer } from '../control/index.js';
import {
  ModbusMeterDevice,
  type SimDevice,
  TcpJsonMeterDevice,
  UdpMeterDevice,
} from '../devices/index.js';
import { JourneyClients } from '../journeys/index.js';
import { MeterModel, SimulatedMeter } from '../meters/index.js';
import {
  type ModbusRtuServer,
  type RtuLineStats,
  startModbusRtuServer,
  startModbusTcpServer,
} from '../modbus/index.js';
import { hash32, uniform } from '../random/index.js';
import { createPtyPair, type PtyPair } from '../serial/index.js';
import { PushPacer } from './push-pacer.js';
import type { Scenario } from './scenario.js';
import { serveOverPorts } from './serve-over-ports.js';

export interface FleetOptions {
  /** Device models' time and the tick and pace timers; default the system clock. */
  clock?: ClockAndTimers;
  logger?: Logger;
}

export interface Fleet {
  readonly modbusTcp: ReadonlyArray<{
    host: string;
    port: number;
    movedFrom?: number;
    meters: number;
  }>;
  readonly modbusRtu: ReadonlyArray<{
    path: string;
    /** The master's end, when the simulator created a pty pair. */
    clientPath?: string;
    baudRate: number;
    stats(): RtuLineStats;
  }>;
  /** Modbus TCP ports serving chargers (unit ids 1..perPort each). */
  readonly chargers: ReadonlyArray<{
    host: string;
    port: number;
    movedFrom?: number;
    chargers: number;
  }>;
  /** KEBA stations, one port each (UDP, or Modbus TCP unit id 255). */
  readonly keba: ReadonlyArray<{
    deviceId: string;
    transport: 'udp' | 'modbus-tcp';
    host: string;
    port: number;
  }>;
  readonly control: { host: string; port: number; url: string } | undefined;
  readonly devices: ReadonlyMap<string, SimDevice>;
  /** Seed C's journey users (scenario `journeyClients`), when the scenario has them. */
  readonly journeys: JourneyClients | null;
  /** Advances every device to the clock's now; push devices send what is due. */
  tick(): void;
  /**
   * Sends the UDP meter readings that are due at the clock's now, and only those (a timer does
   * this every udpMeters.paceMs); returns how many meters sent.
   */
  pace(): number;
  /** Ground truth of every device. */
  truth(): Array<Record<string, unknown>>;
  /** Counts by kind, for the progress line and the final summary. */
  summary(): Record<string, number>;
  close(): Promise<void>;
}

function badKey(key: string, reason: string): never {
  throw new GridlinkError('GL_CONFIG_INVALID', `${key}: ${reason}`, { key });
}

/** A valid CPF (11 digits, check digits per Receita Federal) drawn from a seed. */
export function seededCpf(seed: number, n: number): string {
  const d = Array.from({ length: 9 }, (_, i) => Math.floor(uniform(seed, 0xc0f, n, i) * 10));
  return [...d, ...cpfCheckDigits(d)].join('');
}

/** Starts every device of a validated scenario. On failure, whatever started is stopped. */
export async function startFleet(scenario: Scenario, options: FleetOptions = {}): Promise<Fleet> {
  const clock = options.clock ?? systemClock;
  // The servers bind their own `component`: they take the root logger, not the fleet's child
  // (a second `component` key in one JSON line).
  const root = options.logger ?? pino({ level: 'silent' });
  const logger = root.child({ component: 'fleet' });
  const startMs = clock.now();
  const devices = new Map<string, SimDevice>();
  const closers: Array<() => Promise<void>> = [];
  const tcpOut: Array<{ host: string; port: number; movedFrom?: number; meters: number }> = [];
  const rtuOut: Array<{
    path: string;
    clientPath?: string;
    baudRate: number;
    stats(): RtuLineStats;
  }> = [];
  const chargerOut: Array<{ host: string; port: number; movedFrom?: number; chargers: number }> =
    [];
  const kebaOut: Array<{
    deviceId: string;
    transport: 'udp' | 'modbus-tcp';
    host: string;
    port: number;
  }> = [];
  const pacer = new PushPacer();
  let control: ControlServer | undefined;
  let journeys: JourneyClients | null = null;

  const close = async () => {
    for (const fn of closers.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'error while stopping');
      }
    }
  };

  const meterDevice = (
    deviceId: string,
    unitId: number,
    profile: string,
    seedKey: number,
    endpoint: Record<string, unknown>,
    replyDelayMs = 0,
  ) =>
    new ModbusMeterDevice({
      clock,
      endpoint,
      replyDelayMs,
      meter: new SimulatedMeter({
        deviceId,
        unitId,
        profile: getProfile(profile),
        model: new MeterModel({ seed: hash32(scenario.seed, seedKey), clock, startMs }),
      }),
    });

  try {
    const tcp = scenario.modbusTcp;
    if (tcp) {
      const served = await serveOverPorts(
        { ...tcp, count: tcp.meters, perPort: tcp.metersPerPort, logger: root },
        // Legacy seeding: meter k of a one-port fleet is seeded as unit k was before.
        (k, unit, at) =>
          meterDevice(`meter-${k}`, unit, tcp.profile, k, { transport: 'tcp', ...at }),
      );
      for (const { server, devices: ds } of served) {
        closers.push(() => server.close());
        for (const d of ds) devices.set(d.deviceId, d);
        tcpOut.push({
          host: server.host,
          port: server.port,
          ...(server.movedFrom === undefined ? {} : { movedFrom: server.movedFrom }),
          meters: ds.length,
        });
      }
    }

    for (const [i, line] of scenario.modbusRtu.entries()) {
      let pair: PtyPair | undefined;
      if (line.pty) {
        pair = await createPtyPair(line.pty);
        const p = pair;
        closers.push(() => p.close());
      }
      const path = pair?.devicePath ?? (line.path as string);
      const byUnit = new Map<number, ModbusMeterDevice>();
      for (let unit = 1; unit <= line.meters; unit++) {
        const d = meterDevice(
          `rtu${i + 1}-meter-${unit}`,
          unit,
          line.profile,
          0x10000 * (i + 1) + unit,
          { transport: 'rtu', path: pair?.clientPath ?? path, baudRate: line.baudRate },
          line.replyDelayMs,
        );
        byUnit.set(unit, d);
        devices.set(d.deviceId, d);
      }
      const server: ModbusRtuServer = await startModbusRtuServer({
        path,
        baudRate: line.baudRate,
        resolveUnit: (unit) => byUnit.get(unit)?.bank,
        replyDelayMs: (unit) => byUnit.get(unit)?.replyDelayMs ?? 0,
        shapeReply: (request, reply) => {
          const d = byUnit.get(request.unitId);
          return d ? d.shapeReply(request, reply) : { action: 'reply', reply };
        },
        logger: root,
      });
      closers.push(() => server.close());
      rtuOut.push({
        path,
        ...(pair ? { clientPath: pair.clientPath } : {}),
        baudRate: line.baudRate,
        stats: () => server.stats(),
      });
    }

    const ch = scenario.chargers;
    if (ch) {
      const served = await serveOverPorts(
        { ...ch, logger: root },
        (k, unit, at) =>
          new ChargerDevice({
            deviceId: `charger-${k}`,
            unitId: unit,
            clock,
            endpoint: { transport: 'tcp', ...at },
            seed: hash32(scenario.seed, 0xc4a0, k),
            profile: getProfile(ch.profile),
            currentLimitA: ch.currentLimitA,
            phases: ch.phases,
            voltageV: ch.voltageV,
            finishingMs: ch.finishingMs,
          }),
      );
      for (const { server, devices: ds } of served) {
        closers.push(() => server.close());
        for (const d of ds) devices.set(d.deviceId, d);
        chargerOut.push({
          host: server.host,
          port: server.port,
          ...(server.movedFrom === undefined ? {} : { movedFrom: server.movedFrom }),
          chargers: ds.length,
        });
      }
    }

    const kc = scenario.kebaChargers;
    if (kc) {
      for (let n = 1; n <= kc.count; n++) {
        const port = kc.port === 0 ? 0 : kc.port + n - 1;
        const common = {
          deviceId: `keba-${n}`,
          clock,
          seed: hash32(scenario.seed, 0x4eba, n),
          phases: kc.phases,
          voltageV: kc.voltageV,
          currentHwA: kc.currentHwA,
          vehicle: kc.vehicle,
        };
        let d: KebaCharger;
        let at: { host: string; port: number };
        if (kc.transport === 'udp') {
          const u = await KebaUdpCharger.start({ ...common, host: kc.host, port });
          closers.push(() => u.close());
          d = u;
          at = { host: kc.host, port: u.port };
        } else {
          let m: KebaModbusCharger | undefined;
          const server = await startModbusTcpServer({
            host: kc.host,
            port,
            resolveUnit: (unit) => (unit === KEBA_UNIT_ID ? m?.bank : undefined),
            shapeReply: (request, reply) =>
              m ? m.shapeReply(request, reply) : { action: 'reply', reply },
            logger: root,
          });
          closers.push(() => server.close());
          at = { host: server.host, port: server.port };
          m = new KebaModbusCharger({ ...common, endpoint: { transport: 'tcp', ...at } });
          d = m;
        }
        devices.set(d.deviceId, d);
        kebaOut.push({ deviceId: d.deviceId, transport: kc.transport, ...at });
      }
    }

    const udp = scenario.udpMeters;
    if (udp) {
      for (let n = 1; n <= udp.count; n++) {
        const d = new UdpMeterDevice({
          deviceId: `udp-meter-${n}`,
          meterId: `M${String(n).padStart(6, '0')}`,
          cpf: seededCpf(scenario.seed, n),
          target: udp.target,
          clock,
          intervalMs: udp.intervalMs,
          // Meter n of N reads at n/N of the interval: the fleet's sends spread evenly.
          phaseMs: Math.round((udp.intervalMs * n) / udp.count),
          rateKW: udp.rateKW * (0.5 + uniform(scenario.seed, 0xd0, n)),
          format: udp.format,
          timestamp: udp.timestamp,
        });
        devices.set(d.deviceId, d);
        pacer.add({
          get nextReadingMs() {
            return d.nextReadingMs;
          },
          advance: (now) => advanceSafely(d, now),
        });
        closers.push(() => d.close());
      }
    }

    const json = scenario.tcpJsonMeters;
    if (json) {
      for (let n = 1; n <= json.count; n++) {
        const d = new TcpJsonMeterDevice({
          deviceId: `json-meter-${n}`,
          target: json.target,
          clock,
          intervalMs: json.intervalMs,
          rateKW: json.rateKW * (0.5 + uniform(scenario.seed, 0xe0, n)),
          ...(json.ids ? { helloId: json.ids[n - 1] as number } : {}),
          newline: json.newline,
        });
        devices.set(d.deviceId, d);
        closers.push(() => d.close());
      }
    }

    const cars = scenario.cars;
    if (cars) {
      const plates = new Set<string>();
      for (let n = 1; n <= cars.count; n++) {
        let plate = mercosulPlate(scenario.seed, n);
        for (let attempt = 1; plates.has(plate); attempt++) {
          plate = mercosulPlate(scenario.seed, n, attempt);
        }
        plates.add(plate);
        const d = new CarDevice({
          deviceId: `car-${n}`,
          plate,
          model: getCarModel(cars.models[(n - 1) % cars.models.length] as string),
          password: cars.password.replaceAll('{plate}', plate),
          brokerUrl: `mqtt://${cars.broker.host}:${cars.broker.port}`,
          clock,
          intervalMs: cars.intervalMs,
          phaseMs: Math.round((cars.intervalMs * n) / cars.count),
          initialSoc:
            cars.batteryPct === null
              ? 0.2 + 0.7 * uniform(scenario.seed, 0xca5, n)
              : cars.batteryPct / 100,
        });
        devices.set(d.deviceId, d);
        closers.push(() => d.close());
      }
    }

    for (const [carId, chargerId] of Object.entries(scenario.plugs)) {
      const car = devices.get(carId);
      const charger = devices.get(chargerId);
      if (!(car instanceof CarDevice)) badKey(`plugs.${carId}`, 'no such car in this scenario');
      if (!(charger instanceof ChargerDevice || charger instanceof KebaCharger)) {
        badKey(`plugs.${carId}`, `no charger ${chargerId} in this scenario`);
      }
      car.plugInto(charger);
    }
    for (const [carId, speedKmh] of Object.entries(scenario.driving)) {
      const car = devices.get(carId);
      if (!(car instanceof CarDevice)) badKey(`driving.${carId}`, 'no such car in this scenario');
      car.setDriving(speedKmh);
    }

    for (const [id, spec] of Object.entries(scenario.faults)) {
      const d = devices.get(id);
      if (!d) throw new Error(`faults.${id}: no such device in this scenario`);
      d.setFault(spec);
    }

    if (scenario.journeyClients) {
      const j = new JourneyClients(
        scenario.journeyClients,
        scenario.seed,
        clock,
        root.child({ component: 'journeys' }),
      );
      journeys = j;
      closers.push(() => j.close());
    }

    if (scenario.control) {
      const c = await startControlServer({
        devices: { list: () => devices.values(), get: (id) => devices.get(id) },
        host: scenario.control.host,
        port: scenario.control.port,
        logger: root,
      });
      control = c;
      closers.push(() => c.close());
    }
  } catch (err) {
    await close();
    throw err;
  }

  function advanceSafely(d: SimDevice, now: number): void {
    try {
      d.advance(now);
    } catch (err) {
      logger.error({ err, deviceId: d.deviceId }, 'device failed to advance');
    }
  }
  const tick = () => {
    const now = clock.now();
    // Cars first: a plugged car pulls its charger to each publish time, so what it publishes
    // is exact at that time; the chargers then catch up to now.
    for (const d of devices.values()) if (d.kind === 'car') advanceSafely(d, now);
    for (const d of devices.values()) if (d.kind !== 'car') advanceSafely(d, now);
  };
  const pace = () => pacer.run(clock.now());
  tick(); // push devices connect at once
  const timer = clock.setInterval(tick, scenario.tickMs);
  timer.unref();
  closers.push(async () => clock.clearInterval(timer));
  if (pacer.size > 0 && scenario.udpMeters) {
    const paceTimer = clock.setInterval(pace, scenario.udpMeters.paceMs);
    paceTimer.unref();
    closers.push(async () => clock.clearInterval(paceTimer));
  }

  return {
    modbusTcp: tcpOut,
    modbusRtu: rtuOut,
    chargers: chargerOut,
    keba: kebaOut,
    control: control && { host: control.host, port: control.port, url: control.url },
    devices,
    journeys,
    tick,
    pace,
    truth: () => Array.from(devices.values(), (d) => d.truth()),
    summary: () => {
      const out: Record<string, number> = {};
      for (const d of devices.values()) out[d.kind] = (out[d.kind] ?? 0) + 1;
      for (const d of devices.values()) {
        const t = d.truth() as { sent?: number };
        if (typeof t.sent === 'number') out.sent = (out.sent ?? 0) + t.sent;
      }
      let faulted = 0;
      for (const d of devices.values()) if (d.faults.active) faulted++;
      out.faulted = faulted;
      if (journeys) {
        const j = journeys.summary();
        out.journeys = j.journeys;
        out.journeysReserved = j.reserved;
        out.journeysFailed = j.failed;
      }
      if (scenario.chargers || scenario.kebaChargers) {
        let charging = 0;
        for (const d of devices.values()) {
          if (d instanceof ChargerDevice && d.status === 'charging') charging++;
          if (d instanceof KebaCharger && d.status === 'charging') charging++;
        }
        out.charging = charging;
      }
      return out;
    },
    close,
  };
}
