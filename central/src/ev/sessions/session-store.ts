import { GridlinkError } from '@gridlink/shared';
import { type Kysely, sql, type Transaction } from 'kysely';
import { encodePix, type PixSettings } from '../../billing/index.js';
import { centavos } from '../../money/index.js';
import type { EvSessionState, Schema } from '../../storage/index.js';
import { type EnergySample, priceSession, type SessionPrice } from '../tariffs/price-session.js';
import { DEFAULT_TARIFF, type Tariff, tariffSchema } from '../tariffs/tariff-schema.js';
import type { Decision, OpenSession, SessionPatch } from './decide.js';
import type { SessionScope } from './scope.js';

type Db = Kysely<Schema> | Transaction<Schema>;

/** At most this many energy samples per session (one per `sampleEveryMinutes` while charging). */
const MAX_SAMPLES = 2000;

export interface SessionView {
  id: number;
  pointId: number;
  plate: string | null;
  driverId: number | null;
  reservationId: number | null;
  state: EvSessionState;
  startedAt: string;
  chargingStartedAt: string | null;
  chargingStoppedAt: string | null;
  endedAt: string | null;
  /** Energy delivered so far (active) or in the session (ended), whole Wh. */
  energyWh: number | null;
  maxPowerW: number | null;
  startedBy: string;
  stoppedBy: string | null;
  endReason: string | null;
  timeZone: string;
  totalCentavos: number | null;
  price: SessionPrice | null;
  pixTxid: string | null;
  paidAt: string | null;
}

const num = (v: string | number | null) => (v === null ? null : Number(v));
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Pix 62.05 of a session: `GLEVS` + the id, zero-padded (alphanumeric, ≤ 25, unique). */
export function sessionTxid(id: number): string {
  return `GLEVS${String(id).padStart(10, '0')}`;
}

/** Energy of a session: the lifetime register's difference, else the session register. */
function energyOf(r: {
  energy_start_wh: string | number | null;
  energy_end_wh: string | number | null;
  session_energy_wh: string | number | null;
  energy_wh: string | number | null;
}): number | null {
  if (r.energy_wh !== null) return Number(r.energy_wh);
  const s = num(r.energy_start_wh);
  const e = num(r.energy_end_wh);
  if (s !== null && e !== null && e >= s) return e - s;
  return num(r.session_energy_wh);
}

const columns = [
  'id',
  'point_id',
  'plate',
  'driver_id',
  'reservation_id',
  'state',
  'started_at',
  'charging_started_at',
  'charging_stopped_at',
  'ended_at',
  'energy_start_wh',
  'energy_end_wh',
  'session_energy_wh',
  'energy_wh',
  'max_power_w',
  'started_by',
  'stopped_by',
  'end_reason',
  'time_zone',
  'total_centavos',
  'price',
  'pix_txid',
  'paid_at',
] as const;

type Row = {
  id: string | number;
  point_id: string | number;
  plate: string | null;
  driver_id: string | number | null;
  reservation_id: string | number | null;
  state: EvSessionState;
  started_at: Date;
  charging_started_at: Date | null;
  charging_stopped_at: Date | null;
  ended_at: Date | null;
  energy_start_wh: string | number | null;
  energy_end_wh: string | number | null;
  session_energy_wh: string | number | null;
  energy_wh: string | number | null;
  max_power_w: number | null;
  started_by: string;
  stopped_by: string | null;
  end_reason: string | null;
  time_zone: string;
  total_centavos: string | number | null;
  price: unknown;
  pix_txid: string | null;
  paid_at: Date | null;
};

function toView(r: Row): SessionView {
  return {
    id: Number(r.id),
    pointId: Number(r.point_id),
    plate: r.plate,
    driverId: num(r.driver_id),
    reservationId: num(r.reservation_id),
    state: r.state,
    startedAt: r.started_at.toISOString(),
    chargingStartedAt: iso(r.charging_started_at),
    chargingStoppedAt: iso(r.charging_stopped_at),
    endedAt: iso(r.ended_at),
    energyWh: energyOf(r),
    maxPowerW: r.max_power_w,
    startedBy: r.started_by,
    stoppedBy: r.stopped_by,
    endReason: r.end_reason,
    timeZone: r.time_zone,
    totalCentavos: num(r.total_centavos),
    price: (r.price as SessionPrice | null) ?? null,
    pixTxid: r.pix_txid,
    paidAt: iso(r.paid_at),
  };
}

