import { type ClockAndTimers, GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CommittedDeviceReadings, TelemetryIngest } from '../../ingest/index.js';
import type { BrokerLink } from '../../mqtt-router/index.js';
import type { Schema } from '../../storage/index.js';
import type { EvEventMap, EvEvents } from '../events.js';
import { Ticker } from '../ticker.js';
import { type Availability, availabilityOf, availabilityTopic } from './availability.js';
import type { LiveConfig } from './live-config.js';
import {
  type AppliedReading,
  allAvailability,
  applyReadings,
  bindCharger,
  boundChargers,
  getPointLive,
  type LiveActor,
  markOffline,
  type PointChange,
  type PointLive,
  setMaintenance,
  unbindCharger,
} from './live-store.js';

export interface LiveChargersDeps {
  db: Kysely<Schema>;
  link: Pick<BrokerLink, 'publish'>;
  ingest: Pick<TelemetryIngest, 'onCommitted'>;
  events: EvEvents;
  logger: Logger;
  clock: ClockAndTimers;
  config: LiveConfig;
}

/** Runs tasks one after another per key; tasks of different keys run side by side. */
class KeyedChain {
  readonly #tails = new Map<string, Promise<void>>();
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const result = prev.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}

const availabilityOfLive = (p: PointLive): Availability =>
  availabilityOf({
    pointId: p.pointId,
    active: p.active,
    maintenance: p.maintenance,
    state: p.state,
    bound: p.charger !== null,
  });

/**
 * The live half of the charging network (docs/EV.md, "Live state"): binds charger devices to
 * points, turns each committed charger batch into the point's state (one queue per point, after
 * the ingest's commit and ack, never in its way), keeps maintenance, and publishes seed A's
 * `pontos/{id}/disponibilidade` (retained, QoS 1) whenever the derived availability changes, and
 * for every point at start. A tick (`ev.live.reconcileMs`) marks points whose charger or edge was
 * reported offline `unknown` and republishes any availability the database changed behind it
 * (imports, another central).
 */
export class LiveChargers {
  readonly #d: LiveChargersDeps;
  readonly #chain = new KeyedChain();
  /** What was last published per point: a change publishes, a repeat does not. */
  readonly #published = new Map<number, string>();
  readonly #publishing = new Set<Promise<void>>();
  #unsubscribe: (() => void) | undefined;
  #ticker: Ticker | undefined;
  #ticking: Promise<void> | undefined;

  constructor(deps: LiveChargersDeps) {
    this.#d = deps;
  }

  /** Subscribes to the ingest, republishes every point's availability, starts the tick. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#d.ingest.onCommitted((c) => this.#committed(c));
    await this.#reconcile(true);
    this.#ticker = new Ticker(
      this.#d.clock,
      this.#d.config.reconcileMs,
      () => this.tick(),
      () => undefined,
    ).start();
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.#ticker?.stop();
    await this.idle();
  }

  /** Resolves when every queued point update, tick and publish so far is done (tests). */
  async idle(): Promise<void> {
    do {
      await this.#ticking;
      await this.#chain.idle();
      await Promise.all(this.#publishing);
    } while (this.#ticking !== undefined || this.#publishing.size > 0);
  }

  /** One reconcile round now (the timer calls it; a round still running is not doubled). */
  tick(): Promise<void> {
    this.#ticking ??= this.#reconcile(false)
      .catch((err) => this.#d.logger.error({ err }, 'live reconcile failed'))
      .finally(() => {
        this.#ticking = undefined;
      });
    return this.#ticking;
  }

  bind(
    pointId: number,
    charger: { edgeId: string; deviceId: string },
    by: LiveActor,
  ): Promise<PointLive> {
    return this.#change(pointId, () => bindCharger(this.#d.db, pointId, charger, by, this.#now()));
  }

  unbind(pointId: number, by: LiveActor): Promise<PointLive> {
    return this.#change(pointId, () => unbindCharger(this.#d.db, pointId, by, this.#now()));
  }

  setMaintenance(
    pointId: number,
    on: boolean,
    reason: string | null,
    by: LiveActor,
  ): Promise<PointLive> {
    return this.#change(pointId, () =>
      setMaintenance(this.#d.db, pointId, on, reason, by, this.#now()),
    );
  }

  /** The point's live columns; undefined when absent (or, with companyId, not that company's). */
  get(pointId: number, companyId: string | null = null): Promise<PointLive | undefined> {
    return getPointLive(this.#d.db, pointId, companyId);
  }

  /** Seed A's availability of the point; GL_NOT_FOUND when absent. */
  async availability(pointId: number): Promise<Availability> {
    const p = await this.get(pointId);
    if (!p) throw new GridlinkError('GL_NOT_FOUND', `charging point ${pointId} not found`);
    return availabilityOfLive(p);
  }

  #now(): Date {
    return new Date(this.#d.clock.now());
  }

  /** An operator's change, in the point's queue; events and the topic after the commit. */
  async #change(pointId: number, write: () => Promise<PointChange>): Promise<PointLive> {
    return this.#chain.run(`p${pointId}`, async () => {
      const change = await write();
      this.#after(change, [], this.#now());
      return change.after;
    });
  }

  /** The ingest's after-commit listener: never throws, never waits. */
  #committed(c: CommittedDeviceReadings): void {
    const deviceIds = [...new Set(c.readings.map((r) => r.deviceId))];
    void this.#chain
      .run(`e${c.edgeId}`, async () => {
        const bound = await boundChargers(this.#d.db, c.edgeId, deviceIds);
        for (const charger of bound) {
          const readings = c.readings.filter((r) => r.deviceId === charger.deviceId);
          void this.#chain
            .run(`p${charger.pointId}`, async () => {
              const change = await applyReadings(
                this.#d.db,
                { ...charger, edgeId: c.edgeId },
                readings,
                this.#now(),
              );
              if (change) this.#after(change, change.applied, null);
            })
            .catch((err) =>
              this.#d.logger.error(
                { err, pointId: charger.pointId, edgeId: c.edgeId },
                'applying charger readings failed',
              ),
            );
        }
      })
      .catch((err) =>
        this.#d.logger.error({ err, edgeId: c.edgeId }, 'finding bound chargers failed'),
      );
  }

