import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readStations, stationPricePerKwh } from '../src/legacy/seed-c/stations.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const H = 3_600_000;

/**
 * What seed C weighs stations with (central/src/legacy/seed-c/stations.ts), on PGlite and
 * PostgreSQL: points with their power (best connector, or the default), tariff (the point's, else
 * the company's), usability from live state and maintenance, and the live bookings ahead as busy
 * times; canceled bookings and other stations' points left out.
 */
describeEachStore('seed C station reader', (store) => {
  let db: Database & { dispose(): Promise<void> };
  let a: number;
  let b: number;
  const points: number[] = [];

  beforeAll(async () => {
    db = await store.open();
    const k = db.db;
    await k
      .insertInto('ev_companies')
      .values({
        id: 'co',
        name: 'Co',
        default_tariff: JSON.stringify({
          elements: [{ price_components: [{ type: 'ENERGY', price: '2.50', step_size: 1 }] }],
        }),
      } as never)
      .execute();
    const station = async (ext: string) =>
      Number(
        (
          await k
            .insertInto('ev_stations')
            .values({
              company_id: 'co',
              external_id: ext,
              name: `S${ext}`,
              address: null,
              latitude: -12.25,
              longitude: -38.96,
            } as never)
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    a = await station('1');
    b = await station('2');
    const point = async (stationId: number, ext: string, extra: Record<string, unknown> = {}) => {
      const id = Number(
        (
          await k
            .insertInto('ev_points')
            .values({ station_id: stationId, external_id: ext, name: `P${ext}`, ...extra } as never)
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
      points.push(id);
      return id;
    };
    const p1 = await point(a, '1', { state: 'available' });
    await k
      .insertInto('ev_connectors')
      .values([
        { point_id: p1, connector_no: 1, standard: 'ccs2', power_type: 'dc', max_power_w: 150_000 },
        { point_id: p1, connector_no: 2, standard: 'type2', power_type: 'ac', max_power_w: 22_000 },
      ] as never)
      .execute();
    await point(a, '2', {
      state: 'charging',
      tariff: JSON.stringify({
        elements: [{ price_components: [{ type: 'ENERGY', price: '1.20', step_size: 1 }] }],
      }),
    });
    await point(a, '3', { maintenance: true });
    await point(b, '1', { state: 'faulted' });
    const booking = (pointId: number, from: number, to: number, state: string) =>
      sql`INSERT INTO ev_reservations (point_id, plate, period, state, terms, source, created_at, updated_at)
        VALUES (${pointId}, 'ABC1234', tstzrange(${new Date(from)}, ${new Date(to)}), ${state}, '{}'::jsonb, 'api', now(), now())`.execute(
        k,
      );
    await booking(p1, NOW + H, NOW + 2 * H, 'RESERVED');
    await booking(p1, NOW + 3 * H, NOW + 4 * H, 'CANCELED');
    await booking(p1, NOW + 100 * H, NOW + 101 * H, 'RESERVED');
  });
  afterAll(async () => db?.dispose());

  it('reads power, tariffs, usability and busy times', async () => {
    const [sa, sb, ...rest] = await readStations(db.db, {
      now: NOW,
      horizonMs: 48 * H,
      defaultPowerKw: 50,
      occupiedMs: 30 * 60_000,
    });
    expect(rest).toEqual([]);
    expect(sa?.id).toBe(a);
    expect(sb?.id).toBe(b);
    const [p1, p2, p3] = sa?.points ?? [];
    // The best connector; the booking inside the horizon only; the canceled one left out.
    expect(p1).toMatchObject({ usable: true, available: true, powerKw: 150 });
    expect(p1?.busy).toEqual([{ start: NOW + H, end: NOW + 2 * H }]);
    // No connector: the default power; charging now: busy for occupiedMs from now.
    expect(p2).toMatchObject({ usable: true, available: false, powerKw: 50 });
    expect(p2?.busy).toEqual([{ start: NOW, end: NOW + 30 * 60_000 }]);
    expect(p3).toMatchObject({ usable: false, available: false });
    expect(sb?.points[0]).toMatchObject({ usable: false });
    // The cheapest usable point's energy price: the point's own 1.20 over the company's 2.50.
    expect(stationPricePerKwh(sa as never)).toBe(1.2);
    expect(stationPricePerKwh(sb as never)).toBeNull();
    // Only the asked stations.
    const only = await readStations(db.db, {
      ids: [b],
      now: NOW,
      horizonMs: H,
      defaultPowerKw: 50,
      occupiedMs: 0,
    });
    expect(only.map((s) => s.id)).toEqual([b]);
    expect(
      await readStations(db.db, {
        ids: [],
        now: NOW,
        horizonMs: H,
        defaultPowerKw: 50,
        occupiedMs: 0,
      }),
    ).toEqual([]);
  });
});