/** The open session of a point, as `decide` needs it. */
export async function openSessionOf(db: Db, pointId: number): Promise<OpenSession | null> {
  const r = await db
    .selectFrom('ev_sessions')
    .select([
      'id',
      'charging_started_at',
      'charging_stopped_at',
      'energy_start_wh',
      'max_power_w',
      'last_reading_at',
      sql<string | null>`samples -> -1 ->> 'at'`.as('last_sample_at'),
    ])
    .where('point_id', '=', pointId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: Number(r.id),
    chargingStartedAt: r.charging_started_at,
    chargingStoppedAt: r.charging_stopped_at,
    energyStartWh: num(r.energy_start_wh),
    maxPowerW: r.max_power_w,
    lastReadingAt: r.last_reading_at,
    lastSampleAt: r.last_sample_at === null ? null : new Date(r.last_sample_at),
  };
}

/** The tariff and zone a session on this point is priced with: the point's, else its company's. */
async function tariffOf(db: Db, pointId: number): Promise<{ tariff: Tariff; timeZone: string }> {
  const r = await db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .innerJoin('ev_companies as c', 'c.id', 's.company_id')
    .select(['p.tariff', 'c.default_tariff', 's.time_zone'])
    .where('p.id', '=', pointId)
    .executeTakeFirst();
  if (!r) throw new GridlinkError('GL_NOT_FOUND', `no charging point ${pointId}`);
  const parsed = tariffSchema.safeParse(r.tariff ?? r.default_tariff ?? DEFAULT_TARIFF);
  return { tariff: parsed.success ? parsed.data : DEFAULT_TARIFF, timeZone: r.time_zone };
}

/**
 * Opens a session (decision `open`), attributed to the remote start waiting on the point if one
 * has not expired (taken in the same transaction), else to the booking holding the point. Resolves null when another session opened
 * first (the one-open-per-point index).
 */
