import { GridlinkError } from '@gridlink/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { checkTariff } from './companies.js';
import { type ConnectorSpec, connectorSpec, DEFAULT_CONNECTOR } from './connector-spec.js';
import { inScope, type NetworkScope } from './scope.js';
import { type ConnectorView, type PointView, pointView } from './views.js';

type Db = Kysely<Schema> | Transaction<Schema>;

const POINT_COLUMNS = [
  'p.id',
  'p.station_id',
  's.company_id',
  'p.external_id',
  'p.name',
  'p.active',
  'p.maintenance',
  'p.maintenance_reason',
  'p.maintenance_by',
  'p.maintenance_at',
  'p.tariff',
  'p.edge_id',
  'p.device_id',
  'p.state',
  'p.state_at',
  'p.fault_code',
  'p.power_w',
  'p.session_energy_wh',
  'p.energy_total_wh',
] as const;

/** Points with their station's company, as the scope may see them. */
export function scopedPoints(db: Db, scope: NetworkScope) {
  let q = db
    .selectFrom('ev_points as p')
    .innerJoin('ev_stations as s', 's.id', 'p.station_id')
    .select(POINT_COLUMNS);
  if (scope.kind === 'none') q = q.where((eb) => eb.lit(false));
  if (scope.kind === 'company') q = q.where('s.company_id', '=', scope.companyId);
  return q;
}

/** The connectors of each point, by point id. */
export async function connectorsOf(
  db: Db,
  pointIds: number[],
): Promise<Map<number, ConnectorView[]>> {
  const out = new Map<number, ConnectorView[]>(pointIds.map((id) => [id, []]));
  if (pointIds.length === 0) return out;
  const rows = await db
    .selectFrom('ev_connectors')
    .selectAll()
    .where('point_id', 'in', pointIds)
    .orderBy('point_id')
    .orderBy('connector_no')
    .execute();
  for (const r of rows)
    out.get(Number(r.point_id))?.push({
      connectorNo: r.connector_no,
      standard: r.standard,
      powerType: r.power_type,
      maxPowerW: r.max_power_w,
    });
  return out;
}

/** The points of some stations, in id order, with connectors. */
export async function pointsOfStations(db: Db, scope: NetworkScope, stationIds: number[]) {
  if (stationIds.length === 0) return [];
  const rows = await scopedPoints(db, scope)
    .where('p.station_id', 'in', stationIds)
    .orderBy('p.id')
    .execute();
  const connectors = await connectorsOf(
    db,
    rows.map((r) => Number(r.id)),
  );
  return rows.map((r) => pointView(r, connectors.get(Number(r.id)) ?? []));
}

export async function getPoint(
  db: Db,
  scope: NetworkScope,
  id: number,
): Promise<PointView | undefined> {
  const row = await scopedPoints(db, scope).where('p.id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const connectors = await connectorsOf(db, [id]);
  return pointView(row, connectors.get(id) ?? []);
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200)
    throw new GridlinkError('GL_VALIDATION', 'name: 1-200 characters');
  return trimmed;
}

export interface PointPatch {
  name?: string;
  active?: boolean;
  /** A tariff (OCPI-shaped), or null for the company's default. */
  tariff?: unknown;
}

/** Edits a point's name, active switch or tariff (maintenance and binding are ev/live's). */
export async function updatePoint(
  db: Kysely<Schema>,
  scope: NetworkScope,
  id: number,
  patch: PointPatch,
  now: Date,
): Promise<PointView> {
  const set: Partial<{ name: string; active: boolean; tariff: string | null }> = {};
  if (patch.name !== undefined) set.name = checkName(patch.name);
  if (patch.active !== undefined) set.active = patch.active;
  if (patch.tariff !== undefined)
    set.tariff = patch.tariff === null ? null : JSON.stringify(checkTariff('tariff', patch.tariff));
  if (!(await getPoint(db, scope, id)))
    throw new GridlinkError('GL_NOT_FOUND', `point ${id} not found`);
  if (Object.keys(set).length > 0)
    await db
      .updateTable('ev_points')
      .set({ ...set, updated_at: now })
      .where('id', '=', id)
      .execute();
  return (await getPoint(db, scope, id)) as PointView;
}

/** Inserts connectors 1..n of a point. */
export async function insertConnectors(db: Db, pointId: number, specs: readonly ConnectorSpec[]) {
  if (specs.length === 0) return;
  await db
    .insertInto('ev_connectors')
    .values(
      specs.map((c, i) => ({
        point_id: pointId,
        connector_no: i + 1,
        standard: c.standard,
        power_type: c.powerType,
        max_power_w: c.maxPowerW,
      })),
    )
    .execute();
}

export interface NewPoint {
  externalId?: string;
  name: string;
  active?: boolean;
  tariff?: unknown;
  /** Default: one DEFAULT_CONNECTOR. */
  connectors?: Array<Parameters<typeof connectorSpec>[0]>;
}

