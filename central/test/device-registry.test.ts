/**
 * Device kinds: the registry filled from the edge's status and telemetry, a charger's readings
 * stored under its device (never a meter row), on PGlite and PostgreSQL and through the MQTT
 * router of a real central.
 */
import {
  type DeviceHealth,
  type EdgeStatus,
  edgeTopic,
  type TelemetryBatch,
} from '@gridlink/shared';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDevices, recordEdgeStatus, upsertEdgeCredential } from '../src/edges/index.js';
import { KnownIds, MeterDirectory, storeBatch, toDecodedBatch } from '../src/ingest/index.js';
import type { Database } from '../src/storage/index.js';
import { startTestCentral } from './helpers/central.js';
import { describeEachStore, freshPostgres } from './helpers/stores.js';

const health = (deviceId: string, extra: Partial<DeviceHealth> = {}): DeviceHealth => ({
  deviceId,
  online: true,
  lastOkAt: Date.parse('2026-03-10T12:00:00Z'),
  consecutiveFailures: 0,
  polls: 3,
  failures: 0,
  overruns: 0,
  lastError: null,
  ...extra,
});

const batch = (edgeId: string, firstSeq: number, deviceIds: string[]): TelemetryBatch => ({
  edgeId,
  epoch: 'epoch-dev-1',
  firstSeq,
  lastSeq: firstSeq + deviceIds.length - 1,
  dropped: 0,
  droppedUpTo: 0,
  readings: deviceIds.map((deviceId, i) => ({
    seq: firstSeq + i,
    deviceId,
    ts: Date.now(),
    quality: 'good' as const,
    values: { power_total: 1000 + i },
  })),
});