  /**
   * After a commit: `point.telemetry` per applied reading, `point.state` per state change (and
   * when maintenance flips: from = to), then the topic when the availability changed.
   */
  #after(change: PointChange, applied: readonly AppliedReading[], changeAt: Date | null): void {
    const { before, after } = change;
    const { events, logger } = this.#d;
    const emit = <K extends 'point.state' | 'point.telemetry'>(name: K, ...args: EvEventMap[K]) => {
      try {
        (events.emit as (n: K, ...a: EvEventMap[K]) => boolean)(name, ...args);
      } catch (err) {
        logger.error({ err, event: name }, 'an EV event listener threw');
      }
    };
    const base = {
      pointId: after.pointId,
      stationId: after.stationId,
      companyId: after.companyId,
      maintenance: after.maintenance,
    };
    for (const a of applied) {
      emit('point.telemetry', {
        pointId: after.pointId,
        at: a.at,
        state: a.to,
        sessionEnergyWh: a.facts.sessionEnergyWh,
        energyTotalWh: a.facts.energyTotalWh,
        powerW: a.facts.powerW,
      });
      if (a.from !== a.to)
        emit('point.state', {
          ...base,
          from: a.from,
          to: a.to,
          at: a.at,
          faultCode: a.facts.faultCode,
          sessionEnergyWh: a.facts.sessionEnergyWh,
          energyTotalWh: a.facts.energyTotalWh,
          powerW: a.facts.powerW,
        });
    }
    if (
      changeAt !== null &&
      (before.state !== after.state || before.maintenance !== after.maintenance)
    )
      emit('point.state', {
        ...base,
        from: before.state,
        to: after.state,
        at: changeAt,
        faultCode: after.faultCode,
        sessionEnergyWh: after.sessionEnergyWh,
        energyTotalWh: after.energyTotalWh,
        powerW: after.powerW,
      });
    this.#publish(availabilityOfLive(after), false);
  }

  /** Publishes when it differs from the last one published (or always, with `force`). */
  #publish(a: Availability, force: boolean): void {
    const text = JSON.stringify(a);
    if (!force && this.#published.get(a.ponto_id) === text) return;
    this.#published.set(a.ponto_id, text);
    const sent = this.#d.link
      .publish(availabilityTopic(a.ponto_id), text, { retain: true })
      .catch((err: Error) => {
        // Forget it, so the next tick publishes it again.
        if (this.#published.get(a.ponto_id) === text) this.#published.delete(a.ponto_id);
        this.#d.logger.warn(
          { pointId: a.ponto_id, reason: err.message },
          'publishing a point availability failed; the next tick retries',
        );
      });
    this.#publishing.add(sent);
    void sent.finally(() => this.#publishing.delete(sent));
  }

  /** Offline chargers -> unknown; then every point's availability (all of them at start). */
  async #reconcile(atStart: boolean): Promise<void> {
    for (const change of await markOffline(this.#d.db, this.#now()))
      await this.#chain.run(`p${change.after.pointId}`, async () =>
        this.#after(change, [], change.after.stateAt),
      );
    for (const a of await allAvailability(this.#d.db))
      await this.#chain.run(`p${a.ponto_id}`, async () => this.#publish(a, atStart));
  }
}
