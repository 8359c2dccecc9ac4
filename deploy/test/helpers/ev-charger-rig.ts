import type { Central } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { expect } from 'vitest';
import { requestJson } from './central-harness.js';

/** A simulated charger's Modbus TCP listener, as the fleet gives it, and how the edge reads it. */
export interface RigCharger {
  /** The edge's device id (the simulator's device id too). */
  id: string;
  at: { host: string; port: number };
  /** Default `gridlink-charger`. */
  profile?: 'gridlink-charger' | 'keba-p30';
  /** Default 1. */
  unitId?: number;
}

/**
 * The EV rig's edge: an edge credential taken from the central's API, a real edge agent on the
 * central's broker reading each charger over Modbus TCP, ready once it listens for commands.
 */
export async function startChargerEdge(options: {
  central: Central;
  admin: string;
  edgeId: string;
  dataDir: string;
  chargers: RigCharger[];
  /** Modbus poll interval of every charger. */
  intervalMs: number;
  statusIntervalMs?: number;
  logger: Logger;
}): Promise<EdgeAgent> {
  const { central, admin, edgeId } = options;
  const cred = await requestJson(
    central.http.url,
    'PUT',
    `/api/v1/edges/${edgeId}/credential`,
    admin,
  );
  expect(cred.status).toBe(200);
  const edge = await startEdge(
    {
      edgeId,
      dataDir: options.dataDir,
      mqtt: { url: central.mqttUrl, password: cred.body.secret },
      ...(options.statusIntervalMs === undefined
        ? {}
        : { statusIntervalMs: options.statusIntervalMs }),
      devices: options.chargers.map((c) => ({
        id: c.id,
        driver: 'modbus-tcp' as const,
        host: c.at.host,
        port: c.at.port,
        unitId: c.unitId ?? 1,
        profile: c.profile ?? 'gridlink-charger',
        intervalMs: options.intervalMs,
        timeoutMs: 2000,
      })),
    },
    { logger: options.logger },
  );
  await edge.commands.subscribed;
  return edge;
}

/**
 * The EV network straight into the database (the import API is tested elsewhere): company
 * `feira`, station `s1` and one point per entry, with its tariff when given. Returns the points'
 * ids by external id.
 */
export async function insertEvNetwork(
  central: Central,
  points: Array<{ externalId: string; name: string; tariff?: unknown }>,
): Promise<Record<string, number>> {
  const db = central.database.db;
  await sql`INSERT INTO ev_companies (id, name) VALUES ('feira', 'Feira')`.execute(db);
  await sql`INSERT INTO ev_stations (company_id, external_id, name, latitude, longitude)
    VALUES ('feira', 's1', 'Centro', -12.25, -38.95)`.execute(db);
  const ids: Record<string, number> = {};
  for (const p of points) {
    const tariff = p.tariff === undefined ? null : JSON.stringify(p.tariff);
    const row = await sql<{ id: string | number }>`INSERT INTO ev_points
      (station_id, external_id, name, tariff)
      SELECT id, ${p.externalId}, ${p.name}, ${tariff}::jsonb FROM ev_stations RETURNING id`.execute(
      db,
    );
    ids[p.externalId] = Number(row.rows[0]?.id);
  }
  return ids;
}

/**
 * A driver made by the admin over the API and signed in (with `signInDocument`, another spelling
 * of the same document, when given): its bearer token.
 */
export async function signUpDriver(
  central: Central,
  admin: string,
  driver: { document: string; name: string; password: string },
  signInDocument = driver.document,
): Promise<string> {
  const made = await requestJson(central.http.url, 'POST', '/api/v1/drivers', admin, driver);
  expect(made.status).toBe(201);
  const login = await requestJson(
    central.http.url,
    'POST',
    '/api/v1/auth/driver-login',
    undefined,
    {
      document: signInDocument,
      password: driver.password,
    },
  );
  expect(login.status).toBe(200);
  return login.body.token;
}
