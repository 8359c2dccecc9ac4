import type { ClockAndTimers, ErrorCode } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TopicRouter } from '../../mqtt-router/index.js';
import type { Schema } from '../../storage/index.js';
import type { EvEvents } from '../events.js';
import { type CarModelSpec, SEED_CAR_MODELS } from './car-models.js';
import { parseCarReport } from './car-report.js';
import type { CarsConfig } from './cars-config.js';
import { type CarView, getCar, recordCarReport } from './cars-store.js';
import { isPlate } from './plate.js';

export interface CarRegistryDeps {
  db: Kysely<Schema>;
  router: TopicRouter;
  events: EvEvents;
  logger: Logger;
  clock: ClockAndTimers;
  config: CarsConfig;
}

/** What the registry did with the car reports it was handed (for tests and /metrics). */
export interface CarReportCounts {
  stored: number;
  /** Refused before storing, by error code. */
  rejected: Partial<Record<ErrorCode, number>>;
  /** Dropped: unknown plate with `unknownPlates: drop`, or over `maxPending`. */
  dropped: number;
  /** The database refused or failed the write (logged with GL_INTERNAL). */
  failed: number;
}

const ALL = { kind: 'all' } as const;
/** At most one warning per plate and code in this window: a car looping bad payloads cannot flood the log. */
const WARN_EVERY_MS = 60_000;

/**
 * The cars of the EV half (docs/EV.md, "Cars"): takes seed A's `carros/+/status` and
 * `carros/+/bateria`, stores the last state and the history, emits `car.status` after the
 * commit; answers the other modules (reservations, the planner) from the database, so every
 * central behind a shared subscription sees the same car.
 *
 * Messages arrive on the broker's delivery path: each is parsed at once (pure, small), then
 * stored in a per-plate queue (one car's reports in order; different cars in parallel). A bad
 * payload is counted and logged with its code and stored nowhere; nothing a car sends blocks
 * another car.
 */
export class CarRegistry {
  readonly #d: CarRegistryDeps;
  readonly #tails = new Map<string, Promise<void>>();
  readonly #warned = new Map<string, number>();
  #pending = 0;
  #closed = false;
  readonly #counts: CarReportCounts = { stored: 0, rejected: {}, dropped: 0, failed: 0 };

  private constructor(deps: CarRegistryDeps) {
    this.#d = deps;
  }

  /** Registers the car topics with the router (subscribed at once on a started router). */
  static async start(deps: CarRegistryDeps): Promise<CarRegistry> {
    const registry = new CarRegistry(deps);
    await deps.router.register('carros/+/status', registry.take);
    await deps.router.register('carros/+/bateria', registry.take);
    return registry;
  }

  /** The router's handler: never throws, never waits. */
  readonly take = (topic: string, payload: Buffer): void => {
    if (this.#closed) return;
    const receivedAt = new Date(this.#d.clock.now());
    const result = parseCarReport(topic, payload, receivedAt, this.#d.config);
    if (!result.ok) {
      this.#counts.rejected[result.code] = (this.#counts.rejected[result.code] ?? 0) + 1;
      this.#warn(topic, result.code, result.message);
      return;
    }
    if (this.#pending >= this.#d.config.maxPending) {
      this.#counts.dropped += 1;
      this.#warn(
        topic,
        'GL_INTERNAL',
        `over ev.cars.maxPending (${this.#d.config.maxPending}): report dropped`,
      );
      return;
    }
    const report = result.report;
    this.#pending += 1;
    this.#enqueue(report.plate, async () => {
      try {
        const outcome = await recordCarReport(this.#d.db, report, {
          createUnknown: this.#d.config.unknownPlates === 'register',
        });
        if (!outcome.stored) {
          this.#counts.dropped += 1;
          this.#warn(topic, 'GL_NOT_FOUND', `no car ${report.plate} (ev.cars.unknownPlates: drop)`);
          return;
        }
        this.#counts.stored += 1;
        if (outcome.created)
          this.#d.logger.info(
            { plate: report.plate },
            'car registered unowned from its first report',
          );
        try {
          this.#d.events.emit('car.status', {
            plate: report.plate,
            at: report.at,
            batteryPct: report.batteryPct,
            charging: report.charging,
          });
        } catch (err) {
          this.#d.logger.error({ code: 'GL_INTERNAL', err }, 'a car.status listener threw');
        }
      } catch (err) {
        this.#counts.failed += 1;
        this.#d.logger.error(
          { code: 'GL_INTERNAL', plate: report.plate, err },
          'car report not stored',
        );
      } finally {
        this.#pending -= 1;
      }
    });
  };

  #enqueue(plate: string, task: () => Promise<void>): void {
    const tail = (this.#tails.get(plate) ?? Promise.resolve()).then(task);
    this.#tails.set(plate, tail);
    void tail.then(() => {
      if (this.#tails.get(plate) === tail) this.#tails.delete(plate);
    });
  }

  #warn(topic: string, code: ErrorCode, message: string): void {
    const key = `${topic.slice(0, 120)}|${code}`;
    const now = this.#d.clock.now();
    const last = this.#warned.get(key);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    if (this.#warned.size > 10_000) this.#warned.clear();
    this.#warned.set(key, now);
    this.#d.logger.warn({ code, topic: topic.slice(0, 120) }, `car report refused: ${message}`);
  }

  /** Counts so far (a copy). */
  counts(): CarReportCounts {
    return { ...this.#counts, rejected: { ...this.#counts.rejected } };
  }

  /** Resolves when every report taken so far is stored (or failed). */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }

  /** The car, or null. */
  async get(plate: string): Promise<CarView | null> {
    if (!isPlate(plate)) return null;
    return (await getCar(this.#d.db, plate, ALL)) ?? null;
  }

  /** Its last report, or null before any. */
  async lastState(
    plate: string,
  ): Promise<{ batteryPct: number; charging: boolean; at: Date } | null> {
    const last = (await this.get(plate))?.last;
    return last
      ? { batteryPct: last.batteryPct, charging: last.charging, at: new Date(last.at) }
      : null;
  }

  /** The driver who owns it, or null (unknown car or nobody's). */
  async ownerOf(plate: string): Promise<number | null> {
    return (await this.get(plate))?.driverId ?? null;
  }

  /**
   * Its model with battery (kWh) and consumption (kWh/km): the car's own numbers, else its seed
   * model's; null when neither is known.
   */
  async model(plate: string): Promise<CarModelSpec | null> {
    const car = await this.get(plate);
    if (!car) return null;
    const seed = car.model ? SEED_CAR_MODELS.get(car.model) : undefined;
    const batteryKwh = car.batteryKwh ?? seed?.batteryKwh;
    const consumptionKwhPerKm = car.consumptionKwhPerKm ?? seed?.consumptionKwhPerKm;
    if (batteryKwh === undefined || consumptionKwhPerKm === undefined) return null;
    return { name: car.model ?? car.plate, batteryKwh, consumptionKwhPerKm };
  }

  /** Stops taking reports and waits for the queued ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }
}
