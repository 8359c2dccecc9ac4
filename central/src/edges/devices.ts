import type { DeviceHealth, DeviceKind } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

/** One device of an edge, as the registry keeps it (docs/WIRE.md "Devices and their kinds"). */
export interface DeviceRow {
  deviceId: string;
  kind: DeviceKind;
  driver: string | null;
  profile: string | null;
  firstSeenAt: Date;
  /** The central's time of the last status that listed it; null when only telemetry named it. */
  lastReportedAt: Date | null;
  /** The edge's time of its last good poll or message, as last reported. */
  lastOkAt: Date | null;
  online: boolean | null;
}

/**
 * Registers or refreshes the devices an edge's status lists, in the caller's transaction or
 * statement order. A device's kind is set when it is first seen and kept: a device that reported
 * without a kind (an edge older than the registry) is a meter. Driver, profile, health and
 * last-reported time follow the newest status; a device listed twice takes its last entry.
 */
export async function recordStatusDevices(
  db: Kysely<Schema>,
  edgeId: string,
  devices: readonly DeviceHealth[],
  at: Date,
): Promise<void> {
  if (devices.length === 0) return;
  // One row per device (the last entry wins): ON CONFLICT DO UPDATE cannot touch a row twice.
  const unique = [...new Map(devices.map((d) => [d.deviceId, d])).values()];
  const doc = JSON.stringify(
    unique.map((d) => ({
      device_id: d.deviceId,
      kind: d.kind ?? 'meter',
      driver: d.driver ?? null,
      profile: d.profile ?? null,
      last_ok_at: d.lastOkAt,
      online: d.online,
    })),
  );
  await sql`
    INSERT INTO devices (edge_id, device_id, kind, driver, profile, first_seen_at,
                         last_reported_at, last_ok_at, online)
    SELECT ${edgeId}, x.device_id, x.kind, x.driver, x.profile, ${at}, ${at},
           CASE WHEN x.last_ok_at IS NULL THEN NULL ELSE to_timestamp(x.last_ok_at / 1000.0) END,
           x.online
    FROM jsonb_to_recordset(${doc}::jsonb)
      AS x(device_id text, kind text, driver text, profile text, last_ok_at bigint, online boolean)
    ON CONFLICT (edge_id, device_id) DO UPDATE SET
      driver = excluded.driver, profile = excluded.profile,
      last_reported_at = excluded.last_reported_at, last_ok_at = excluded.last_ok_at,
      online = excluded.online
  `.execute(db);
}

/** Who a device's readings belong to: its meter row, or (not a meter) its device row. */
export type ReadingOwner = { meterId: number } | { deviceRef: number };

/**
 * Registers devices first named by telemetry (as meters: the kind an edge that reports no kind
 * has) and returns each device's reading owner. A meter gets its meter row too.
 */
export async function registerTelemetryDevices(
  db: Kysely<Schema>,
  edgeId: string,
  deviceIds: readonly string[],
): Promise<Map<string, ReadingOwner>> {
  const out = new Map<string, ReadingOwner>();
  if (deviceIds.length === 0) return out;
  await db
    .insertInto('devices')
    .values(deviceIds.map((device_id) => ({ edge_id: edgeId, device_id, kind: 'meter' as const })))
    .onConflict((oc) => oc.columns(['edge_id', 'device_id']).doNothing())
    .execute();
  const rows = await db
    .selectFrom('devices')
    .select(['id', 'device_id', 'kind'])
    .where('edge_id', '=', edgeId)
    .where('device_id', 'in', deviceIds)
    .execute();
  const meters = rows.filter((r) => r.kind === 'meter').map((r) => r.device_id);
  for (const r of rows) if (r.kind !== 'meter') out.set(r.device_id, { deviceRef: r.id });
  if (meters.length > 0) {
    await db
      .insertInto('meters')
      .values(meters.map((device_id) => ({ edge_id: edgeId, device_id })))
      .onConflict((oc) => oc.columns(['edge_id', 'device_id']).doNothing())
      .execute();
    const meterRows = await db
      .selectFrom('meters')
      .select(['id', 'device_id'])
      .where('edge_id', '=', edgeId)
      .where('device_id', 'in', meters)
      .execute();
    for (const m of meterRows) out.set(m.device_id, { meterId: m.id });
  }
  return out;
}

/** An edge's devices by device id; undefined when the edge is not registered. */
export async function listDevices(
  db: Kysely<Schema>,
  edgeId: string,
): Promise<DeviceRow[] | undefined> {
  const edge = await db
    .selectFrom('edges')
    .select('id')
    .where('id', '=', edgeId)
    .executeTakeFirst();
  if (!edge) return undefined;
  const rows = await db
    .selectFrom('devices')
    .selectAll()
    .where('edge_id', '=', edgeId)
    .orderBy('device_id')
    .execute();
  return rows.map((r) => ({
    deviceId: r.device_id,
    kind: r.kind,
    driver: r.driver,
    profile: r.profile,
    firstSeenAt: new Date(r.first_seen_at),
    lastReportedAt: r.last_reported_at ? new Date(r.last_reported_at) : null,
    lastOkAt: r.last_ok_at ? new Date(r.last_ok_at) : null,
    online: r.online,
  }));
}
