import { type ClockAndTimers, GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import { normalizePlate } from '../cars/index.js';
import type { EvEvents, PointStateEvent } from '../events.js';
import type { ReservationActor } from '../reservations/index.js';
import { Ticker } from '../ticker.js';
import type { TripsConfig } from './config.js';

/** Where a watch's message goes (the central's broker link, QoS 1). */
export interface WatchLink {
  publish(topic: string, payload: string, options?: { retain?: boolean }): Promise<void>;
}

export interface WatchView {
  id: number;
  driverId: number | null;
  plate: string | null;
  pointId: number | null;
  stationId: number | null;
  state: 'waiting' | 'notified' | 'expired';
  createdAt: string;
  expiresAt: string;
  notifiedAt: string | null;
  /** The point found available. */
  notifiedPointId: number | null;
}

export interface WatchRequest {
  pointId?: number;
  stationId?: number;
  /** The car told on `carros/{plate}/avisos` (the driver's own); default: API only. */
  plate?: string;
  /** Default and maximum: ev.trips.watchTtlMinutes. */
  ttlMinutes?: number;
}

export interface WatchesDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  config: TripsConfig;
  events: EvEvents;
  link: WatchLink;
  logger: Logger;
}

/** The topic a car is told on (broker/policy.ts: a car may subscribe to its own). */
export const noticeTopic = (plate: string) => `carros/${plate}/avisos`;

type Row = Awaited<ReturnType<AvailabilityWatches['rowsFor']>>[number];

/**
 * Notify when free (docs/EV.md, "Notify when free"): a driver watches a point or a station and
 * is told once, on `carros/{plate}/avisos` and in the watch's `notifiedAt`, when it becomes
 * available (seed A's `disponivel`: active, not in maintenance, state `available`, or `unknown`
 * with no charger bound). Driven by the live module's `point.state` events (after commit); a
 * reconcile tick (and each new watch) checks open watches against the points, so a missed event
 * only delays. A watch is claimed by one conditional UPDATE (`notified_at IS NULL`), so an event
 * and the tick never tell twice.
 */