const EXTERNAL_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Adds a point (with its connectors) to a station of the scope. */
export async function addPoint(
  db: Kysely<Schema>,
  scope: NetworkScope,
  stationId: number,
  input: NewPoint,
  now: Date,
): Promise<PointView> {
  const name = checkName(input.name);
  const tariff =
    input.tariff === undefined || input.tariff === null
      ? null
      : checkTariff('tariff', input.tariff);
  const specs = (input.connectors ?? [DEFAULT_CONNECTOR]).map(connectorSpec);
  if (specs.length < 1 || specs.length > 8)
    throw new GridlinkError('GL_VALIDATION', 'connectors: 1 to 8 per point');
  if (input.externalId !== undefined && !EXTERNAL_ID.test(input.externalId))
    throw new GridlinkError('GL_VALIDATION', 'externalId: 1-64 of A-Z a-z 0-9 . _ -');
  return db.transaction().execute(async (trx) => {
    const station = await trx
      .selectFrom('ev_stations')
      .select(['id', 'company_id'])
      .where('id', '=', stationId)
      .forUpdate()
      .executeTakeFirst();
    if (!station || !inScope(scope, station.company_id))
      throw new GridlinkError('GL_NOT_FOUND', `station ${stationId} not found`);
    const externalId =
      input.externalId ??
      String(
        Number(
          (
            await trx
              .selectFrom('ev_points')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('station_id', '=', stationId)
              .executeTakeFirstOrThrow()
          ).n,
        ) + 1,
      );
    const row = await trx
      .insertInto('ev_points')
      .values({
        station_id: stationId,
        external_id: externalId,
        name,
        active: input.active ?? true,
        tariff: tariff === null ? null : JSON.stringify(tariff),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['station_id', 'external_id']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row)
      throw new GridlinkError(
        'GL_CONFLICT',
        `station ${stationId} already has a point with external id ${externalId}`,
      );
    await insertConnectors(trx, Number(row.id), specs);
    return (await getPoint(trx, scope, Number(row.id))) as PointView;
  });
}

/** Adds a connector (the next number) to a point of the scope. */
export async function addConnector(
  db: Kysely<Schema>,
  scope: NetworkScope,
  pointId: number,
  input: Parameters<typeof connectorSpec>[0],
): Promise<ConnectorView> {
  const spec = connectorSpec(input);
  return db.transaction().execute(async (trx) => {
    const point = await scopedPoints(trx, scope).where('p.id', '=', pointId).executeTakeFirst();
    if (!point) throw new GridlinkError('GL_NOT_FOUND', `point ${pointId} not found`);
    await trx.selectFrom('ev_points').select('id').where('id', '=', pointId).forUpdate().execute();
    const last = await trx
      .selectFrom('ev_connectors')
      .select((eb) => eb.fn.max('connector_no').as('n'))
      .where('point_id', '=', pointId)
      .executeTakeFirst();
    const connectorNo = Number(last?.n ?? 0) + 1;
    if (connectorNo > 8)
      throw new GridlinkError('GL_CONFLICT', `point ${pointId} has 8 connectors, the most`);
    await trx
      .insertInto('ev_connectors')
      .values({
        point_id: pointId,
        connector_no: connectorNo,
        standard: spec.standard,
        power_type: spec.powerType,
        max_power_w: spec.maxPowerW,
      })
      .execute();
    return { connectorNo, ...spec };
  });
}

/** Replaces a connector's standard and power. */
export async function updateConnector(
  db: Kysely<Schema>,
  scope: NetworkScope,
  pointId: number,
  connectorNo: number,
  input: Parameters<typeof connectorSpec>[0],
): Promise<ConnectorView> {
  const spec = connectorSpec(input);
  if (!(await getPoint(db, scope, pointId)))
    throw new GridlinkError('GL_NOT_FOUND', `point ${pointId} not found`);
  const done = await db
    .updateTable('ev_connectors')
    .set({ standard: spec.standard, power_type: spec.powerType, max_power_w: spec.maxPowerW })
    .where('point_id', '=', pointId)
    .where('connector_no', '=', connectorNo)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) === 0)
    throw new GridlinkError('GL_NOT_FOUND', `point ${pointId} has no connector ${connectorNo}`);
  return { connectorNo, ...spec };
}

/** Every point the scope may see, in id order (keyset pages), with connectors. */
export async function listPoints(
  db: Kysely<Schema>,
  scope: NetworkScope,
  page: { limit: number; after?: number },
): Promise<PointView[]> {
  let q = scopedPoints(db, scope).orderBy('p.id').limit(page.limit);
  if (page.after !== undefined) q = q.where('p.id', '>', page.after);
  const rows = await q.execute();
  const connectors = await connectorsOf(
    db,
    rows.map((r) => Number(r.id)),
  );
  return rows.map((r) => pointView(r, connectors.get(Number(r.id)) ?? []));
}
