import { type ClockAndTimers, GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { EvPointState, Schema } from '../../storage/index.js';
import { normalizePlate } from '../cars/index.js';
import type { ReservationActor, ReservationEngine } from '../reservations/index.js';
import {
  type Busy,
  type NetworkStation,
  networkWaitAt,
  OCCUPIED,
  pointFor,
  pointUsable,
} from './availability.js';
import { type CarSpec, carSpecFor } from './car-spec.js';
import type { TripsConfig } from './config.js';
import { greatCircleRoad, type LatLon } from './geo.js';
import { type PlannedStop, planTrip } from './planner.js';

/** What a caller asks the planner (POST /api/v1/trips/plan). */
export interface PlanRequest {
  /** The car by plate: its model and numbers, and its live battery unless socPct is given. */
  plate?: string;
  /** Without a plate: a model name (known models carry their numbers and curve) ... */
  model?: string;
  /** ... or the numbers. */
  batteryKwh?: number;
  consumptionKwhPerKm?: number;
  /** The charge now; default the car's last report. */
  socPct?: number;
  origin: LatLon;
  destination: LatLon;
  /** Default now. */
  departAt?: Date;
  minStopSocPct?: number;
  minDestSocPct?: number;
  maxChargeSocPct?: number;
  stopOverheadMinutes?: number;
  /** Book every stop at once (all or nothing). */
  book?: boolean;
}

export interface TripStopView {
  seq: number;
  /** null: our own station; else the peer central that owns it (ids below are the peer's). */
  peer: string | null;
  stationId: number;
  stationName: string;
  companyId: string;
  position: LatLon;
  distanceKm: number;
  driveMinutes: number;
  arriveAt: string;
  arrivalSocPct: number;
  waitMinutes: number;
  chargeFrom: string;
  chargeMinutes: number;
  departAt: string;
  departureSocPct: number;
  energyKwh: number;
  maxPowerKw: number;
  /** Set when the trip was booked. */
  pointId: number | null;
  reservationId: number | null;
}

export interface TripView {
  id: number;
  driverId: number | null;
  plate: string | null;
  replacesId: number | null;
  booked: boolean;
  car: { model: string | null; batteryKwh: number; consumptionKwhPerKm: number; speedKmh: number };
  /** Where the starting charge came from: the request, or the car's report (with its time). */
  start: { socPct: number; source: 'request' | 'car'; reportedAt: string | null };
  origin: LatLon;
  destination: LatLon;
  departAt: string;
  arriveAt: string;
  arrivalSocPct: number;
  totalMinutes: number;
  driveMinutes: number;
  waitMinutes: number;
  overheadMinutes: number;
  chargeMinutes: number;
  distanceKm: number;
  stops: TripStopView[];
  createdAt: string;
  /** The federated transaction that books it (a trip with a stop at a peer), when booked so. */
  federation: TripFederationView | null;
}

/** A federated transaction's states (docs/FEDERATION.md, "The coordinator's log"). */
export type FederatedTxState =
  | 'trying'
  | 'confirming'
  | 'confirmed'
  | 'canceling'
  | 'canceled'
  | 'compensating'
  | 'failed';
export type FederatedBranchState = 'pending' | 'tried' | 'try_failed' | 'confirmed' | 'canceled';

/** What the driver sees of a federated booking (docs/FEDERATION.md). */
export interface TripFederationView {
  txId: string;
  state: FederatedTxState;
  branches: Array<{
    seq: number;
    peer: string | null;
    companyId: string;
    state: FederatedBranchState;
    reservationId: number | null;
  }>;
}

/** A peer's charging point from its copied catalog (ids are the peer's). */
export interface TripRemotePoint {
  peer: string;
  companyId: string;
  stationId: number;
  stationName: string;
  latitude: number;
  longitude: number;
  pointId: number;
  usable: boolean;
  state: string;
  powerKw: number;
  busy: Busy[];
}

/** One stop of a federated booking: a branch at a peer, or ours (`peer` null). */
export interface TripBranch {
  branchId: string;
  peer: string | null;
  companyId: string;
  stationId: number;
  pointId: number;
  start: Date;
  end: Date;
}

/** A federated transaction as the trip service reads it. */
export interface TripTransaction {
  id: string;
  tripId: number | null;
  state: FederatedTxState;
  reason: string | null;
  branches: Array<TripBranch & { state: FederatedBranchState; reservationId: number | null }>;
}

/**
 * The federation as the trip service uses it (a port: the composition root plugs in
 * federation/coordinator): the peers' points to plan over, and the all-or-nothing booking of a
 * trip with a stop at a peer.
 */
export interface TripFederation {
  remotePoints(): Promise<TripRemotePoint[]>;
  book(b: {
    tripId: number;
    createdBy: string;
    plate: string | null;
    driver: string | null;
    branches: TripBranch[];
  }): Promise<TripTransaction>;
  get(txId: string): Promise<TripTransaction | null>;
}

export interface TripServiceDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  config: TripsConfig;
  reservations: ReservationEngine;
  /** The reservation engine's shortest slot (ev.reservations.minSlotMinutes). */
  minSlotMinutes: number;
  logger: Logger;
  /** Off without peers: then only our own stations are planned over. */
  federation?: TripFederation;
}

