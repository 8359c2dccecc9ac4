import {
  type ClockAndTimers,
  type DeviceHealth,
  type ErrorCode,
  initialDeviceHealth,
  type Profile,
  planBlocks,
  type ReadBlock,
  systemClock,
  type TimerHandle,
} from '@gridlink/shared';
import type { Logger } from 'pino';
import type { ModbusLink } from '../modbus/index.js';
import { type PolledReading, type ReadTarget, readDevice } from './read-device.js';

/** What the poller needs of a device's configuration (a Modbus device config satisfies it). */
export interface PollSettings {
  id: string;
  unitId: number;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  offlineAfter: number;
  offlineBackoffMaxMs?: number;
  maxGap: number;
  maxRegisters?: number;
}

export interface DevicePollerOptions {
  device: PollSettings;
  profile: Profile;
  link: ModbusLink;
  onReading: (reading: PolledReading) => void;
  logger: Logger;
  /** Time of readings and of the poll grid; default the system clock. */
  clock?: ClockAndTimers;
  /**
   * A device that has never answered is warned about once it has failed `offlineAfter` polls,
   * then at most once per this interval while it stays silent; default 10 minutes.
   */
  silentWarnIntervalMs?: number;
}

/** Default of `silentWarnIntervalMs`. */
export const SILENT_WARN_INTERVAL_MS = 600_000;

/** Failed transactions of one device by catalog code (timeouts, CRC, exceptions, bad frames, decode). */
export type DeviceErrorCounts = Partial<Record<ErrorCode, number>>;

/**
 * Polls one device on its interval. Ticks are aligned to a fixed grid (no drift); a tick that
 * arrives while the previous poll still runs is not queued but counted as an overrun, so a slow
 * device never silently loses polls nor piles them up.
 *
 * After `offlineAfter` consecutive failed polls the device is offline: it is then only probed
 * (its first block, no retries) on a backoff that doubles from the interval up to
 * `offlineBackoffMaxMs`, so a dead device costs its bus one timeout per probe instead of
 * blocks × (retries + 1) timeouts per interval. The first good probe brings it back at once.
 * Ticks skipped by the backoff are deliberate, not overruns.
 */
export class DevicePoller {
  readonly #o: DevicePollerOptions;
  readonly #clock: ClockAndTimers;
  #blocks: ReadBlock[];
  #timer: TimerHandle | undefined;
  #running = false;
  #inFlight: Promise<void> | undefined;
  #stopped = true;
  #nextAt = 0;
  #probeAt = 0;
  #backoffMs = 0;
  readonly #health: DeviceHealth;
  readonly #target: ReadTarget;
  readonly #probe: ReadTarget;
  readonly #now = (): number => this.#clock.now();
  readonly #errors: DeviceErrorCounts = {};
  #startedAt: number | undefined;
  #silentWarnedAt: number | undefined;

