import { type ClockAndTimers, systemClock } from '@gridlink/shared';
import { type Logger, pino } from 'pino';
import { MeterModel, SimulatedMeter } from '../meters/index.js';
import { type RegisterBank, startModbusTcpServer } from '../modbus/index.js';
import { hash32 } from '../random/index.js';
import { resolveSimulatorOptions, type SimulatorOptions } from './options.js';

/** What a fleet needs of any simulated device (meters now; chargers later). */
export interface SimulatedDevice {
  readonly deviceId: string;
  readonly unitId: number;
  readonly profile: { readonly id: string };
  readonly bank: RegisterBank;
  /** Moves the device to `toMs` and refreshes what it serves. */
  advance(toMs: number): void;
  /** The values it serves right now: the ground truth for a poller. */
  snapshot(): Record<string, number>;
}

export interface SimulatorDeviceInfo {
  deviceId: string;
  unitId: number;
  profile: string;
}

export interface Simulator {
  /** The Modbus TCP port actually bound. */
  readonly port: number;
  readonly modbusTcp: { host: string; port: number; movedFrom?: number };
  readonly devices: readonly SimulatorDeviceInfo[];
  /** The values a device serves right now; undefined for an unknown device id. */
  groundTruth(deviceId: string): Record<string, number> | undefined;
  /** Advances every device to the clock's now (the timer does this every tickMs). */
  tick(): void;
  /** Stops the timer and the server, closing open connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a fleet of simulated meters behind one Modbus TCP port, as unit ids 1..N, with device
 * ids meter-1..meter-N. Each meter's model is seeded from (seed, unit id), so a fleet replays.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const resolved = resolveSimulatorOptions(options);
  const clock: ClockAndTimers = options.clock ?? systemClock;
  const logger: Logger = (options.logger ?? pino({ level: 'silent' })).child({
    component: 'simulator',
  });
  const startMs = clock.now();

  const devices: SimulatedDevice[] = [];
  for (let unitId = 1; unitId <= resolved.meters; unitId++) {
    devices.push(
      new SimulatedMeter({
        deviceId: `meter-${unitId}`,
        unitId,
        profile: resolved.profile,
        model: new MeterModel({ seed: hash32(resolved.seed, unitId), clock, startMs }),
      }),
    );
  }
  const byUnit = new Map(devices.map((d) => [d.unitId, d]));
  const byId = new Map(devices.map((d) => [d.deviceId, d]));

  const server = await startModbusTcpServer({
    ...resolved.modbusTcp,
    resolveUnit: (unitId) => byUnit.get(unitId)?.bank,
    logger,
  });

  const tick = () => {
    const now = clock.now();
    for (const device of devices) {
      try {
        device.advance(now);
      } catch (err) {
        logger.error({ err, deviceId: device.deviceId }, 'device model failed to advance');
      }
    }
  };
  const timer = clock.setInterval(tick, resolved.tickMs);
  timer.unref();

  logger.info(
    { devices: devices.length, host: server.host, port: server.port },
    'simulator started',
  );
  return {
    port: server.port,
    modbusTcp: {
      host: server.host,
      port: server.port,
      ...(server.movedFrom === undefined ? {} : { movedFrom: server.movedFrom }),
    },
    devices: devices.map((d) => ({
      deviceId: d.deviceId,
      unitId: d.unitId,
      profile: d.profile.id,
    })),
    groundTruth: (deviceId) => byId.get(deviceId)?.snapshot(),
    tick,
    close() {
      clock.clearInterval(timer);
      return server.close();
    },
  };
}