const LIVE = ['PENDING', 'RESERVED', 'FULFILLED'] as const;
const min = (ms: number) => Math.round((ms / 60_000) * 10) / 10;
const driverOf = (who: ReservationActor) => (who.kind === 'driver' ? who.driverId : null);

/**
 * The trip service (docs/EV.md, "Trip planner"): plans over the stations in the database with
 * availability at arrival from the points' live state and the live bookings, keeps each plan,
 * books its stops through the reservation engine (all or nothing), re-plans from the car's live
 * battery. Knows nothing of HTTP.
 */
export class TripService {
  readonly #d: TripServiceDeps;
  #federation: TripFederation | undefined;

  constructor(deps: TripServiceDeps) {
    this.#d = deps;
    this.#federation = deps.federation;
  }

  /** Plugs the federation in after construction (the coordinator reports back to us). */
  useFederation(federation: TripFederation): void {
    this.#federation = federation;
  }

  async plan(req: PlanRequest, who: ReservationActor, replaces?: number): Promise<TripView> {
    const { db, config, clock } = this.#d;
    if (who.kind === 'driver' && who.driverId === 0)
      throw new GridlinkError('GL_NOT_FOUND', 'the token names no driver');
    const now = clock.now();
    const { spec, model, plate, soc } = await this.#car(req, who);
    const departAt = req.departAt ? req.departAt.getTime() : now;
    const network = await this.#network(now, departAt, plate);
    const stopOverheadMs = (req.stopOverheadMinutes ?? config.stopOverheadMinutes) * 60_000;
    const result = planTrip({
      origin: req.origin,
      destination: req.destination,
      departAt,
      car: spec,
      startSocPct: soc.socPct,
      minStopSocPct: req.minStopSocPct ?? config.minStopSocPct,
      minDestSocPct: req.minDestSocPct ?? config.minDestSocPct,
      maxChargeSocPct: req.maxChargeSocPct ?? 100,
      stopOverheadMs,
      stations: [...network.values()],
      waitAt: networkWaitAt(network),
      distance: greatCircleRoad(config.roadFactor),
      socStepPct: config.socStepPct,
    });
    if (!result.ok) throw new GridlinkError(result.code, result.message, result.details);
    const p = result.plan;
    const stops: TripStopView[] = p.stops.map((s: PlannedStop, i) => {
      const st = network.get(s.station.id) as NetworkStation;
      return {
        seq: i + 1,
        peer: st.peer ?? null,
        stationId: st.remoteStationId ?? st.id,
        stationName: st.name,
        companyId: st.companyId,
        position: st.position,
        distanceKm: s.distanceKm,
        driveMinutes: min(s.driveMs),
        arriveAt: new Date(s.arriveAt).toISOString(),
        arrivalSocPct: s.arrivalSocPct,
        waitMinutes: min(s.waitMs),
        chargeFrom: new Date(s.chargeFrom).toISOString(),
        chargeMinutes: min(s.chargeMs),
        departAt: new Date(s.departAt).toISOString(),
        departureSocPct: s.departureSocPct,
        energyKwh: s.energyKwh,
        maxPowerKw: st.maxPowerKw,
        pointId: null,
        reservationId: null,
      };
    });
    const createdAt = new Date(now);
    const view: Omit<TripView, 'id'> = {
      driverId: driverOf(who),
      plate,
      replacesId: replaces ?? null,
      booked: false,
      car: {
        model,
        batteryKwh: spec.batteryKwh,
        consumptionKwhPerKm: spec.consumptionKwhPerKm,
        speedKmh: spec.speedKmh,
      },
      start: soc,
      origin: req.origin,
      destination: req.destination,
      departAt: new Date(p.departAt).toISOString(),
      arriveAt: new Date(p.arriveAt).toISOString(),
      arrivalSocPct: p.arrivalSocPct,
      totalMinutes: min(p.totalMs),
      driveMinutes: min(p.driveMs),
      waitMinutes: min(p.waitMs),
      overheadMinutes: min(p.overheadMs),
      chargeMinutes: min(p.chargeMs),
      distanceKm: p.distanceKm,
      stops,
      createdAt: createdAt.toISOString(),
      federation: null,
    };
    const request = { ...req, departAt: new Date(departAt).toISOString() };
    const id = await db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('ev_trips')
        .values({
          driver_id: view.driverId,
          plate,
          created_by: who.label,
          replaces_id: replaces ?? null,
          depart_at: new Date(p.departAt),
          arrive_at: new Date(p.arriveAt),
          total_ms: p.totalMs,
          request: JSON.stringify(request),
          plan: JSON.stringify(view),
          created_at: createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const tripId = Number(row.id);
      if (p.stops.length)
        await tx
          .insertInto('ev_trip_stops')
          .values(
            p.stops.map((s, i) => ({
              trip_id: tripId,
              seq: i + 1,
              ...((st) =>
                st.peer
                  ? { station_id: null, peer: st.peer, remote_station_id: st.remoteStationId }
                  : { station_id: st.id })(network.get(s.station.id) as NetworkStation),
              arrive_at: new Date(s.arriveAt),
              charge_from: new Date(s.chargeFrom),
              depart_at: new Date(s.departAt),
              arrival_soc_pct: s.arrivalSocPct,
              departure_soc_pct: s.departureSocPct,
            })),
          )
          .execute();
      return tripId;
    });
    const trip: TripView = { id, ...view };
    if (req.book && stops.some((s) => s.peer !== null))
      return this.#bookFederated(trip, network, stopOverheadMs, who);
    if (req.book && stops.length) await this.#bookAll(trip, network, stopOverheadMs, who);
    return trip;
  }