  constructor(options: DevicePollerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    const fields = options.profile.fields.filter((f) => f.type !== 'string');
    this.#blocks = planBlocks(fields, {
      maxGap: options.device.maxGap,
      maxRegisters: options.device.maxRegisters ?? 125,
    });
    this.#health = initialDeviceHealth(options.device.id);
    const { id, unitId, timeoutMs, retries } = options.device;
    this.#target = { deviceId: id, unitId, timeoutMs, retries };
    // An offline device is only probed: its first block, no retries.
    this.#probe = { ...this.#target, retries: 0 };
  }

  get deviceId(): string {
    return this.#o.device.id;
  }

  get health(): DeviceHealth {
    return { ...this.#health };
  }

  /** Errors by code since start. */
  get errorCounts(): DeviceErrorCounts {
    return { ...this.#errors };
  }

  /** The block reads one full poll makes. */
  get blocks(): readonly ReadBlock[] {
    return this.#blocks;
  }

  /** True while offline and waiting for the next probe. */
  get backingOff(): boolean {
    return this.#isOffline() && this.#clock.now() < this.#probeAt;
  }

  /**
   * Starts polling: the first poll `phaseMs` from now, then on the interval's grid from there.
   * Devices sharing a link get spread phases (the driver does that), so their polls reach the
   * link evenly instead of as one burst per interval.
   */
  start(phaseMs = 0): void {
    this.#stopped = false;
    this.#startedAt ??= this.#clock.now();
    this.#nextAt = this.#clock.now() + phaseMs;
    this.#schedule();
  }

  /** Stops scheduling; resolves when the poll in flight (if any) has finished and delivered. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    return this.#inFlight ?? Promise.resolve();
  }

  /** One poll now (a probe when offline); resolves when it is done. */
  async pollOnce(): Promise<void> {
    const { device, link, logger } = this.#o;
    this.#health.polls++;
    const offline = this.#isOffline();
    const blocks = offline ? this.#blocks.slice(0, 1) : this.#blocks;
    let result = await readDevice(link, offline ? this.#probe : this.#target, blocks, this.#now);
    if (offline && result.reading && this.#blocks.length > 1) {
      // The probe answered: read the whole device now rather than report a partial reading.
      result = await readDevice(link, this.#target, this.#blocks, this.#now);
    }
    for (const err of result.errors) this.#errors[err.code] = (this.#errors[err.code] ?? 0) + 1;
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
      this.#backoffMs = 0;
      this.#probeAt = 0;
    } else {
      this.#health.failures++;
      this.#health.consecutiveFailures++;
      if (this.#isOffline()) {
        this.#backoffMs = Math.min(
          Math.max(this.#backoffMs * 2, device.intervalMs),
          Math.max(device.offlineBackoffMaxMs ?? 60_000, device.intervalMs),
        );
        this.#probeAt = this.#clock.now() + this.#backoffMs;
      }
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
      if (this.#health.lastOkAt === null && this.#health.consecutiveFailures >= device.offlineAfter)
        this.#warnSilent(result.errors[0]);
    }
    const first = result.errors[0];
    this.#health.lastError = first ? `${first.code}: ${first.message}`.slice(0, 300) : null;
    if (first)
      logger.debug(
        { deviceId: device.id, code: first.code, errors: result.errors.length },
        'poll had errors',
      );
  }

  /**
   * A device that never answered is not "offline" (it never was online), so without this it
   * would fail in silence at info level: warned after `offlineAfter` failed polls, then at most
   * once per `silentWarnIntervalMs` (on the poller's clock) while it stays silent.
   */
  #warnSilent(error: { code: string; message: string } | undefined): void {
    const now = this.#clock.now();
    const interval = this.#o.silentWarnIntervalMs ?? SILENT_WARN_INTERVAL_MS;
    if (this.#silentWarnedAt !== undefined && now - this.#silentWarnedAt < interval) return;
    this.#silentWarnedAt = now;
    this.#o.logger.warn(
      {
        deviceId: this.#o.device.id,
        code: 'GL_DEVICE_OFFLINE',
        polls: this.#health.polls,
        silentForMs: now - (this.#startedAt ?? now),
        lastError: error ? `${error.code}: ${error.message}`.slice(0, 300) : null,
      },
      'device has never answered',
    );
  }

  /** Offline for scheduling: never answered yet counts too, once it has failed `offlineAfter` times. */
  #isOffline(): boolean {
    return this.#health.consecutiveFailures >= this.#o.device.offlineAfter;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = Math.max(0, this.#nextAt - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#tick(), delay);
    this.#timer.unref();
  }

  #tick(): void {
    const interval = this.#o.device.intervalMs;
    this.#nextAt += interval;
    const now = this.#clock.now();
    const backingOff = this.#isOffline() && now < this.#probeAt;
    if (this.#nextAt <= now) {
      // Ticks missed while the event loop or the device was slow.
      const missed = Math.floor((now - this.#nextAt) / interval) + 1;
      if (!backingOff) this.#health.overruns += missed;
      this.#nextAt += missed * interval;
    }
    if (backingOff) {
      // Deliberately skipped: the device is offline and its next probe is not due.
    } else if (this.#running) {
      this.#health.overruns++;
    } else {
      this.#running = true;
      this.#inFlight = this.pollOnce()
        .catch((err: Error) => {
          // After stop() the link may close under a poll: expected, not an incident.
          if (this.#stopped)
            this.#o.logger.debug(
              { deviceId: this.#o.device.id, err: err.message },
              'poll ended by stop',
            );
          else
            this.#o.logger.error({ deviceId: this.#o.device.id, err }, 'poll failed unexpectedly');
        })
        .finally(() => {
          this.#running = false;
          this.#inFlight = undefined;
        });
    }
    this.#schedule();
  }
}