describeEachStore('device registry and charger telemetry', (store) => {
  let database: Database & { dispose(): Promise<void> };
  const at = new Date('2026-03-10T12:00:05Z');

  beforeAll(async () => {
    database = await store.open();
    await upsertEdgeCredential(database.db, 'edge-d');
    const status: EdgeStatus = {
      edgeId: 'edge-d',
      online: true,
      devices: [
        health('m1', { kind: 'meter', driver: 'modbus-tcp', profile: 'eastron-sdm630' }),
        health('ch1', { kind: 'charger', driver: 'modbus-tcp', profile: 'gridlink-charger' }),
        health('old', { online: false, lastOkAt: null }),
      ],
    };
    await recordEdgeStatus(database.db, status, at);
  });
  afterAll(() => database?.dispose());

  const readingRows = async () =>
    (
      await sql<{ seq: string; meter: string | null; device: string | null }>`
        SELECT r.seq::text AS seq, m.device_id AS meter, d.device_id AS device
        FROM readings r LEFT JOIN meters m ON m.id = r.meter_id
        LEFT JOIN devices d ON d.id = r.device_ref ORDER BY r.seq`.execute(database.db)
    ).rows;

  it('keeps each device with the kind, driver, profile and health its status reported', async () => {
    expect(await listDevices(database.db, 'edge-d')).toEqual([
      {
        deviceId: 'ch1',
        kind: 'charger',
        driver: 'modbus-tcp',
        profile: 'gridlink-charger',
        firstSeenAt: at,
        lastReportedAt: at,
        lastOkAt: new Date('2026-03-10T12:00:00Z'),
        online: true,
      },
      {
        deviceId: 'm1',
        kind: 'meter',
        driver: 'modbus-tcp',
        profile: 'eastron-sdm630',
        firstSeenAt: at,
        lastReportedAt: at,
        lastOkAt: new Date('2026-03-10T12:00:00Z'),
        online: true,
      },
      // An edge older than the registry reports no kind: a meter, as before.
      {
        deviceId: 'old',
        kind: 'meter',
        driver: null,
        profile: null,
        firstSeenAt: at,
        lastReportedAt: at,
        lastOkAt: null,
        online: false,
      },
    ]);
    expect(await listDevices(database.db, 'edge-none')).toBeUndefined();
  });

  it("stores a charger's readings under its device and a meter's under its meter, in one batch", async () => {
    const directory = new MeterDirectory(database.db);
    const owners = await directory.owners('edge-d', ['m1', 'ch1', 'tele-only']);
    expect([...owners.devices.keys()]).toEqual(['ch1']);
    expect([...owners.meters.keys()].sort()).toEqual(['m1', 'tele-only']);

    // The decoder knows only meter ids: a batch with the charger cannot be COPY rows.
    const ids = new KnownIds();
    ids.learn({ edgeId: 'edge-d', epoch: 'epoch-dev-1', streamId: 1, meters: [...owners.meters] });
    const mixed = batch('edge-d', 1, ['m1', 'ch1', 'tele-only']);
    const decoded = toDecodedBatch(mixed, ids);
    expect(decoded.rows.kind).toBe('json');
    const out = await storeBatch(
      database.db,
      decoded,
      owners.meters,
      database.copyTransaction,
      owners.devices,
    );
    expect(out).toMatchObject({ kind: 'stored', stored: 3, upTo: 3 });
    expect(await readingRows()).toEqual([
      { seq: '1', meter: 'm1', device: null },
      { seq: '2', meter: null, device: 'ch1' },
      { seq: '3', meter: 'tele-only', device: null },
    ]);
    // A charger never becomes a meter row; a device first named by telemetry is a meter.
    const meters = await database.db.selectFrom('meters').select('device_id').execute();
    expect(meters.map((m) => m.device_id).sort()).toEqual(['m1', 'tele-only']);
    const kinds = await database.db
      .selectFrom('devices')
      .select(['device_id', 'kind', 'last_reported_at'])
      .where('device_id', '=', 'tele-only')
      .executeTakeFirstOrThrow();
    expect(kinds).toMatchObject({ kind: 'meter', last_reported_at: null });

    // Redelivered: nothing stored twice, on either owner.
    const again = await storeBatch(
      database.db,
      toDecodedBatch(mixed),
      owners.meters,
      undefined,
      owners.devices,
    );
    expect(again).toMatchObject({ kind: 'duplicate', upTo: 3 });
    expect(await readingRows()).toHaveLength(3);
  });

  it('keeps the kind a device was first seen with; health and profile follow the newest status', async () => {
    const later = new Date('2026-03-10T12:10:00Z');
    await recordEdgeStatus(
      database.db,
      {
        edgeId: 'edge-d',
        online: true,
        devices: [health('ch1', { kind: 'meter', online: false, profile: 'keba-p30' })],
      },
      later,
    );
    const ch1 = (await listDevices(database.db, 'edge-d'))?.find((d) => d.deviceId === 'ch1');
    expect(ch1).toMatchObject({
      kind: 'charger',
      profile: 'keba-p30',
      online: false,
      firstSeenAt: at,
      lastReportedAt: later,
    });
  });

  it('records a status that lists a device twice: the last entry wins, the status is kept', async () => {
    await upsertEdgeCredential(database.db, 'edge-twice');
    const when = new Date('2026-03-10T12:20:00Z');
    await recordEdgeStatus(
      database.db,
      {
        edgeId: 'edge-twice',
        online: true,
        devices: [
          health('t1', { kind: 'charger', profile: 'first' }),
          health('t1', { kind: 'charger', profile: 'last', online: false }),
        ],
      },
      when,
    );
    expect(await listDevices(database.db, 'edge-twice')).toEqual([
      expect.objectContaining({ deviceId: 't1', kind: 'charger', profile: 'last', online: false }),
    ]);
  });

  it('refuses a reading row with no owner, or with two (the database guard)', async () => {
    const stream = await database.db
      .selectFrom('ingest_streams')
      .select('id')
      .executeTakeFirstOrThrow();
    const m1 = await database.db.selectFrom('meters').select('id').executeTakeFirstOrThrow();
    const ch1 = await database.db
      .selectFrom('devices')
      .select('id')
      .where('device_id', '=', 'ch1')
      .executeTakeFirstOrThrow();
    for (const [meter, device] of [
      [null, null],
      [m1.id, ch1.id],
    ])
      await expect(
        sql`INSERT INTO readings (stream_id, seq, meter_id, device_ref, ts, quality, values)
            VALUES (${stream.id}, 99, ${meter}, ${device}, now(), 'good', '{}')`.execute(
          database.db,
        ),
      ).rejects.toThrow(/readings_one_owner/);
  });
});

