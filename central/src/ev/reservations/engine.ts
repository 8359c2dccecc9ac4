import { type ClockAndTimers, GridlinkError } from '@gridlink/shared';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Logger } from 'pino';
import type { EvReservationState, Schema } from '../../storage/index.js';
import type { EvEvents, PointStateEvent } from '../events.js';
import { type ReservationActor, SYSTEM, scopeOf } from './actor.js';
import type { ChargerFollower } from './charger-follow.js';
import type { ReservationsConfig } from './config.js';
import { freeSlots, type Slot } from './free-slots.js';
import { normalizePlate } from './plate.js';
import { type CancelReason, cancelReasons } from './states.js';
import {
  busyPeriods,
  carOwner,
  findByRequest,
  getReservation,
  insertBooking,
  isOverlapError,
  LIVE_SQL,
  type ListFilter,
  listReservations,
  patch,
  pointFacts,
  type ReservationRow,
  type Transitioned,
  transition,
} from './store.js';
import { type BookingTerms, bookingTermsSchema } from './terms.js';
import { type ReservationView, statusMessage, statusTopic, toView } from './view.js';

export interface BookRequest {
  pointId: number;
  plate?: string | null;
  driverId?: number | null;
  start: Date;
  end: Date;
  /** Hold the slot (PENDING until confirmed or `holdMinutes` pass); default: reserve at once. */
  hold?: boolean;
  /** The hold's length, seconds, instead of the config's `holdMinutes` (a federated try's). */
  holdSeconds?: number;
  terms?: Partial<BookingTerms>;
  /** Idempotency key, unique per source: the same key answers the same booking. */
  requestId?: string | null;
  source?: 'api' | 'seed-a' | 'seed-b' | 'seed-c' | 'planner' | 'federation';
}

export type StartAuthorization =
  | { ok: true; reservationId: number | null }
  | { ok: false; code: string; message: string };

/** Where the status messages go (the central's broker link: QoS 1). */
export interface StatusLink {
  publish(topic: string, payload: string, options?: { retain?: boolean }): Promise<void>;
}

export interface ReservationEngineOptions {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  config: ReservationsConfig;
  events: EvEvents;
  link: StatusLink;
  logger: Logger;
  /** Commands the bound chargers at slot start and release (absent: no charger commands). */
  chargers?: ChargerFollower;
}

const MINUTE = 60_000;
/** Point states in which a booking cannot be honoured. */
const TROUBLE_STATES = ['faulted', 'unavailable'] as const;
/** Point states that end a FULFILLED booking's session (the car left or the point failed). */
const SESSION_OVER_STATES = ['available', 'reserved', 'faulted', 'unavailable', 'unknown'];
const DRIVER_REASONS: readonly CancelReason[] = ['USER', 'TRAFFIC', 'BROKEN_VEHICLE'];

const invalid = (path: string, message: string) =>
  new GridlinkError('GL_VALIDATION', `${path}: ${message}`, [{ path, message }]);

/**
 * Reservations per charging point and time slot (docs/EV.md, "Reservations"). The database
 * refuses overlaps (the exclusion constraint of migration 0019); every transition is one
 * conditional statement, so several centrals can run this side by side. After each commit the
 * change goes out as a `reservation.status` event and on `reservas/{id}/status` (retained).
 */
export class ReservationEngine {
  readonly #o: ReservationEngineOptions;
  #published: Promise<void> = Promise.resolve();
  readonly #inFlight = new Set<Promise<unknown>>();
  /** The default terms, checked once (see #terms), and as the statement's JSON parameter. */
  #defaultTerms: BookingTerms | undefined;
  #defaultTermsJson = '';

  constructor(options: ReservationEngineOptions) {
    this.#o = options;
  }

  #now(): Date {
    return new Date(this.#o.clock.now());
  }

