import { Aedes } from 'aedes';
import { sql } from 'kysely';
import type { Database } from '../src/storage/index.js';

/**
 * The network a reservations test books on: one company, one station, `points` points, two
 * drivers owning one car each (ABC1D23 → driver 1, XYZ9A87 → driver 2). Returns the ids.
 */
export async function seedNetwork(database: Database, points = 2) {
  const db = database.db;
  await sql`INSERT INTO ev_companies (id, name) VALUES ('feira', 'Feira')`.execute(db);
  const st = await sql<{ id: string | number }>`INSERT INTO ev_stations
    (company_id, external_id, name, latitude, longitude) VALUES ('feira', 's1', 'S1', -12.2, -38.9)
    RETURNING id`.execute(db);
  const stationId = Number(st.rows[0]?.id);
  const pointIds: number[] = [];
  for (let i = 1; i <= points; i++) {
    const p = await sql<{
      id: string | number;
    }>`INSERT INTO ev_points (station_id, external_id, name, state)
      VALUES (${stationId}, ${`p${i}`}, ${`P${i}`}, 'available') RETURNING id`.execute(db);
    pointIds.push(Number(p.rows[0]?.id));
  }
  const drivers: number[] = [];
  for (const [doc, plate] of [
    ['52998224725', 'ABC1D23'],
    ['11144477735', 'XYZ9A87'],
  ] as const) {
    const d = await sql<{
      id: string | number;
    }>`INSERT INTO ev_drivers (document, name, password_hash)
      VALUES (${doc}, ${doc}, 'x') RETURNING id`.execute(db);
    const id = Number(d.rows[0]?.id);
    drivers.push(id);
    await sql`INSERT INTO ev_cars (plate, driver_id) VALUES (${plate}, ${id})`.execute(db);
  }
  return { stationId, pointIds, drivers };
}

/** A real in-process broker; `seen` collects every `reservas/+/status` message it routes. */
export async function statusBroker() {
  const aedes = await Aedes.createBroker();
  const seen: Array<{ topic: string; body: Record<string, unknown>; retain: boolean }> = [];
  await new Promise<void>((resolve) =>
    aedes.subscribe(
      'reservas/+/status',
      (packet, done) => {
        seen.push({
          topic: packet.topic,
          body: JSON.parse(packet.payload.toString()),
          retain: packet.retain,
        });
        done();
      },
      resolve,
    ),
  );
  const close = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  return { aedes, seen, close };
}