describe('device kinds through the MQTT router of a real central', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  beforeAll(async () => {
    t = await startTestCentral();
  });
  afterAll(() => t?.close());

  it("a status and a batch published back to back: the batch's charger is stored as a charger", async () => {
    const edge = await t.connectEdge('edge-k');
    const status: EdgeStatus = {
      edgeId: 'edge-k',
      online: true,
      devices: [health('m1', { kind: 'meter' }), health('ch1', { kind: 'charger' })],
      channels: [{ driver: 'modbus-tcp', channel: 'tcp:x:502', counters: { crc_errors: 0 } }],
    };
    // Back to back, as an edge's first connection sends them (the row-lock test below holds the
    // status back to show the batch waits for it).
    const sent = [
      edge.publishAsync(edgeTopic('edge-k', 'status'), JSON.stringify(status), { qos: 1 }),
      edge.publishAsync(
        edgeTopic('edge-k', 'telemetry'),
        JSON.stringify(batch('edge-k', 1, ['m1', 'ch1'])),
        { qos: 1 },
      ),
    ];
    await Promise.all(sent);
    await expect
      .poll(async () => {
        await t.central.ingest.idle();
        return (
          await sql<{ device_id: string; kind: string; meter: boolean }>`
            SELECT d.device_id, d.kind, r.meter_id IS NOT NULL AS meter
            FROM readings r JOIN devices d ON d.id = r.device_ref
               OR d.id = (SELECT dd.id FROM devices dd JOIN meters m
                          ON m.edge_id = dd.edge_id AND m.device_id = dd.device_id
                          WHERE m.id = r.meter_id)
            WHERE d.edge_id = 'edge-k' ORDER BY d.device_id`.execute(t.central.database.db)
        ).rows;
      })
      .toEqual([
        { device_id: 'ch1', kind: 'charger', meter: false },
        { device_id: 'm1', kind: 'meter', meter: true },
      ]);
    const meters = await t.central.database.db
      .selectFrom('meters')
      .select('device_id')
      .where('edge_id', '=', 'edge-k')
      .execute();
    expect(meters.map((m) => m.device_id)).toEqual(['m1']);
  });

  it('a status with camelCase link counters is refused with GL_PAYLOAD_SCHEMA and nothing of it is stored', async () => {
    const edge = await t.connectEdge('edge-bad');
    const bad = {
      edgeId: 'edge-bad',
      online: true,
      devices: [health('x1', { kind: 'charger' })],
      channels: [{ driver: 'modbus-tcp', channel: 'tcp:x:502', counters: { crcErrors: 0 } }],
    };
    await edge.publishAsync(edgeTopic('edge-bad', 'status'), JSON.stringify(bad), { qos: 1 });
    await expect
      .poll(() =>
        t.lines.find((l) => l.msg === 'status payload rejected' && l.edgeId === 'edge-bad'),
      )
      .toMatchObject({ code: 'GL_PAYLOAD_SCHEMA' });
    await t.central.ingest.idle();
    const row = await t.central.database.db
      .selectFrom('edges')
      .select(['status', 'last_seen_at'])
      .where('id', '=', 'edge-bad')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: null, last_seen_at: null });
    expect(await listDevices(t.central.database.db, 'edge-bad')).toEqual([]);
    // Never reported as bad telemetry.
    expect(t.lines.filter((l) => l.msg === 'telemetry payload rejected')).toEqual([]);
  });
});

describe('a status is recorded before a batch received after it (PostgreSQL, status held by a row lock)', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let fresh: Awaited<ReturnType<typeof freshPostgres>>;
  let locker: pg.Client;
  beforeAll(async () => {
    fresh = await freshPostgres();
    t = await startTestCentral({ databaseUrl: fresh.url });
    locker = new pg.Client({ connectionString: fresh.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await t?.close();
    await fresh?.drop();
  });

  it("the batch waits for the edge's status, so its charger is stored as a charger", async () => {
    const edge = await t.connectEdge('edge-slow-status');
    const other = await t.connectEdge('edge-barrier');
    // The status's UPDATE of the edge row waits on this lock (FOR NO KEY UPDATE; the ingest's
    // foreign-key checks take KEY SHARE and pass).
    await locker.query('BEGIN');
    await locker.query("SELECT 1 FROM edges WHERE id = 'edge-slow-status' FOR NO KEY UPDATE");
    const status: EdgeStatus = {
      edgeId: 'edge-slow-status',
      online: true,
      devices: [health('ch1', { kind: 'charger' })],
    };
    await edge.publishAsync(edgeTopic('edge-slow-status', 'status'), JSON.stringify(status), {
      qos: 1,
    });
    const waiting = async () =>
      (
        await locker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND datname = current_database()`,
        )
      ).rows[0]?.n;
    await expect.poll(waiting, { timeout: 20_000 }).toBe(1);
    await edge.publishAsync(
      edgeTopic('edge-slow-status', 'telemetry'),
      JSON.stringify(batch('edge-slow-status', 1, ['ch1'])),
      { qos: 1 },
    );
    // A barrier: the decode thread answers in arrival order, so once another edge's later batch
    // is stored, the held edge's batch was decoded and handed to its store long before. Without
    // the ordering it would now be stored, its charger registered as a meter.
    await other.publishAsync(
      edgeTopic('edge-barrier', 'telemetry'),
      JSON.stringify(batch('edge-barrier', 1, ['m1'])),
      { qos: 1 },
    );
    const stored = async (edgeId: string) =>
      (
        await locker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM readings r JOIN ingest_streams s ON s.id = r.stream_id
           WHERE s.edge_id = $1`,
          [edgeId],
        )
      ).rows[0]?.n;
    await expect.poll(() => stored('edge-barrier'), { timeout: 20_000 }).toBe(1);
    expect(await stored('edge-slow-status')).toBe(0);
    await locker.query('COMMIT');
    await expect.poll(() => stored('edge-slow-status'), { timeout: 20_000 }).toBe(1);
    expect(await listDevices(t.central.database.db, 'edge-slow-status')).toEqual([
      expect.objectContaining({ deviceId: 'ch1', kind: 'charger' }),
    ]);
    const meters = await t.central.database.db
      .selectFrom('meters')
      .select('device_id')
      .where('edge_id', '=', 'edge-slow-status')
      .execute();
    expect(meters).toEqual([]);
  });
});
