import { errorCatalog, GridlinkError, isGridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { authenticateToken } from '../../auth/index.js';
import {
  chargeSpanMs,
  cruiseSpeedKmh,
  driverIdOf,
  type EvRuntime,
  freeFrom,
  PLANNER_CAR_MODELS,
  priceSession,
  type TripsConfig,
  unitChargeMs,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { startCarModels } from './car-models.js';
import type { SeedCConfig } from './config.js';
import { fail, type SeedCReply, type SeedCType } from './envelope.js';
import { type JourneyStation, readStations, stationPricePerKwh } from './stations.js';
import { type SeedCCaller, type SeedCUser, SeedCUsers, type Selection } from './users.js';

export interface JourneyDeps {
  db: Kysely<Schema>;
  reservations: EvRuntime['reservations'];
  now: () => number;
  config: SeedCConfig;
  trips: TripsConfig;
  /** The reservation engine's slot bounds (ev.reservations). */
  minSlotMinutes: number;
  maxSlotMinutes: number;
  logger: Logger;
}

const ok = (data: Record<string, unknown>, message = 'OK'): SeedCReply => ({
  code: 200,
  message,
  data,
});
const PLATE = /^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$/;
const minutes = (ms: number) => Math.round(ms / 6_000) / 10;
const reais = (centavos: number) => Math.round(centavos) / 100;
const MAX_LISTED = 1_000;

/** A finite number, or a numeric string (the original clients are Python; either may come). */
function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

function yesNo(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (['true', 'yes', 'sim', 's', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'nao', 'não', 'n', '0'].includes(s)) return false;
  return null;
}

/** One candidate station for a user: what SELECTION_STATION weighs and PAYMENT books. */
interface Candidate extends Selection {
  name: string;
  distanceKm: number;
  waitMs: number;
  pointId: number;
  arrivalSocPct: number;
  energyKwh: number;
  pricePerKwh: number | null;
}

/**
 * Seed C's five requests on GridLink's domain (docs/LEGACY-SEED-C.md): START lists the car
 * models and the stations; LOGIN keeps a user in memory; NAVIGATION says whether the charge
 * covers a route; SELECTION_STATION weighs the listed stations by travel + waiting + charging
 * time with the trip planner's pieces (charging curve capped by the station, availability at
 * arrival from live state and bookings) and prices the charge with the station's tariff;
 * PAYMENT books the slot through the reservation engine. Knows nothing of sockets.
 */
export class SeedCJourney {
  readonly #d: JourneyDeps;
  readonly users: SeedCUsers;
  #stationsCache: { at: number; value: Promise<JourneyStation[]> } | null = null;
  /** Per user: the candidates of its last SELECTION_STATION, by station id. */
  readonly #candidates = new WeakMap<SeedCUser, Map<number, Candidate>>();

  constructor(deps: JourneyDeps) {
    this.#d = deps;
    this.users = new SeedCUsers(deps.config.maxUsers, deps.config.userTtlMinutes * 60_000);
  }

  /** Whether a request type touches the database (the server queues those). */
  static usesDatabase(type: SeedCType): boolean {
    return type !== 'LOGIN' && type !== 'NAVIGATION';
  }

  /** Answers one request; never throws (a domain refusal is its code, anything else 500). */
  async handle(
    type: Exclude<SeedCType, 'AUTH'>,
    data: Record<string, unknown>,
    caller: SeedCCaller,
  ): Promise<SeedCReply> {
    try {
      switch (type) {
        case 'START':
          return await this.#start();
        case 'LOGIN':
          return this.#login(data, caller);
        case 'NAVIGATION':
          return this.#navigation(data, caller);
        case 'SELECTION_STATION':
          return await this.#selection(data, caller);
        case 'PAYMENT':
          return await this.#payment(data, caller);
      }
    } catch (err) {
      if (isGridlinkError(err) && errorCatalog[err.code].status < 500)
        return fail(errorCatalog[err.code].status, err.message);
      this.#d.logger.error(
        { err, code: isGridlinkError(err) ? err.code : 'GL_INTERNAL', type },
        'seed C request failed',
      );
      return fail(500, 'internal error');
    }
  }

  /** `AUTH {token}`: an API token (a driver's, or staff) for the connection; null when refused. */
  async authenticate(token: unknown): Promise<SeedCCaller | null> {
    if (typeof token !== 'string' || token.length > 200) return null;
    const who = await authenticateToken(this.#d.db, token, new Date(this.#d.now()));
    if (!who) return null;
    const driverId = driverIdOf(who);
    if (driverId !== undefined) return { kind: 'driver', driverId, tokenId: who.tokenId };
    if (who.role === 'admin' || who.role === 'operator')
      return { kind: 'staff', tokenId: who.tokenId };
    return null;
  }

  #stations(): Promise<JourneyStation[]> {
    const now = this.#d.now();
    const c = this.#stationsCache;
    if (c && now - c.at < this.#d.config.stationsCacheMs && now >= c.at) return c.value;
    const value = this.#read(undefined);
    this.#stationsCache = { at: now, value };
    value.catch(() => {
      if (this.#stationsCache?.value === value) this.#stationsCache = null;
    });
    return value;
  }

  #read(ids: readonly number[] | undefined): Promise<JourneyStation[]> {
    const t = this.#d.trips;
    return readStations(this.#d.db, {
      ...(ids ? { ids } : {}),
      now: this.#d.now(),
      horizonMs: t.horizonHours * 3_600_000,
      defaultPowerKw: t.defaultPointPowerKw,
      occupiedMs: t.occupiedMinutes * 60_000,
    });
  }

  async #start(): Promise<SeedCReply> {
    const stations = await this.#stations();
    return ok({
      car_models: startCarModels(),
      stations: stations.map((s) => ({
        id: s.id,
        name: s.name,
        address: s.address,
        latitude: s.latitude,
        longitude: s.longitude,
        points: s.points.length,
        available_points: s.points.filter((p) => p.available).length,
        price_kwh: stationPricePerKwh(s),
      })),
    });
  }

  #login(data: Record<string, unknown>, caller: SeedCCaller): SeedCReply {
    const name = typeof data.user_name === 'string' ? data.user_name.trim() : '';
    if (name === '' || name.length > 64) return fail(400, 'user_name: 1 to 64 characters required');
    const model = typeof data.selected_car === 'string' ? data.selected_car : '';
    if (!PLANNER_CAR_MODELS.has(model))
      return fail(
        400,
        `selected_car: unknown car ${JSON.stringify(model.slice(0, 64))}; known: ${[...PLANNER_CAR_MODELS.keys()].join(', ')}`,
      );
    const battery = num(data.battery_car);
    if (battery === null || battery < 0 || battery > 100)
      return fail(400, 'battery_car: a number from 0 to 100 (%) required');
    const plate = name.toUpperCase().replace(/[\s-]/g, '');
    const user = this.users.add(
      {
        name,
        plate: PLATE.test(plate) ? plate : null,
        model,
        batteryPct: battery,
        owner: caller.kind === 'anonymous' ? 'anonymous' : `${caller.kind}:${caller.tokenId}`,
      },
      this.#d.now(),
    );
    return ok({ user_id: user.id }, 'login ok');
  }

  #user(data: Record<string, unknown>, caller: SeedCCaller): SeedCUser | SeedCReply {
    if (data.user_id === undefined) return fail(400, 'user_id: required');
    const user = this.users.get(data.user_id, caller, this.#d.now());
    return (
      user ?? fail(404, `user_id ${String(data.user_id).slice(0, 20)}: no such user; LOGIN first`)
    );
  }

  #navigation(data: Record<string, unknown>, caller: SeedCCaller): SeedCReply {
    const user = this.#user(data, caller);
    if ('code' in user) return user;
    const km = num(data.route_distance);
    if (km === null || km < 0 || km > 40_000)
      return fail(400, 'route_distance: a number of km from 0 to 40000 required');
    const m = PLANNER_CAR_MODELS.get(user.model);
    if (!m) return fail(500, 'model vanished');
    const rangeKm = (pct: number) => (pct / 100) * (m.batteryKwh / m.consumptionKwhPerKm);
    const autonomy = Math.round(rangeKm(user.batteryPct) * 10) / 10;
    // Arrive with the planner's reserve (ev.trips.minDestSocPct), not on an empty battery.
    const usable = rangeKm(Math.max(0, user.batteryPct - this.#d.trips.minDestSocPct));
    const can = km <= usable;
    user.routeKm = km;
    return ok({
      can_complete: can,
      message: can
        ? `Autonomia suficiente: ${autonomy} km para ${km} km`
        : `Autonomia insuficiente: ${autonomy} km para ${km} km (reserva de ${this.#d.trips.minDestSocPct} %); escolha um posto`,
      autonomy,
    });
  }

  /** Weighs one station for a user `distanceKm` away: null when unreachable or unusable. */
  #weigh(user: SeedCUser, s: JourneyStation, distanceKm: number): Candidate | null {
    const t = this.#d.trips;
    const m = PLANNER_CAR_MODELS.get(user.model);
    if (!m) return null;
    const arrivalSocPct =
      user.batteryPct - ((distanceKm * m.consumptionKwhPerKm) / m.batteryKwh) * 100;
    if (arrivalSocPct < 0) return null;
    const now = this.#d.now();
    const travelMs = Math.round(
      (distanceKm / cruiseSpeedKmh(m.maxSpeedKmh, t.roadSpeedKmh)) * 3_600_000,
    );
    const arrival = now + travelMs;
    const step = t.socStepPct;
    const units = 100 / step;
    const from = Math.min(units, Math.floor(arrivalSocPct / step));
    const to = Math.max(from, Math.ceil(this.#d.config.targetSocPct / step));
    let best: Candidate | null = null;
    for (const p of s.points) {
      if (!p.usable) continue;
      const waitMs = freeFrom(p.busy, arrival) - arrival;
      const table = unitChargeMs(m.curve, p.powerKw, (m.batteryKwh * step) / 100, step, units);
      const chargeMs = chargeSpanMs(table, from, to);
      const total = travelMs + waitMs + chargeMs;
      if (best && best.travelMs + best.waitMs + best.chargeMs <= total) continue;
      const energyKwh = ((to - from) * step * m.batteryKwh) / 100;
      const chargeFrom = new Date(arrival + waitMs);
      const price = priceSession(p.tariff, {
        startedAt: chargeFrom,
        chargingStartedAt: chargeFrom,
        chargingStoppedAt: new Date(chargeFrom.getTime() + chargeMs),
        endedAt: new Date(chargeFrom.getTime() + chargeMs),
        energyWh: Math.round(energyKwh * 1000),
        timeZone: s.timeZone,
      });
      best = {
        stationId: s.id,
        name: s.name,
        distanceKm,
        travelMs,
        waitMs,
        chargeMs,
        pointId: p.id,
        arrivalSocPct: Math.round(arrivalSocPct * 10) / 10,
        energyKwh: Math.round(energyKwh * 1000) / 1000,
        priceCentavos: price.totalCentavos,
        pricePerKwh: stationPricePerKwh(s),
        at: now,
      };
    }
    return best;
  }

  async #selection(data: Record<string, unknown>, caller: SeedCCaller): Promise<SeedCReply> {
    const user = this.#user(data, caller);
    if ('code' in user) return user;
    const list = data.list_stations;
    if (typeof list !== 'object' || list === null || Array.isArray(list))
      return fail(
        400,
        'list_stations: an object {station id: {distance_origin_position}} required',
      );
    const entries = Object.entries(list as Record<string, unknown>);
    if (entries.length === 0) return fail(400, 'list_stations: empty');
    if (entries.length > MAX_LISTED) return fail(400, `list_stations: at most ${MAX_LISTED}`);
    const distances = new Map<number, number>();
    for (const [key, v] of entries) {
      const id = /^[1-9]\d{0,15}$/.test(key) ? Number(key) : null;
      const d =
        typeof v === 'object' && v !== null
          ? num((v as Record<string, unknown>).distance_origin_position)
          : null;
      if (id === null) return fail(400, `list_stations: ${key.slice(0, 20)} is not a station id`);
      if (d === null || d < 0 || d > 40_000)
        return fail(
          400,
          `list_stations.${id}.distance_origin_position: km from 0 to 40000 required`,
        );
      distances.set(id, d);
    }
    const stations = await this.#read([...distances.keys()]);
    if (stations.length === 0) return fail(404, 'none of the listed stations exists');
    const weighed = new Map<number, Candidate>();
    let best: Candidate | null = null;
    for (const s of stations) {
      const c = this.#weigh(user, s, distances.get(s.id) as number);
      if (!c) continue;
      weighed.set(s.id, c);
      const total = c.travelMs + c.waitMs + c.chargeMs;
      if (!best || total < best.travelMs + best.waitMs + best.chargeMs) best = c;
    }
    this.#candidates.set(user, weighed);
    if (!best)
      return fail(
        409,
        'no listed station can be reached with the charge left, or none has a usable point',
      );
    user.selection = best;
    return ok({
      id_station: best.stationId,
      name: best.name,
      distance: best.distanceKm,
      travel_time: minutes(best.travelMs),
      waiting_time: minutes(best.waitMs),
      charging_time: minutes(best.chargeMs),
      total_time: minutes(best.travelMs + best.waitMs + best.chargeMs),
      arrival_battery: best.arrivalSocPct,
      charge_to: this.#d.config.targetSocPct,
      energy_kwh: best.energyKwh,
      price: reais(best.priceCentavos),
      price_kwh: best.pricePerKwh,
    });
  }

  async #payment(data: Record<string, unknown>, caller: SeedCCaller): Promise<SeedCReply> {
    const user = this.#user(data, caller);
    if ('code' in user) return user;
    const stationId = num(data.id_station);
    if (stationId === null || !Number.isSafeInteger(stationId) || stationId < 1)
      return fail(400, 'id_station: a station id required');
    const confirmation = yesNo(data.confirmation);
    if (confirmation === null) return fail(400, 'confirmation: true or false required');
    if (!confirmation)
      return ok({ reserved: false, message: 'Pagamento não confirmado: nada reservado' });
    const candidate = this.#candidates.get(user)?.get(stationId);
    if (!candidate)
      return fail(400, `id_station ${stationId}: not among this user's SELECTION_STATION answer`);
    const plate = user.plate;
    const driverId = caller.kind === 'driver' ? caller.driverId : (this.#d.config.driverId ?? null);
    if (plate === null && driverId === null)
      return fail(
        403,
        'PAYMENT books for a car or a driver: give a plate as user_name, or AUTH with a driver token',
      );
    if (user.reservationId !== null) {
      const earlier = await this.#d.reservations.get(user.reservationId);
      if (earlier && earlier.canceled === null) return this.#paid(earlier, candidate);
    }
    // The station as it is now: a point freed or taken since the selection counts.
    const [station] = await this.#read([stationId]);
    if (!station) return fail(404, `station ${stationId} not found`);
    const { minSlotMinutes, maxSlotMinutes } = this.#d;
    const arrival = this.#d.now() + candidate.travelMs;
    const points = station.points
      .filter((p) => p.usable)
      .map((p) => ({ p, wait: freeFrom(p.busy, arrival) - arrival }))
      .sort((a, b) => a.wait - b.wait);
    const lengthMs = Math.min(
      Math.max(Math.ceil(candidate.chargeMs / 1000) * 1000, minSlotMinutes * 60_000),
      maxSlotMinutes * 60_000,
    );
    const by =
      caller.kind === 'driver'
        ? { kind: 'driver' as const, driverId: caller.driverId, label: `driver:${caller.driverId}` }
        : {
            kind: 'system' as const,
            label: caller.kind === 'staff' ? `seed-c:token:${caller.tokenId}` : 'seed-c',
          };
    for (const { p, wait } of points) {
      const start = Math.floor((arrival + wait) / 1000) * 1000;
      try {
        const view = await this.#d.reservations.book(
          {
            pointId: p.id,
            plate,
            driverId,
            start: new Date(start),
            end: new Date(start + lengthMs),
            source: 'seed-c',
            requestId: `${user.id}:${stationId}:${start}`,
          },
          by,
        );
        user.reservationId = view.id;
        return this.#paid(view, candidate);
      } catch (err) {
        if (
          err instanceof GridlinkError &&
          (err.code === 'GL_EV_SLOT_TAKEN' || err.code === 'GL_EV_POINT_NOT_BOOKABLE')
        )
          continue;
        throw err;
      }
    }
    let soonest: string | null = null;
    for (const { p } of points) {
      const [slot] = await this.#d.reservations.nextFreeSlots(p.id, new Date(arrival), lengthMs, 1);
      if (slot && (soonest === null || slot.start.toISOString() < soonest))
        soonest = slot.start.toISOString();
    }
    return {
      code: 409,
      message: `no point of station ${stationId} is free at arrival; nothing reserved`,
      data: { reserved: false, next_free: soonest },
    };
  }

  #paid(
    view: { id: number; pointId: number; start: string; end: string },
    c: Candidate,
  ): SeedCReply {
    return ok(
      {
        reserved: true,
        reservation_id: view.id,
        id_station: c.stationId,
        point_id: view.pointId,
        start: view.start,
        end: view.end,
        price: reais(c.priceCentavos),
      },
      'reserva confirmada',
    );
  }
}