export class AvailabilityWatches {
  readonly #d: WatchesDeps;
  #ticker: Ticker | null = null;
  #pending = new Set<Promise<unknown>>();
  readonly #onState = (e: PointStateEvent) => {
    // The query decides availability (an unbound point is `unknown` yet available).
    if (e.maintenance) return;
    this.#track(this.#check({ pointId: e.pointId }));
  };

  private constructor(deps: WatchesDeps) {
    this.#d = deps;
  }

  static async start(deps: WatchesDeps): Promise<AvailabilityWatches> {
    const w = new AvailabilityWatches(deps);
    deps.events.on('point.state', w.#onState);
    w.#ticker = new Ticker(
      deps.clock,
      deps.config.watchReconcileMs,
      () => w.#check({}),
      (err) => deps.logger.error({ err }, 'availability watch check failed'),
    ).start();
    await w.#check({});
    return w;
  }

  async create(req: WatchRequest, who: ReservationActor): Promise<WatchView> {
    const { db, clock, config } = this.#d;
    if (who.kind === 'driver' && who.driverId === 0)
      throw new GridlinkError('GL_NOT_FOUND', 'the token names no driver');
    if ((req.pointId === undefined) === (req.stationId === undefined))
      throw new GridlinkError('GL_VALIDATION', 'give exactly one of pointId and stationId', [
        { path: 'pointId', message: 'exactly one of pointId and stationId' },
      ]);
    const ttl = req.ttlMinutes ?? config.watchTtlMinutes;
    if (ttl > config.watchTtlMinutes)
      throw new GridlinkError(
        'GL_VALIDATION',
        `ttlMinutes: at most ${config.watchTtlMinutes} (ev.trips.watchTtlMinutes)`,
        [{ path: 'ttlMinutes', message: `at most ${config.watchTtlMinutes}` }],
      );
    const driverId = who.kind === 'driver' ? who.driverId : null;
    let plate: string | null = null;
    if (req.plate !== undefined) {
      plate = normalizePlate(req.plate);
      const car = await db
        .selectFrom('ev_cars')
        .select('driver_id')
        .where('plate', '=', plate)
        .executeTakeFirst();
      if (!car || (driverId !== null && Number(car.driver_id) !== driverId))
        throw new GridlinkError('GL_NOT_FOUND', `car ${plate} not found`);
    }
    const target =
      req.pointId !== undefined
        ? await db
            .selectFrom('ev_points')
            .select('id')
            .where('id', '=', req.pointId)
            .executeTakeFirst()
        : await db
            .selectFrom('ev_stations')
            .select('id')
            .where('id', '=', req.stationId as number)
            .executeTakeFirst();
    if (!target)
      throw new GridlinkError(
        'GL_NOT_FOUND',
        req.pointId !== undefined
          ? `point ${req.pointId} not found`
          : `station ${req.stationId} not found`,
      );
    const now = new Date(clock.now());
    const row = await db
      .insertInto('ev_availability_watches')
      .values({
        driver_id: driverId,
        created_by: who.label,
        plate,
        point_id: req.pointId ?? null,
        station_id: req.stationId ?? null,
        created_at: now,
        expires_at: new Date(now.getTime() + ttl * 60_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Already free: told at once (the watch is one-shot either way).
    await this.#check({ watchId: Number(row.id) });
    return (await this.get(Number(row.id), who)) as WatchView;
  }

  async get(id: number, who: ReservationActor): Promise<WatchView | null> {
    const [row] = await this.rowsFor(who, id);
    return row ? this.#view(row) : null;
  }

  async list(who: ReservationActor): Promise<WatchView[]> {
    return (await this.rowsFor(who)).map((r) => this.#view(r));
  }

  async remove(id: number, who: ReservationActor): Promise<boolean> {
    let q = this.#d.db.deleteFrom('ev_availability_watches').where('id', '=', id);
    if (who.kind === 'driver') q = q.where('driver_id', '=', who.driverId);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Waits for the checks started by events and ticks (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    this.#d.events.off('point.state', this.#onState);
    await this.#ticker?.stop();
    this.#ticker = null;
    await this.idle();
  }

  rowsFor(who: ReservationActor, id?: number) {
    let q = this.#d.db
      .selectFrom('ev_availability_watches')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(200);
    if (id !== undefined) q = q.where('id', '=', id);
    if (who.kind === 'driver') q = q.where('driver_id', '=', who.driverId);
    return q.execute();
  }

  #view(r: Row): WatchView {
    const now = this.#d.clock.now();
    const expiresAt = new Date(r.expires_at);
    return {
      id: Number(r.id),
      driverId: r.driver_id == null ? null : Number(r.driver_id),
      plate: r.plate,
      pointId: r.point_id == null ? null : Number(r.point_id),
      stationId: r.station_id == null ? null : Number(r.station_id),
      state: r.notified_at ? 'notified' : expiresAt.getTime() <= now ? 'expired' : 'waiting',
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: expiresAt.toISOString(),
      notifiedAt: r.notified_at ? new Date(r.notified_at).toISOString() : null,
      notifiedPointId: r.notified_point_id == null ? null : Number(r.notified_point_id),
    };
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch((err) => this.#d.logger.error({ err }, 'availability watch check failed'));
    this.#pending.add(t);
    void t.finally(() => this.#pending.delete(t));
  }

  /**
   * Tells every open, unexpired watch (of one point, one watch, or all) whose point, or some
   * point of whose station, is available now. Claims each with a conditional UPDATE, then
   * publishes; a failed publish leaves the API's `notifiedAt` as the record.
   */
  async #check(only: { pointId?: number; watchId?: number }): Promise<void> {
    const { db, clock, link, logger } = this.#d;
    const now = new Date(clock.now());
    let q = db
      .selectFrom('ev_availability_watches as w')
      .innerJoin('ev_points as p', (j) =>
        j.on((eb) =>
          eb.or([
            eb('p.id', '=', eb.ref('w.point_id')),
            eb('p.station_id', '=', eb.ref('w.station_id')),
          ]),
        ),
      )
      .select(['w.id', 'w.plate', 'w.point_id', 'w.station_id', 'p.id as available_point'])
      .where('w.notified_at', 'is', null)
      .where('w.expires_at', '>', now)
      .where('p.active', '=', true)
      .where('p.maintenance', '=', false)
      .where(sql<boolean>`(p.state = 'available' OR (p.state = 'unknown' AND p.edge_id IS NULL))`);
    if (only.pointId !== undefined) q = q.where('p.id', '=', only.pointId);
    if (only.watchId !== undefined) q = q.where('w.id', '=', only.watchId);
    const hits = await q.orderBy('w.id').orderBy('p.id').execute();
    const seen = new Set<number>();
    for (const h of hits) {
      const id = Number(h.id);
      if (seen.has(id)) continue;
      seen.add(id);
      const claimed = await db
        .updateTable('ev_availability_watches')
        .set({ notified_at: now, notified_point_id: Number(h.available_point) })
        .where('id', '=', id)
        .where('notified_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      if (!h.plate) continue;
      const payload = JSON.stringify({
        tipo: 'ponto_disponivel',
        aviso_id: id,
        ponto_id: Number(h.available_point),
        posto_id: h.station_id == null ? null : Number(h.station_id),
        disponivel: true,
        em: now.toISOString(),
      });
      await link
        .publish(noticeTopic(h.plate), payload)
        .catch((err) => logger.warn({ err, watchId: id }, 'availability notice not published'));
    }
  }
}