  /** Books a slot, or throws GL_EV_SLOT_TAKEN with `details.nextFree` when it overlaps. */
  async book(req: BookRequest, by: ReservationActor = SYSTEM): Promise<ReservationView> {
    const { config } = this.#o;
    const now = this.#now();
    const source = req.source ?? 'api';
    const start = req.start;
    const end = req.end;
    if (!(start instanceof Date) || Number.isNaN(start.getTime()))
      throw invalid('start', 'not a time');
    if (!(end instanceof Date) || Number.isNaN(end.getTime())) throw invalid('end', 'not a time');
    if (start.getTime() % 1000 !== 0 || end.getTime() % 1000 !== 0)
      throw invalid('start', 'whole seconds only');
    const length = end.getTime() - start.getTime();
    if (length <= 0) throw invalid('end', 'must be after start');
    if (length < config.minSlotMinutes * MINUTE)
      throw invalid('end', `a slot lasts at least ${config.minSlotMinutes} minutes`);
    if (length > config.maxSlotMinutes * MINUTE)
      throw invalid('end', `a slot lasts at most ${config.maxSlotMinutes} minutes`);
    if (start.getTime() < now.getTime() - config.pastSkewSeconds * 1000)
      throw invalid('start', 'in the past');
    if (end.getTime() > now.getTime() + config.horizonDays * 1440 * MINUTE)
      throw invalid('end', `more than ${config.horizonDays} days ahead`);
    const terms = this.#terms(req.terms);
    const plate = req.plate ? normalizePlate(req.plate) : null;
    let driverId = req.driverId ?? null;
    if (by.kind === 'driver') {
      if (driverId !== null && driverId !== by.driverId)
        throw new GridlinkError('GL_FORBIDDEN', 'a driver books for itself only');
      driverId = by.driverId;
      if (plate !== null && (await carOwner(this.#o.db, plate)) !== by.driverId)
        throw new GridlinkError('GL_NOT_FOUND', `car ${plate} not found`);
    }
    // A peer's driver is not ours: a federated booking may name neither (docs/FEDERATION.md).
    if (plate === null && driverId === null && source !== 'federation')
      throw invalid('plate', 'a plate or a driver is needed');
    const holdMs =
      req.holdSeconds === undefined ? config.holdMinutes * MINUTE : req.holdSeconds * 1000;
    if (!Number.isInteger(holdMs) || holdMs <= 0)
      throw invalid('holdSeconds', 'a positive whole number of seconds');
    if (by.kind === 'operator' && by.companyId !== null) {
      const point = await pointFacts(this.#o.db, req.pointId);
      if (!point || point.companyId !== by.companyId)
        throw new GridlinkError('GL_NOT_FOUND', `point ${req.pointId} not found`);
    }
    const requestId = req.requestId ?? null;
    const hold = req.hold === true;
    let row: ReservationRow | null;
    const termsJson = terms === this.#defaultTerms ? this.#defaultTermsJson : undefined;
    try {
      row = await insertBooking(
        this.#o.db,
        {
          pointId: req.pointId,
          plate,
          driverId,
          start,
          end,
          state: hold ? 'PENDING' : 'RESERVED',
          holdExpiresAt: hold ? new Date(now.getTime() + holdMs) : null,
          terms,
          requestId,
          source,
          who: by.label,
          at: now,
        },
        termsJson,
      );
    } catch (err) {
      if (!isOverlapError(err)) throw err;
      const nextFree = await this.nextFreeSlots(req.pointId, start, length, config.nextFreeCount);
      throw new GridlinkError(
        'GL_EV_SLOT_TAKEN',
        `point ${req.pointId} is booked between ${start.toISOString()} and ${end.toISOString()}`,
        {
          pointId: req.pointId,
          nextFree: nextFree.map((s) => ({
            start: s.start.toISOString(),
            end: s.end.toISOString(),
          })),
        },
      );
    }
    if (row) {
      this.#announce([{ row, from: null, reason: null }]);
      return toView(row);
    }
    if (requestId !== null) {
      const earlier = await findByRequest(this.#o.db, source, requestId);
      if (earlier) {
        if (
          earlier.pointId !== req.pointId ||
          earlier.start.getTime() !== start.getTime() ||
          earlier.end.getTime() !== end.getTime()
        )
          throw new GridlinkError(
            'GL_CONFLICT',
            `requestId ${requestId} was used for another booking (${earlier.id})`,
            { reservationId: earlier.id },
          );
        return toView(earlier);
      }
    }
    const point = await pointFacts(this.#o.db, req.pointId);
    if (!point) throw new GridlinkError('GL_NOT_FOUND', `point ${req.pointId} not found`);
    const why = !point.active
      ? 'inactive'
      : point.maintenance
        ? 'in maintenance'
        : `${point.state}`;
    throw new GridlinkError('GL_EV_POINT_NOT_BOOKABLE', `point ${req.pointId} is ${why}`, {
      pointId: req.pointId,
    });
  }

  /**
   * A booking's terms: the config's defaults overridden by the request's, checked. The defaults
   * alone (most bookings) are checked once and shared: a booking never changes its terms object.
   */
  #terms(given: Partial<BookingTerms> | undefined): BookingTerms {
    if (given === undefined && this.#defaultTerms) return this.#defaultTerms;
    const parsed = bookingTermsSchema.safeParse({ ...this.#o.config.defaultTerms, ...given });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`terms.${issue?.path.join('.') ?? ''}`, issue?.message ?? 'invalid');
    }
    if (given === undefined) {
      this.#defaultTerms = Object.freeze(parsed.data);
      this.#defaultTermsJson = JSON.stringify(parsed.data);
      return this.#defaultTerms;
    }
    return parsed.data;
  }

  /** Confirms a held booking (PENDING → RESERVED) before its hold lapses. */
  async confirm(id: number, who: ReservationActor): Promise<ReservationView> {
    const now = this.#now();
    const moved = await transition(this.#o.db, {
      where: sql`id = ${id} AND state = 'PENDING' AND hold_expires_at > ${now.toISOString()}::timestamptz
        AND ${this.#scopeSql(who)}`,
      to: 'RESERVED',
      set: [sql`hold_expires_at = NULL`],
      reason: null,
      who: who.label,
      at: now,
    });
    if (moved[0]) {
      this.#announce(moved);
      return toView(moved[0].row);
    }
    // A lapsed hold expires now (not at the next tick), so what the caller reads is current.
    this.#announce(
      await transition(this.#o.db, {
        where: sql`id = ${id} AND state = 'PENDING'
          AND hold_expires_at <= ${now.toISOString()}::timestamptz`,
        to: 'EXPIRED',
        reason: 'hold lapsed',
        who: 'system:monitor',
        at: now,
      }),
    );
    throw await this.#refusal(id, who, 'RESERVED');
  }

  /**
   * Cancels a booking (PENDING or RESERVED) with an OCPI reason. A driver may give USER,
   * TRAFFIC or BROKEN_VEHICLE; cancelling after the terms' `cancel_until_minutes` records the
   * no-show fee. Staff give any reason, free of charge.
   */
  async cancel(id: number, reason: CancelReason, who: ReservationActor): Promise<ReservationView> {
    if (!cancelReasons.includes(reason)) throw invalid('reason', 'not a cancel reason');
    if (who.kind === 'driver' && !DRIVER_REASONS.includes(reason))
      throw invalid('reason', `a driver cancels with ${DRIVER_REASONS.join(', ')}`);
    const now = this.#now().toISOString();
    const fee =
      who.kind === 'driver'
        ? sql`fee = CASE WHEN ${now}::timestamptz > lower(period)
            - make_interval(mins => (terms->>'cancel_until_minutes')::int)
            THEN terms->>'noshow_fee' END`
        : sql`fee = NULL`;
    const moved = await transition(this.#o.db, {
      where: sql`id = ${id} AND state IN ('PENDING', 'RESERVED') AND ${this.#scopeSql(who)}`,
      to: 'CANCELED',
      set: [sql`cancel_reason = ${reason}`, sql`canceled_by = ${who.label}`, fee],
      reason,
      who: who.label,
      at: this.#now(),
    });
    if (moved[0]) {
      this.#announce(moved);
      return toView(moved[0].row);
    }
    throw await this.#refusal(id, who, 'CANCELED');
  }

  async #refusal(id: number, who: ReservationActor, to: EvReservationState) {
    const row = await getReservation(this.#o.db, id, scopeOf(who));
    if (!row) return new GridlinkError('GL_NOT_FOUND', `reservation ${id} not found`);
    return new GridlinkError(
      'GL_EV_BOOKING_STATE',
      `reservation ${id} is ${row.state}: it cannot become ${to}`,
      { state: row.state, to },
    );
  }

  #scopeSql(who: ReservationActor) {
    const scope = scopeOf(who);
    if (scope.kind === 'driver') return sql`driver_id = ${scope.driverId}`;
    if (scope.kind === 'company')
      return sql`point_id IN (SELECT p.id FROM ev_points p JOIN ev_stations s
        ON s.id = p.station_id WHERE s.company_id = ${scope.companyId})`;
    return sql`TRUE`;
  }

  async get(id: number, who: ReservationActor = SYSTEM): Promise<ReservationView | null> {
    const row = await getReservation(this.#o.db, id, scopeOf(who));
    return row ? toView(row) : null;
  }

  async list(filter: ListFilter, who: ReservationActor = SYSTEM): Promise<ReservationView[]> {
    return (await listReservations(this.#o.db, filter, scopeOf(who))).map(toView);
  }

  /** The next `count` free slots of `durationMs` at or after `from`, within the horizon. */
  async nextFreeSlots(
    pointId: number,
    from: Date,
    durationMs: number,
    count: number,
  ): Promise<Slot[]> {
    const now = this.#now();
    const start = from.getTime() < now.getTime() ? now : from;
    const until = new Date(now.getTime() + this.#o.config.horizonDays * 1440 * MINUTE);
    const busy = await busyPeriods(this.#o.db, pointId, start, until);
    return freeSlots(busy, start, durationMs, count, until);
  }

  async isFreeAt(pointId: number, start: Date, end: Date): Promise<boolean> {
    return (await busyPeriods(this.#o.db, pointId, start, end)).length === 0;
  }

  /**
   * May `plate` start charging on `pointId` at `at`? Refused (GL_EV_POINT_RESERVED) when a live
   * booking of another car holds the point then (its slot, or its early-start window); the
   * booked car is authorized, and its booking becomes FULFILLED when the point goes charging.
   */
  async authorizeStart(pointId: number, plateIn: string, at: Date): Promise<StartAuthorization> {
    let plate: string;
    try {
      plate = normalizePlate(plateIn);
    } catch (err) {
      return { ok: false, code: 'GL_VALIDATION', message: (err as Error).message };
    }
    const iso = at.toISOString();
    const { rows } = await sql<{
      id: string | number;
      plate: string | null;
      driver_id: string | number | null;
      state: EvReservationState;
    }>`
      SELECT id, plate, driver_id, state FROM ev_reservations
      WHERE point_id = ${pointId} AND state IN ('PENDING', 'RESERVED')
        AND lower(period) - make_interval(mins => (terms->>'early_start_time')::int) <= ${iso}::timestamptz
        AND upper(period) > ${iso}::timestamptz
      ORDER BY lower(period) LIMIT 1`.execute(this.#o.db);
    const b = rows[0];
    if (!b) return { ok: true, reservationId: null };
    const id = Number(b.id);
    const ours =
      b.plate !== null
        ? b.plate === plate
        : b.driver_id !== null && (await carOwner(this.#o.db, plate)) === Number(b.driver_id);
    if (!ours)
      return {
        ok: false,
        code: 'GL_EV_POINT_RESERVED',
        message: `point ${pointId} is reserved for another car (reservation ${id})`,
      };
    if (b.state === 'PENDING')
      return {
        ok: false,
        code: 'GL_EV_BOOKING_STATE',
        message: `reservation ${id} is held, not confirmed`,
      };
    await patch(this.#o.db, sql`id = ${id} AND state = 'RESERVED'`, [
      sql`authorized_at = ${iso}::timestamptz`,
      sql`plate = COALESCE(plate, ${plate})`,
    ]);
    return { ok: true, reservationId: id };
  }

  /** The live module's `point.state`: fulfil, complete, cancel or flag (never throws). */
  readonly onPointState = (e: PointStateEvent): void => {
    this.#track(
      this.#pointChanged(e.pointId).catch((err) =>
        this.#o.logger.error({ err, pointId: e.pointId }, 'reservations: point change not handled'),
      ),
    );
  };

  /** Reacts to the point's current row (the event only says which point to look at). */
  async #pointChanged(pointId: number): Promise<void> {
    const point = await pointFacts(this.#o.db, pointId);
    if (!point) return;
    const now = this.#now();
    if (point.state === 'charging') await this.#fulfil(sql`point_id = ${pointId}`, now);
    if (SESSION_OVER_STATES.includes(point.state))
      await this.#complete(sql`point_id = ${pointId}`, now);
    const trouble =
      !point.active ||
      point.maintenance ||
      (TROUBLE_STATES as readonly string[]).includes(point.state);
    if (trouble) await this.#trouble(sql`point_id = ${pointId}`, now);
    else await this.#recovered(sql`point_id = ${pointId}`);
  }

  async #fulfil(points: RawBuilder<unknown>, now: Date) {
    const iso = now.toISOString();
    this.#announce(
      await transition(this.#o.db, {
        where: sql`${points} AND state = 'RESERVED' AND authorized_at IS NOT NULL
          AND lower(period) - make_interval(mins => (terms->>'early_start_time')::int) <= ${iso}::timestamptz
          AND upper(period) > ${iso}::timestamptz`,
        to: 'FULFILLED',
        set: [sql`flagged_reason = NULL`, sql`flagged_at = NULL`],
        reason: null,
        who: 'system:point',
        at: now,
      }),
    );
  }

  async #complete(points: RawBuilder<unknown>, now: Date) {
    const iso = now.toISOString();
    this.#announce(
      await transition(this.#o.db, {
        where: sql`${points} AND state = 'FULFILLED'`,
        to: 'COMPLETED',
        // The period ends when the session did: the record shows the time used.
        set: [
          sql`period = tstzrange(lower(period), GREATEST(LEAST(upper(period), ${iso}::timestamptz),
            lower(period) + interval '1 second'), '[)')`,
        ],
        reason: null,
        who: 'system:point',
        at: now,
      }),
    );
  }

  /** Cancels (BROKEN_CHARGER) what starts within the grace; flags what starts later. */
  async #trouble(points: RawBuilder<unknown>, now: Date) {
    const cutoff = new Date(now.getTime() + this.#o.config.faultGraceMinutes * MINUTE);
    const c = cutoff.toISOString();
    const canceled = await transition(this.#o.db, {
      where: sql`${points} AND state IN ('PENDING', 'RESERVED') AND lower(period) < ${c}::timestamptz`,
      to: 'CANCELED',
      set: [sql`cancel_reason = 'BROKEN_CHARGER'`, sql`canceled_by = 'system'`],
      reason: 'BROKEN_CHARGER',
      who: 'system:point',
      at: now,
    });
    this.#announce(canceled);
    const flagged = await patch(
      this.#o.db,
      sql`${points} AND state IN ('PENDING', 'RESERVED') AND lower(period) >= ${c}::timestamptz
        AND flagged_reason IS NULL`,
      [
        sql`flagged_reason = 'BROKEN_CHARGER'`,
        sql`flagged_at = ${now.toISOString()}::timestamptz`,
        sql`updated_at = ${now.toISOString()}::timestamptz`,
      ],
    );
    this.#announceFlags(flagged, now);
  }

  async #recovered(points: RawBuilder<unknown>) {
    const now = this.#now();
    const cleared = await patch(
      this.#o.db,
      sql`${points} AND state IN (${LIVE_SQL}) AND flagged_reason IS NOT NULL`,
      [
        sql`flagged_reason = NULL`,
        sql`flagged_at = NULL`,
        sql`updated_at = ${now.toISOString()}::timestamptz`,
      ],
    );
    this.#announceFlags(cleared, now);
  }

  /**
   * One monitor pass: lapsed holds expire, no-shows are marked (with the fee), the bound
   * chargers follow (reserve at slot start, release after), and what the point events would have
   * done is done from the points' rows (a missed event delays, never loses).
   */
  async tick(): Promise<void> {
    const now = this.#now();
    const iso = now.toISOString();
    const db = this.#o.db;
    this.#announce(
      await transition(db, {
        where: sql`state = 'PENDING' AND hold_expires_at <= ${iso}::timestamptz`,
        to: 'EXPIRED',
        reason: 'hold lapsed',
        who: 'system:monitor',
        at: now,
      }),
    );
    this.#announce(
      await transition(db, {
        where: sql`state = 'RESERVED' AND (upper(period) <= ${iso}::timestamptz OR (authorized_at IS NULL
          AND lower(period) + make_interval(mins => (terms->>'noshow_timeout')::int) <= ${iso}::timestamptz))`,
        to: 'NO_SHOW',
        set: [sql`fee = terms->>'noshow_fee'`],
        reason: null,
        who: 'system:monitor',
        at: now,
      }),
    );
    const charging = sql`point_id IN (SELECT id FROM ev_points WHERE state = 'charging')`;
    await this.#fulfil(charging, now);
    await this.#complete(
      sql`point_id IN (SELECT id FROM ev_points WHERE state IN (${sql.join(SESSION_OVER_STATES)}))`,
      now,
    );
    await this.#trouble(
      sql`point_id IN (SELECT id FROM ev_points WHERE NOT active OR maintenance
        OR state IN ('faulted', 'unavailable'))`,
      now,
    );
    await this.#recovered(
      sql`point_id IN (SELECT id FROM ev_points WHERE active AND NOT maintenance
        AND state NOT IN ('faulted', 'unavailable'))`,
    );
    await this.#o.chargers?.follow(now);
  }

  #announce(moved: Transitioned[]): void {
    for (const m of moved) {
      const r = m.row;
      this.#o.events.emit('reservation.status', {
        reservationId: r.id,
        pointId: r.pointId,
        plate: r.plate,
        driverId: r.driverId,
        from: m.from,
        to: r.state,
        reason: m.reason ?? r.cancelReason,
        at: r.updatedAt,
      });
      this.#publish(r);
    }
    if (moved.some((m) => m.row.chargerReservedAt && !m.row.chargerReleasedAt))
      this.#track(this.#o.chargers?.follow(this.#now()) ?? Promise.resolve());
  }

  #announceFlags(rows: ReservationRow[], now: Date): void {
    for (const r of rows) {
      this.#o.events.emit('reservation.status', {
        reservationId: r.id,
        pointId: r.pointId,
        plate: r.plate,
        driverId: r.driverId,
        from: r.state,
        to: r.state,
        reason: r.flaggedReason,
        at: now,
      });
      this.#publish(r);
    }
  }

  /** Publishes in commit order, one at a time (QoS 1, retained: a late subscriber sees the last). */
  #publish(r: ReservationRow): void {
    const payload = JSON.stringify(statusMessage(r));
    this.#published = this.#published.then(() =>
      this.#o.link
        .publish(statusTopic(r.id), payload, { retain: true })
        .catch((err) => this.#o.logger.warn({ err, id: r.id }, 'reservation status not published')),
    );
    this.#track(this.#published);
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch(() => {}).finally(() => this.#inFlight.delete(t));
    this.#inFlight.add(t);
  }

  /** Resolves when every publish and point reaction started so far is done. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
