import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordStatusDevices } from '../src/edges/index.js';
import {
  applyReadings,
  bindCharger,
  getPointLive,
  markOffline,
  setMaintenance,
  unbindCharger,
} from '../src/ev/live/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const health = (deviceId: string, kind: 'charger' | 'meter', online: boolean) => ({
  deviceId,
  kind,
  profile: kind === 'charger' ? 'gridlink-charger' : 'eastron-sdm120',
  online,
  lastOkAt: null,
  consecutiveFailures: 0,
  polls: 0,
  failures: 0,
  overruns: 0,
  lastError: null,
});

/** The live store's SQL on both databases: binding rules, ordering, offline. */
describeEachStore('ev/live store', (store) => {
  let database: Database & { dispose(): Promise<void> };
  const ids = { a: 0, b: 0 };
  const by = { by: 'admin:t', companyId: null };
  const now = new Date('2026-03-01T12:00:00Z');
  const at = (s: number) => Date.parse('2026-03-01T11:00:00Z') + s * 1000;

  beforeAll(async () => {
    database = await store.open();
    const db = database.db;
    await db.insertInto('edges').values({ id: 'e1', secret_hash: 'x' }).execute();
    await recordStatusDevices(
      db,
      'e1',
      [health('c1', 'charger', true), health('m1', 'meter', true)],
      now,
    );
    await db.insertInto('ev_companies').values({ id: 'acme', name: 'Acme' }).execute();
    const s = await db
      .insertInto('ev_stations')
      .values({ company_id: 'acme', external_id: 's', name: 'S', latitude: 0, longitude: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rows = await db
      .insertInto('ev_points')
      .values(['a', 'b'].map((n) => ({ station_id: Number(s.id), external_id: n, name: n })))
      .returning('id')
      .execute();
    ids.a = Number(rows[0]?.id);
    ids.b = Number(rows[1]?.id);
  });
  afterAll(() => database?.dispose());

  it('binds a charger to one point only, with the codes for the others', async () => {
    const db = database.db;
    await expect(
      bindCharger(db, ids.a, { edgeId: 'e1', deviceId: 'm1' }, by, now),
    ).rejects.toMatchObject({ code: 'GL_EV_DEVICE_NOT_CHARGER' });
    await expect(
      bindCharger(db, ids.a, { edgeId: 'e2', deviceId: 'c1' }, by, now),
    ).rejects.toMatchObject({ code: 'GL_EV_DEVICE_UNKNOWN' });
    await expect(
      bindCharger(
        db,
        ids.a,
        { edgeId: 'e1', deviceId: 'c1' },
        { by: 'op', companyId: 'other' },
        now,
      ),
    ).rejects.toMatchObject({ code: 'GL_NOT_FOUND' });
    const bound = await bindCharger(db, ids.a, { edgeId: 'e1', deviceId: 'c1' }, by, now);
    expect(bound.after.charger).toEqual({ edgeId: 'e1', deviceId: 'c1' });
    await expect(
      bindCharger(db, ids.b, { edgeId: 'e1', deviceId: 'c1' }, by, now),
    ).rejects.toMatchObject({ code: 'GL_EV_DEVICE_BOUND', details: { pointId: ids.a } });
  });

  it('applies readings in time order, skips older ones, keeps fields a reading lacks', async () => {
    const db = database.db;
    const charger = {
      pointId: ids.a,
      edgeId: 'e1',
      deviceId: 'c1',
      profile: 'gridlink-charger',
      driver: null,
    };
    const r = (seq: number, s: number, values: Record<string, number>) => ({
      seq,
      deviceId: 'c1',
      ts: at(s),
      quality: 'good' as const,
      values,
    });
    // Given out of order within the batch: sorted by time.
    const first = await applyReadings(
      db,
      charger,
      [
        r(2, 20, { status: 2, session_energy: 2.5, energy_total: 100 }),
        r(1, 10, { status: 1, energy_total: 99.9 }),
      ],
      now,
    );
    expect(first?.applied.map((a) => `${a.from}>${a.to}`)).toEqual([
      'unknown>preparing',
      'preparing>charging',
    ]);
    expect(await getPointLive(db, ids.a)).toMatchObject({
      state: 'charging',
      sessionEnergyWh: 2500,
      energyTotalWh: 100000,
      stateAt: new Date(at(20)),
    });
    const stale = await applyReadings(db, charger, [r(3, 15, { status: 5, fault_code: 3 })], now);
    expect(stale?.applied).toEqual([]);
    // A reading without status (a failed block) moves registers, not the state.
    await applyReadings(db, charger, [r(4, 30, { power: 7000 })], now);
    expect(await getPointLive(db, ids.a)).toMatchObject({
      state: 'charging',
      powerW: 7000,
      sessionEnergyWh: 2500,
    });
    // A device no longer bound there: nothing.
    expect(
      await applyReadings(db, { ...charger, pointId: ids.b }, [r(5, 40, { status: 0 })], now),
    ).toBeUndefined();
  });

  it('marks a point unknown when its charger is reported offline after its last reading, once', async () => {
    const db = database.db;
    await recordStatusDevices(db, 'e1', [health('c1', 'charger', false)], new Date(at(25)));
    expect(await markOffline(db, now)).toEqual([]); // the report is older than the last reading (30 s)
    await recordStatusDevices(db, 'e1', [health('c1', 'charger', false)], new Date(at(60)));
    const changes = await markOffline(db, now);
    expect(changes.map((c) => [c.before.state, c.after.state])).toEqual([['charging', 'unknown']]);
    expect(await getPointLive(db, ids.a)).toMatchObject({
      state: 'unknown',
      stateAt: new Date(at(60)),
      powerW: null,
    });
    expect(await markOffline(db, now)).toEqual([]);
  });

  it('records maintenance with who and when; unbinding resets the live columns', async () => {
    const db = database.db;
    const m = await setMaintenance(db, ids.a, true, 'cable', by, now);
    expect(m.after).toMatchObject({
      maintenance: true,
      maintenanceReason: 'cable',
      maintenanceBy: 'admin:t',
      maintenanceAt: now,
    });
    const u = await unbindCharger(db, ids.a, by, now);
    expect(u.after).toMatchObject({
      charger: null,
      state: 'unknown',
      stateAt: null,
      energyTotalWh: null,
      maintenance: true,
    });
    await expect(unbindCharger(db, 999_999, by, now)).rejects.toMatchObject({
      code: 'GL_NOT_FOUND',
    });
  });
});
