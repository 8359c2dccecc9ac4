/**
 * A year of 15-minute readings generated inside the database (INSERT … SELECT generate_series),
 * with a cumulative register that follows a realistic load: a daily cycle peaking in the evening
 * and a yearly cycle, around a mean power per meter. The register is the closed-form integral of
 * p(h) = P · (1 + 0.6 · sin(2π(h − 12)/24) + 0.25 · sin(2π h / 8760)), which is always above
 * 0.15 · P, so the register never goes backwards; it is rounded to Wh like a meter display.
 */
import type { Central } from '@gridlink/central';
import { sql } from 'kysely';

/** Local midnight 1 Nov 2025 in America/Bahia (UTC−3): the year is Nov 2025 … Oct 2026. */
export const YEAR_START = Date.parse('2025-11-01T03:00:00Z');
/** Readings per meter: every 15 minutes for 365 days, plus the one that closes the year. */
export const READINGS_PER_METER = 365 * 96 + 1;
export const EDGE_ID = 'bench-history';

/** Registers `count` meters on the bench edge; returns their ids in order. */
export async function addMeters(central: Central, from: number, count: number): Promise<number[]> {
  const db = central.database.db;
  const { rows } = await sql<{ id: number }>`
    INSERT INTO meters (edge_id, device_id)
    SELECT ${EDGE_ID}, 'm' || lpad(g::text, 5, '0') FROM generate_series(${from}::int, ${from + count - 1}::int) g
    RETURNING id`.execute(db);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

/**
 * Inserts a year of readings for the meters (one statement per meter: a bounded transaction).
 * Mean power 0.15–0.6 kW (≈ 110–440 kWh a month), a per-meter starting register.
 */
export async function insertYear(central: Central, streamId: number, ids: readonly number[]) {
  const db = central.database.db;
  for (const id of ids) {
    const p = 0.15 + ((id * 7919) % 1000) / 1000 / 2.2;
    const base = (id * 104_729) % 50_000;
    await sql`
      INSERT INTO readings (stream_id, seq, meter_id, ts, quality, values)
      SELECT ${streamId}::int, ${id}::bigint * 100000 + n, ${id}::int,
             to_timestamp(${YEAR_START / 1000}::float8 + n * 900), 'good',
             jsonb_build_object(
               'energy_import', round((${base}::float8 + ${p}::float8 * (h
                 + 0.6 * 24 / (2 * pi()) * (cos(-pi()) - cos(2 * pi() * (h - 12) / 24))
                 + 0.25 * 8760 / (2 * pi()) * (1 - cos(2 * pi() * h / 8760))))::numeric, 3),
               'power_total', round((1000 * ${p}::float8 * (1 + 0.6 * sin(2 * pi() * (h - 12) / 24)
                 + 0.25 * sin(2 * pi() * h / 8760)))::numeric, 1),
               'voltage_l1', round((220 + 4 * sin(n * 0.37))::numeric, 1))
      FROM generate_series(0, ${READINGS_PER_METER - 1}::int) n, LATERAL (SELECT n * 0.25 AS h) x
    `.execute(db);
  }
}

/** The stream the generated readings belong to (readings are keyed by stream and seq). */
export async function benchStream(central: Central): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    INSERT INTO ingest_streams (edge_id, epoch) VALUES (${EDGE_ID}, 'bench-history-epoch')
    RETURNING id`.execute(central.database.db);
  return (rows[0] as { id: number }).id;
}