  /** Re-plans a trip from the car's live battery (or `socPct`), from `origin` (default the trip's). */
  async replan(
    id: number,
    body: { origin?: LatLon; socPct?: number; book?: boolean },
    who: ReservationActor,
  ): Promise<TripView> {
    const row = await this.#row(id, who);
    if (!row) throw new GridlinkError('GL_NOT_FOUND', `trip ${id} not found`);
    const before = row.request as PlanRequest & { departAt: string };
    const old = await this.get(id, who);
    const next: PlanRequest = {
      ...before,
      origin: body.origin ?? before.origin,
      departAt: undefined,
      book: body.book ?? false,
    };
    if (body.socPct !== undefined) next.socPct = body.socPct;
    else if (before.plate) delete next.socPct;
    const trip = await this.plan(next, who, id);
    // Asked to book: the old bookings give way once the new plan holds its own (or needs none).
    // A federated trip's bookings belong to its transaction (and partly to peers): left alone.
    if (next.book && old && !old.federation)
      for (const s of old.stops)
        if (s.reservationId !== null && s.peer === null)
          await this.#d.reservations
            .cancel(s.reservationId, 'TRAFFIC', who)
            .catch((err) =>
              this.#d.logger.warn(
                { err, reservationId: s.reservationId },
                'old trip booking not canceled',
              ),
            );
    return trip;
  }

  async get(id: number, who: ReservationActor): Promise<TripView | null> {
    const row = await this.#row(id, who);
    if (!row) return null;
    return this.#view(row);
  }

  async list(who: ReservationActor, limit = 50): Promise<TripView[]> {
    const driverId = driverOf(who);
    let q = this.#d.db.selectFrom('ev_trips').selectAll().orderBy('id', 'desc').limit(limit);
    if (driverId !== null) q = q.where('driver_id', '=', driverId);
    const rows = await q.execute();
    return Promise.all(rows.map((r) => this.#view(r)));
  }

  async #row(id: number, who: ReservationActor) {
    const driverId = driverOf(who);
    let q = this.#d.db.selectFrom('ev_trips').selectAll().where('id', '=', id);
    if (driverId !== null) q = q.where('driver_id', '=', driverId);
    return q.executeTakeFirst();
  }

  async #view(row: {
    id: string | number;
    plan: unknown;
    booked: boolean;
    fed_tx_id: string | null;
  }): Promise<TripView> {
    const view = { ...(row.plan as TripView), id: Number(row.id), booked: row.booked };
    const stops = await this.#d.db
      .selectFrom('ev_trip_stops')
      .select([
        'seq',
        'peer',
        'point_id',
        'reservation_id',
        'remote_point_id',
        'remote_reservation_id',
      ])
      .where('trip_id', '=', Number(row.id))
      .execute();
    const bySeq = new Map(stops.map((s) => [s.seq, s]));
    const id = (v: string | number | null | undefined) => (v == null ? null : Number(v));
    view.stops = view.stops.map((s) => {
      const r = bySeq.get(s.seq);
      const remote = r?.peer != null;
      return {
        ...s,
        peer: r?.peer ?? null,
        pointId: id(remote ? r?.remote_point_id : r?.point_id),
        reservationId: id(remote ? r?.remote_reservation_id : r?.reservation_id),
      };
    });
    const tx = row.fed_tx_id ? await this.#federation?.get(row.fed_tx_id) : null;
    view.federation = tx ? federationView(tx) : null;
    return view;
  }

  /**
   * Records a federated booking that reached its end (the coordinator calls this, also when
   * recovery finished it long after the plan answered): when confirmed, each stop's point and
   * reservation (the peer's ids at a peer) and the trip booked.
   */
  async settle(tx: TripTransaction): Promise<void> {
    if (tx.tripId === null || tx.state !== 'confirmed') return;
    const tripId = tx.tripId;
    await this.#d.db.transaction().execute(async (t) => {
      const trip = await t
        .selectFrom('ev_trips')
        .select('fed_tx_id')
        .where('id', '=', tripId)
        .executeTakeFirst();
      if (trip?.fed_tx_id !== tx.id) return;
      for (const b of tx.branches)
        await t
          .updateTable('ev_trip_stops')
          .set(
            b.peer
              ? { remote_point_id: b.pointId, remote_reservation_id: b.reservationId }
              : { point_id: b.pointId, reservation_id: b.reservationId },
          )
          .where('trip_id', '=', tripId)
          .where('seq', '=', Number(b.branchId))
          .execute();
      await t.updateTable('ev_trips').set({ booked: true }).where('id', '=', tripId).execute();
    });
  }

  /**
   * Books a trip with a stop at a peer through the federation coordinator, all or nothing: each
   * stop a branch (ours through the local participant), on the point its station has free for
   * the slot as far as the plan knows. Confirmed: the trip, booked. Canceled or failed: the same
   * GL_EV_SLOT_TAKEN as a local booking, naming the stop. Still confirming (a participant did
   * not acknowledge yet): the trip with `federation.state` confirming; recovery finishes it.
   */
  async #bookFederated(
    trip: TripView,
    network: ReadonlyMap<number, NetworkStation>,
    overheadMs: number,
    who: ReservationActor,
  ): Promise<TripView> {
    const federation = this.#federation;
    if (!federation)
      throw new GridlinkError('GL_CONFLICT', 'a stop is at a peer but federation is off');
    const byKey = new Map<string, NetworkStation>();
    for (const st of network.values())
      byKey.set(`${st.peer ?? ''}:${st.remoteStationId ?? st.id}`, st);
    const branches = trip.stops.map((stop) => {
      const { start, end } = this.#slot(stop, overheadMs);
      const st = byKey.get(`${stop.peer ?? ''}:${stop.stationId}`) as NetworkStation;
      const pointId = pointFor(st, start, end);
      if (pointId === null)
        throw new GridlinkError(
          'GL_EV_SLOT_TAKEN',
          `stop ${stop.seq} (${where(stop)}): no usable point; nothing was booked`,
          {
            tripId: trip.id,
            seq: stop.seq,
            stationId: stop.stationId,
            peer: stop.peer,
            nextFree: [],
          },
        );
      return {
        branchId: String(stop.seq),
        peer: stop.peer,
        companyId: stop.companyId,
        stationId: stop.stationId,
        pointId,
        start: new Date(start),
        end: new Date(end),
      };
    });
    const tx = await federation.book({
      tripId: trip.id,
      createdBy: who.label,
      plate: trip.plate,
      driver: trip.driverId === null ? null : `driver ${trip.driverId}`,
      branches,
    });
    if (tx.state === 'confirmed') await this.settle(tx);
    if (tx.state !== 'confirmed' && tx.state !== 'confirming') {
      const seq = Number(/^stop (\d+)/.exec(tx.reason ?? '')?.[1] ?? 0);
      const stop = trip.stops.find((s) => s.seq === seq) ?? trip.stops[0];
      const b = branches.find((x) => x.branchId === String(stop?.seq));
      throw new GridlinkError(
        'GL_EV_SLOT_TAKEN',
        `stop ${stop?.seq} (${stop ? where(stop) : '?'}): ${tx.reason ?? 'refused'}; nothing was booked`,
        {
          tripId: trip.id,
          seq: stop?.seq,
          stationId: stop?.stationId,
          peer: stop?.peer ?? null,
          pointId: b?.pointId,
          txId: tx.id,
          state: tx.state,
          refusals: tx.reason ? [tx.reason] : [],
          nextFree: [],
        },
      );
    }
    const row = await this.#row(trip.id, { kind: 'system', label: 'trips' });
    return this.#view(row as NonNullable<typeof row>);
  }

  /** A stop's slot: from when the car gets the point to when it leaves, whole seconds. */
  #slot(stop: TripStopView, overheadMs: number): { start: number; end: number } {
    const start = Math.floor((Date.parse(stop.chargeFrom) - overheadMs) / 1000) * 1000;
    const end = Math.max(
      Math.ceil(Date.parse(stop.departAt) / 1000) * 1000,
      start + this.#d.minSlotMinutes * 60_000,
    );
    return { start, end };
  }

  /** The car: by plate (the driver's own), or a model / numbers; its starting charge. */
  async #car(req: PlanRequest, who: ReservationActor) {
    const { config } = this.#d;
    let spec: CarSpec | null;
    let model: string | null = req.model ?? null;
    let plate: string | null = null;
    let soc: TripView['start'];
    if (req.plate !== undefined) {
      plate = normalizePlate(req.plate);
      const car = await this.#d.db
        .selectFrom('ev_cars')
        .selectAll()
        .where('plate', '=', plate)
        .executeTakeFirst();
      const driverId = driverOf(who);
      if (!car || (driverId !== null && Number(car.driver_id) !== driverId))
        throw new GridlinkError('GL_NOT_FOUND', `car ${plate} not found`);
      model = car.model;
      spec = carSpecFor(
        {
          model: car.model,
          batteryKwh: car.battery_kwh,
          consumptionKwhPerKm: car.consumption_kwh_per_km,
        },
        config.roadSpeedKmh,
      );
      if (req.socPct !== undefined)
        soc = { socPct: req.socPct, source: 'request', reportedAt: null };
      else if (car.last_battery_pct !== null && car.last_at)
        soc = {
          socPct: car.last_battery_pct,
          source: 'car',
          reportedAt: new Date(car.last_at).toISOString(),
        };
      else
        throw new GridlinkError(
          'GL_VALIDATION',
          `socPct: car ${plate} has not reported its battery; give socPct`,
          [{ path: 'socPct', message: 'required: the car has not reported its battery' }],
        );
    } else {
      spec = carSpecFor(
        {
          model: req.model ?? null,
          batteryKwh: req.batteryKwh ?? null,
          consumptionKwhPerKm: req.consumptionKwhPerKm ?? null,
        },
        config.roadSpeedKmh,
      );
      if (req.socPct === undefined)
        throw new GridlinkError('GL_VALIDATION', 'socPct: required without a plate', [
          { path: 'socPct', message: 'required without a plate' },
        ]);
      soc = { socPct: req.socPct, source: 'request', reportedAt: null };
    }
    if (!spec)
      throw new GridlinkError(
        'GL_VALIDATION',
        `model: ${model ?? 'no model'} is not a known model; give batteryKwh and consumptionKwhPerKm`,
        [{ path: 'model', message: 'unknown model without batteryKwh and consumptionKwhPerKm' }],
      );
    return { spec, model, plate, soc };
  }

  /** Stations with their points' availability: live state now, live bookings ahead. */
  async #network(now: number, departAt: number, plate: string | null) {
    const { db, config } = this.#d;
    const rows = await db
      .selectFrom('ev_points as p')
      .innerJoin('ev_stations as s', 's.id', 'p.station_id')
      .leftJoin('ev_connectors as c', 'c.point_id', 'p.id')
      .select([
        's.id as station_id',
        's.name',
        's.company_id',
        's.latitude',
        's.longitude',
        'p.id as point_id',
        'p.active',
        'p.maintenance',
        'p.state',
        (eb) => eb.fn.max('c.max_power_w').as('max_w'),
      ])
      .groupBy(['s.id', 'p.id'])
      .execute();
    const from = new Date(Math.min(now, departAt));
    const until = new Date(Math.max(now, departAt) + config.horizonHours * 3_600_000);
    let bookings = db
      .selectFrom('ev_reservations')
      .select([
        'point_id',
        sql<Date>`lower(period)`.as('start'),
        sql<Date>`upper(period)`.as('end'),
      ])
      .where('state', 'in', LIVE)
      .where(sql<boolean>`period && tstzrange(${from}, ${until})`);
    if (plate)
      bookings = bookings.where((eb) => eb.or([eb('plate', 'is', null), eb('plate', '<>', plate)]));
    const busyOf = new Map<number, Busy[]>();
    for (const b of await bookings.execute()) {
      const list = busyOf.get(Number(b.point_id)) ?? [];
      list.push({ start: new Date(b.start).getTime(), end: new Date(b.end).getTime() });
      busyOf.set(Number(b.point_id), list);
    }
    const network = new Map<number, NetworkStation>();
    for (const r of rows) {
      const id = Number(r.station_id);
      let st = network.get(id);
      if (!st) {
        st = {
          id,
          name: r.name,
          companyId: r.company_id,
          position: { lat: r.latitude, lon: r.longitude },
          maxPowerKw: 0,
          points: [],
        };
        network.set(id, st);
      }
      const pointId = Number(r.point_id);
      const busy = busyOf.get(pointId) ?? [];
      if (OCCUPIED.has(r.state) && config.occupiedMinutes > 0)
        busy.push({ start: now, end: now + config.occupiedMinutes * 60_000 });
      busy.sort((a, b) => a.start - b.start);
      const usable = pointUsable(r);
      const powerKw = r.max_w == null ? config.defaultPointPowerKw : Number(r.max_w) / 1000;
      st.points.push({ pointId, usable, powerKw, busy });
      if (usable) st.maxPowerKw = Math.max(st.maxPowerKw, powerKw);
    }
    // The peers' stations, under negative keys of this plan (docs/FEDERATION.md).
    let key = 0;
    const remote = new Map<string, NetworkStation>();
    for (const rp of this.#federation ? await this.#federation.remotePoints() : []) {
      const k = `${rp.peer}:${rp.stationId}`;
      let st = remote.get(k);
      if (!st) {
        st = {
          id: --key,
          name: rp.stationName,
          companyId: rp.companyId,
          peer: rp.peer,
          remoteStationId: rp.stationId,
          position: { lat: rp.latitude, lon: rp.longitude },
          maxPowerKw: 0,
          points: [],
        };
        remote.set(k, st);
        network.set(st.id, st);
      }
      const busy = rp.busy.filter((b) => b.end > Math.min(now, departAt));
      if (OCCUPIED.has(rp.state as EvPointState) && config.occupiedMinutes > 0)
        busy.push({ start: now, end: now + config.occupiedMinutes * 60_000 });
      busy.sort((a, b) => a.start - b.start);
      st.points.push({ pointId: rp.pointId, usable: rp.usable, powerKw: rp.powerKw, busy });
      if (rp.usable) st.maxPowerKw = Math.max(st.maxPowerKw, rp.powerKw);
    }
    for (const [id, st] of network) if (st.maxPowerKw === 0) network.delete(id);
    return network;
  }

  /**
   * Books every stop (the slot from when the car gets the point to when it leaves, whole
   * seconds, at least the engine's shortest slot) on the first point of the station that takes
   * it; if a stop finds none, the bookings made are canceled and GL_EV_SLOT_TAKEN says which.
   */
  async #bookAll(
    trip: TripView,
    network: ReadonlyMap<number, NetworkStation>,
    overheadMs: number,
    who: ReservationActor,
  ): Promise<void> {
    const { reservations, minSlotMinutes, db } = this.#d;
    const made: Array<{ seq: number; pointId: number; reservationId: number }> = [];
    try {
      for (const stop of trip.stops) {
        const start = Math.floor((Date.parse(stop.chargeFrom) - overheadMs) / 1000) * 1000;
        const end = Math.max(
          Math.ceil(Date.parse(stop.departAt) / 1000) * 1000,
          start + minSlotMinutes * 60_000,
        );
        const station = network.get(stop.stationId) as NetworkStation;
        let booked: { pointId: number; reservationId: number } | null = null;
        const refusals: string[] = [];
        for (const p of station.points) {
          if (!p.usable) continue;
          try {
            const view = await reservations.book(
              {
                pointId: p.pointId,
                plate: trip.plate,
                driverId: trip.driverId,
                start: new Date(start),
                end: new Date(end),
                source: 'planner',
                requestId: `trip-${trip.id}-stop-${stop.seq}`,
              },
              who,
            );
            booked = { pointId: p.pointId, reservationId: view.id };
            break;
          } catch (err) {
            if (!(err instanceof GridlinkError)) throw err;
            refusals.push(`point ${p.pointId}: ${err.code}`);
          }
        }
        if (!booked)
          throw new GridlinkError(
            'GL_EV_SLOT_TAKEN',
            `stop ${stop.seq} (station ${stop.stationId}): no point free from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}; nothing was booked`,
            { tripId: trip.id, seq: stop.seq, stationId: stop.stationId, refusals, nextFree: [] },
          );
        made.push({ seq: stop.seq, ...booked });
      }
    } catch (err) {
      for (const m of made)
        await reservations
          .cancel(m.reservationId, 'USER', who)
          .catch((e) =>
            this.#d.logger.error(
              { err: e, reservationId: m.reservationId },
              'trip booking not undone',
            ),
          );
      throw err;
    }
    await db.transaction().execute(async (tx) => {
      for (const m of made)
        await tx
          .updateTable('ev_trip_stops')
          .set({ point_id: m.pointId, reservation_id: m.reservationId })
          .where('trip_id', '=', trip.id)
          .where('seq', '=', m.seq)
          .execute();
      await tx.updateTable('ev_trips').set({ booked: true }).where('id', '=', trip.id).execute();
    });
    trip.booked = true;
    for (const m of made) {
      const s = trip.stops.find((x) => x.seq === m.seq);
      if (s) {
        s.pointId = m.pointId;
        s.reservationId = m.reservationId;
      }
    }
  }
}

function where(stop: TripStopView): string {
  return stop.peer
    ? `station ${stop.stationId} of peer ${stop.peer}, company ${stop.companyId}`
    : `station ${stop.stationId}`;
}

function federationView(tx: TripTransaction): TripFederationView {
  return {
    txId: tx.id,
    state: tx.state,
    branches: tx.branches.map((b) => ({
      seq: Number(b.branchId),
      peer: b.peer,
      companyId: b.companyId,
      state: b.state,
      reservationId: b.reservationId,
    })),
  };
}