export async function insertSession(
  db: Kysely<Schema>,
  pointId: number,
  d: Extract<Decision, { kind: 'open' }>,
  now: Date,
  booking: { plate: string | null; driverId: number | null; reservationId: number } | null = null,
): Promise<number | null> {
  try {
    return await db.transaction().execute(async (tx) => {
      const start = await tx
        .deleteFrom('ev_session_starts')
        .where('point_id', '=', pointId)
        .returning(['plate', 'driver_id', 'reservation_id', 'requested_by', 'expires_at'])
        .executeTakeFirst();
      const started = start && start.expires_at.getTime() >= d.startedAt.getTime() ? start : null;
      // A remote start names the car; else the booking holding the point, if any.
      const intent =
        started ??
        (booking && {
          plate: booking.plate,
          driver_id: booking.driverId,
          reservation_id: booking.reservationId,
          requested_by: 'charger',
        });
      const { tariff, timeZone } = await tariffOf(tx, pointId);
      const row = await tx
        .insertInto('ev_sessions')
        .values({
          point_id: pointId,
          plate: intent?.plate ?? null,
          driver_id: num(intent?.driver_id ?? null),
          reservation_id: num(intent?.reservation_id ?? null),
          state: 'active',
          started_at: d.startedAt,
          charging_started_at: d.chargingStartedAt,
          charging_stopped_at: d.chargingStoppedAt,
          energy_start_wh: d.energyStartWh,
          energy_end_wh: d.energyEndWh,
          session_energy_wh: d.sessionEnergyWh,
          max_power_w: d.maxPowerW,
          last_reading_at: d.startedAt,
          started_by: intent?.requested_by ?? 'charger',
          tariff: JSON.stringify(tariff),
          time_zone: timeZone,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return null;
    throw err;
  }
}

function patchValues(p: SessionPatch) {
  return {
    last_reading_at: p.lastReadingAt,
    ...(p.chargingStartedAt !== undefined ? { charging_started_at: p.chargingStartedAt } : {}),
    ...(p.chargingStoppedAt !== undefined ? { charging_stopped_at: p.chargingStoppedAt } : {}),
    ...(p.energyEndWh !== undefined ? { energy_end_wh: p.energyEndWh } : {}),
    ...(p.sessionEnergyWh !== undefined ? { session_energy_wh: p.sessionEnergyWh } : {}),
    ...(p.maxPowerW !== undefined ? { max_power_w: p.maxPowerW } : {}),
  };
}

/** Applies an `update` to a session still open. */
export async function patchSession(db: Db, id: number, p: SessionPatch, now: Date): Promise<void> {
  const sample = p.sample ? JSON.stringify([p.sample]) : null;
  await db
    .updateTable('ev_sessions')
    .set({
      ...patchValues(p),
      ...(sample
        ? {
            samples: sql`CASE WHEN jsonb_array_length(samples) < ${MAX_SAMPLES}
              THEN samples || ${sample}::jsonb ELSE samples END`,
          }
        : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .execute();
}

/**
 * Ends an open session and prices it with its tariff snapshot, in one transaction (the row
 * locked, so two centrals end it once). A session that never charged and delivered nothing is
 * `void` (no price); one whose pricing fails stays `finished` (the error logged by the caller).
 * With Pix settings and a total above zero it gets its Pix payload (txid unique per session).
 */
export async function endSession(
  db: Kysely<Schema>,
  id: number,
  end: { patch: SessionPatch; endedAt: Date; reason: string; stoppedBy?: string },
  now: Date,
  pix: PixSettings | undefined,
): Promise<SessionView | null> {
  return db.transaction().execute(async (tx) => {
    const r = await tx
      .selectFrom('ev_sessions')
      .selectAll()
      .where('id', '=', id)
      .where('state', '=', 'active')
      .forUpdate()
      .executeTakeFirst();
    if (!r) return null;
    const p = end.patch;
    const merged = {
      ...r,
      ...patchValues(p),
    } as typeof r & ReturnType<typeof patchValues>;
    const chargingStartedAt = (merged.charging_started_at ?? null) as Date | null;
    const chargingStoppedAt = (merged.charging_stopped_at ?? null) as Date | null;
    const energyWh = energyOf({ ...merged, energy_wh: null }) ?? 0;
    const samples = [
      ...((r.samples as Array<{ at: string; wh: number }>) ?? []),
      ...(p.sample ? [p.sample] : []),
    ].map((s): EnergySample => ({ at: new Date(s.at), wh: s.wh }));

    let state: EvSessionState = 'void';
    let price: SessionPrice | null = null;
    let priceError: unknown = null;
    if (chargingStartedAt !== null || energyWh > 0) {
      state = 'finished';
      try {
        price = priceSession(tariffSchema.parse(r.tariff), {
          startedAt: r.started_at,
          chargingStartedAt,
          chargingStoppedAt,
          endedAt: end.endedAt,
          energyWh,
          samples,
          timeZone: r.time_zone,
        });
        state = 'priced';
      } catch (err) {
        priceError = err;
      }
    }
    const total = price?.totalCentavos ?? null;
    const txid = sessionTxid(Number(r.id));
    const pixPayload =
      pix && total !== null && total > 0
        ? encodePix({
            key: pix.key,
            merchantName: pix.merchantName,
            merchantCity: pix.merchantCity,
            amount: centavos(total),
            txid,
          })
        : null;
    const updated = await tx
      .updateTable('ev_sessions')
      .set({
        ...patchValues(p),
        ...(p.sample ? { samples: sql`samples || ${JSON.stringify([p.sample])}::jsonb` } : {}),
        state,
        ended_at: end.endedAt,
        energy_wh: energyWh,
        end_reason: end.reason,
        ...(end.stoppedBy ? { stopped_by: end.stoppedBy } : {}),
        price: price ? JSON.stringify(price) : null,
        total_centavos: total,
        pix_txid: pixPayload ? txid : null,
        pix_payload: pixPayload,
        updated_at: now,
      })
      .where('id', '=', id)
      .returning(columns)
      .executeTakeFirstOrThrow();
    if (priceError) throw Object.assign(new Error('pricing failed'), { cause: priceError, id });
    return toView(updated as Row);
  });
}

/** Who stopped an open session remotely (the end reading then closes it). */
export async function markStopRequested(db: Db, id: number, by: string, now: Date) {
  await db
    .updateTable('ev_sessions')
    .set({ stopped_by: by, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a select over ev_sessions as s, narrowed by scope
function applyScope(q: any, scope: SessionScope): any {
  if (scope.kind === 'all') return q;
  if (scope.kind === 'none') return q.where(sql.lit(false));
  if (scope.kind === 'driver') return q.where('s.driver_id', '=', scope.driverId);
  return q.where('s.point_id', 'in', (eb: Kysely<Schema>) =>
    eb
      .selectFrom('ev_points as p')
      .innerJoin('ev_stations as st', 'st.id', 'p.station_id')
      .select('p.id')
      .where('st.company_id', '=', scope.companyId),
  );
}

/** One session the scope may see, else null (absent and not yours look the same). */
export async function getSession(
  db: Db,
  id: number,
  scope: SessionScope,
): Promise<SessionView | null> {
  const q = db
    .selectFrom('ev_sessions as s')
    .select(columns.map((c) => `s.${c}` as const))
    .where('s.id', '=', id);
  const r = await applyScope(q, scope).executeTakeFirst();
  return r ? toView(r as Row) : null;
}

/** The Pix payload of a session the scope may see. */
export async function sessionPix(db: Db, id: number, scope: SessionScope) {
  const q = db
    .selectFrom('ev_sessions as s')
    .select(['s.pix_payload', 's.pix_txid'])
    .where('s.id', '=', id);
  const r = await applyScope(q, scope).executeTakeFirst();
  return (r as { pix_payload: string | null; pix_txid: string | null } | undefined) ?? null;
}

export interface SessionFilter {
  pointId?: number;
  plate?: string;
  driverId?: number;
  state?: EvSessionState;
  /** Sessions with a smaller id (the next page of a newest-first list). */
  before?: number;
  limit?: number;
}

/** Newest first. */
export async function listSessions(
  db: Db,
  filter: SessionFilter,
  scope: SessionScope,
): Promise<SessionView[]> {
  let q = db
    .selectFrom('ev_sessions as s')
    .select(columns.map((c) => `s.${c}` as const))
    .orderBy('s.id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 500));
  if (filter.pointId !== undefined) q = q.where('s.point_id', '=', filter.pointId);
  if (filter.plate !== undefined) q = q.where('s.plate', '=', filter.plate);
  if (filter.driverId !== undefined) q = q.where('s.driver_id', '=', filter.driverId);
  if (filter.state !== undefined) q = q.where('s.state', '=', filter.state);
  if (filter.before !== undefined) q = q.where('s.id', '<', filter.before);
  const rows = await applyScope(q, scope).execute();
  return (rows as Row[]).map(toView);
}

/** Remembers a remote start so the session that follows is attributed (one per point). */
export async function putStart(
  db: Db,
  s: {
    pointId: number;
    plate: string;
    driverId: number | null;
    reservationId: number | null;
    requestedBy: string;
    requestedAt: Date;
    expiresAt: Date;
  },
): Promise<void> {
  const values = {
    point_id: s.pointId,
    plate: s.plate,
    driver_id: s.driverId,
    reservation_id: s.reservationId,
    requested_by: s.requestedBy,
    requested_at: s.requestedAt,
    expires_at: s.expiresAt,
    command_id: null,
  };
  await db
    .insertInto('ev_session_starts')
    .values(values)
    .onConflict((oc) => oc.column('point_id').doUpdateSet(values))
    .execute();
}

/** Attributes a waiting session (open, not charged, nobody's) to a start; false if it is not. */
export async function attributeWaiting(
  db: Db,
  id: number,
  s: {
    plate: string;
    driverId: number | null;
    reservationId: number | null;
    requestedBy: string;
    requestedAt: Date;
  },
): Promise<boolean> {
  const r = await db
    .updateTable('ev_sessions')
    .set({
      plate: s.plate,
      driver_id: s.driverId,
      reservation_id: s.reservationId,
      started_by: s.requestedBy,
      updated_at: s.requestedAt,
    })
    .where('id', '=', id)
    .where('state', '=', 'active')
    .where('plate', 'is', null)
    .where('charging_started_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setStartCommand(db: Db, pointId: number, commandId: string) {
  await db
    .updateTable('ev_session_starts')
    .set({ command_id: commandId })
    .where('point_id', '=', pointId)
    .execute();
}

export async function dropStart(db: Db, pointId: number) {
  await db.deleteFrom('ev_session_starts').where('point_id', '=', pointId).execute();
}

/** Points whose session may need a decision: occupied ones and those with a session open. */
export async function pointsToReconcile(db: Db) {
  return db
    .selectFrom('ev_points as p')
    .leftJoin('ev_sessions as s', (j) =>
      j.onRef('s.point_id', '=', 'p.id').on('s.state', '=', 'active'),
    )
    .select([
      'p.id',
      'p.state',
      'p.state_at',
      'p.energy_total_wh',
      'p.session_energy_wh',
      'p.power_w',
      's.id as session_id',
    ])
    .where((eb) =>
      eb.or([
        eb('p.state', 'in', ['preparing', 'charging', 'finishing']),
        eb('s.id', 'is not', null),
      ]),
    )
    .execute();
}
