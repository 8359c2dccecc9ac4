import { type DeviceHealth, type Profile, planBlocks, type ReadBlock } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/index.js';
import type { ModbusTcpLink } from '../modbus/index.js';
import { type PolledReading, readDevice } from './read-device.js';

export interface Clock {
  now(): number;
}

export interface DevicePollerOptions {
  device: DeviceConfig;
  profile: Profile;
  link: ModbusTcpLink;
  onReading: (reading: PolledReading) => void;
  logger: Logger;
  clock?: Clock;
}

/**
 * Polls one device on its interval. Ticks are aligned to a fixed grid (no drift); a tick that
 * arrives while the previous poll still runs is not queued but counted as an overrun, so a slow
 * device never silently loses polls nor piles them up.
 */
export class DevicePoller {
  readonly #o: DevicePollerOptions;
  readonly #clock: Clock;
  #blocks: ReadBlock[];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = true;
  #nextAt = 0;
  readonly #health: DeviceHealth;

  constructor(options: DevicePollerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
    const fields = options.profile.fields.filter((f) => f.type !== 'string');
    this.#blocks = planBlocks(fields, { maxGap: options.device.maxGap });
    this.#health = {
      deviceId: options.device.id,
      online: false,
      lastOkAt: null,
      consecutiveFailures: 0,
      polls: 0,
      failures: 0,
      overruns: 0,
      lastError: null,
    };
  }

  get health(): DeviceHealth {
    return { ...this.#health };
  }

  start(): void {
    this.#stopped = false;
    this.#nextAt = this.#clock.now();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** One poll now; resolves when it is done. */
  async pollOnce(): Promise<void> {
    const { device, link, logger } = this.#o;
    this.#health.polls++;
    const result = await readDevice(
      link,
      {
        deviceId: device.id,
        unitId: device.unitId,
        timeoutMs: device.timeoutMs,
        retries: device.retries,
      },
      this.#blocks,
      () => this.#clock.now(),
    );
    if (result.refused.length > 0) {
      // The device will not serve these spans as a whole: read their fields one by one from now on.
      const refused = new Set(result.refused);
      this.#blocks = this.#blocks.flatMap((b) =>
        refused.has(b) ? b.fields.map((f) => planBlocks([f])[0] as ReadBlock) : [b],
      );
      logger.info(
        { deviceId: device.id, blocks: this.#blocks.length },
        'device refused a block read; falling back to per-field reads',
      );
    }
    if (result.reading) {
      this.#o.onReading(result.reading);
      if (!this.#health.online) logger.info({ deviceId: device.id }, 'device online');
      this.#health.online = true;
      this.#health.consecutiveFailures = 0;
      this.#health.lastOkAt = result.reading.ts;
    } else {
      this.#health.failures++;
      this.#health.consecutiveFailures++;
      if (this.#health.online && this.#health.consecutiveFailures >= device.offlineAfter) {
        this.#health.online = false;
        logger.warn(
          {
            deviceId: device.id,
            code: 'GL_DEVICE_OFFLINE',
            failures: this.#health.consecutiveFailures,
          },
          'device offline',
        );
      }
    }
    const first = result.errors[0];
    this.#health.lastError = first ? `${first.code}: ${first.message}`.slice(0, 300) : null;
    if (first)
      logger.debug(
        { deviceId: device.id, code: first.code, errors: result.errors.length },
        'poll had errors',
      );
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = Math.max(0, this.#nextAt - this.#clock.now());
    this.#timer = setTimeout(() => this.#tick(), delay);
    this.#timer.unref?.();
  }

  #tick(): void {
    const interval = this.#o.device.intervalMs;
    this.#nextAt += interval;
    const now = this.#clock.now();
    if (this.#nextAt <= now) {
      // Ticks missed while the event loop or the device was slow.
      const missed = Math.floor((now - this.#nextAt) / interval) + 1;
      this.#health.overruns += missed;
      this.#nextAt += missed * interval;
    }
    if (this.#running) {
      this.#health.overruns++;
    } else {
      this.#running = true;
      this.pollOnce()
        .catch((err: Error) =>
          this.#o.logger.error({ deviceId: this.#o.device.id, err }, 'poll failed unexpectedly'),
        )
        .finally(() => {
          this.#running = false;
        });
    }
    this.#schedule();
  }
}
