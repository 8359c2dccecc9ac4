import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Central, mintToken, startCentral } from '@gridlink/central';
import { renderMosquittoAcl } from '@gridlink/central/mqtt-policy';
import {
  postgresReachable,
  type ScratchDatabase,
  scratchPostgres,
} from '@gridlink/central/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from './helpers/central-harness.js';
import { mosquittoInstalled, type RunningMosquitto, startMosquitto } from './helpers/mosquitto.js';

/**
 * Issue 21 item 2, the rest of "behind any instance": seed C's journey server and the web UI's
 * HTTP API on two centrals (external Mosquitto, `shareGroup`) over one PostgreSQL. The last free
 * slot of a point is booked once even when the two PAYMENTs race on different centrals (the
 * reservation table's exclusion constraint decides, not either process); a driver and its car
 * made through one central journey and sign in through the other; a token, a booking and a
 * sign-out made on one are the same on the other; both serve the same UI build.
 */
const ready = mosquittoInstalled && (await postgresReachable());
if (!ready && process.env.CI === 'true')
  throw new Error('the scale-out legacy/UI suite needs mosquitto and PostgreSQL under CI=true');
if (!ready)
  console.warn(
    '\n*** mosquitto or PostgreSQL missing: SKIPPING the scale-out legacy/UI suite. ***\n',
  );

const quiet = pino({ level: 'silent' });
const services = ['gridlink-central-1', 'gridlink-central-2'];
// One station with one point: a single free slot at any time (seed C's Feira CSV format).
const CSV =
  'id;nomeDoPosto;endereço;latitude;longitude;quantidadeDeVeiculosSimultaneos\n1;Posto Único;Rua A, 1;-12.25;-38.96;1\n';
const SIGN_IN = { document: '52998224725', password: 'uma senha longa o bastante' };
const PLATE = 'ANA1B23';

type Envelope = {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: the seed's JSON envelopes
  data: any;
  status: { code: number; message: string };
};

describe.skipIf(!ready)('scale-out: seed C journeys and the web UI behind any central', () => {
  let dir: string;
  let broker: RunningMosquitto;
  let db: ScratchDatabase;
  let admin: string;
  let stationId: number;
  const centrals: Central[] = [];
  const sockets: Socket[] = [];
  const secrets = Object.fromEntries(
    services.map((u) => [u, randomBytes(24).toString('base64url')]),
  );
  const start = (n: number) =>
    startCentral(
      {
        dataDir: join(dir, `central-${n}`),
        databaseUrl: db.url,
        http: { port: 0 },
        mqtt: {
          mode: 'external',
          url: broker.url,
          username: services[n - 1] as string,
          password: secrets[services[n - 1] as string] as string,
          shareGroup: 'gridlink',
        },
        legacy: { seedC: { enabled: true, port: 0, anonymous: { enabled: true } } },
      },
      { logger: quiet, scheduler: false },
    );
  const url = (n: number) => (centrals[n - 1] as Central).http.url;
  const api = (n: number, method: string, path: string, token?: string, body?: unknown) =>
    requestJson(url(n), method, `/api/v1${path}`, token, body);
  /** A seed C client (docs/LEGACY-SEED-C.md) on central n: one envelope line out, one back. */
  const journey = async (n: number) => {
    const socket = connect({
      port: centrals[n - 1]?.legacy.seedC?.port as number,
      host: '127.0.0.1',
    });
    sockets.push(socket);
    await once(socket, 'connect');
    const lines = createInterface({ input: socket })[Symbol.asyncIterator]();
    return async (type: string, data: unknown): Promise<Envelope> => {
      const status = { code: 0, message: '' };
      socket.write(
        `${JSON.stringify({ type, data, status, timestamp: new Date().toISOString() })}\n`,
      );
      return JSON.parse((await lines.next()).value as string);
    };
  };
  /** LOGIN as a plate and SELECTION_STATION of the one-point station, 0 km away. */
  const selected = async (ask: Awaited<ReturnType<typeof journey>>, plate: string) => {
    const login = await ask('LOGIN', {
      user_name: plate,
      selected_car: 'Nissan Leaf',
      battery_car: 30,
    });
    expect(login.status.code).toBe(200);
    const userId = login.data.user_id as number;
    const pick = await ask('SELECTION_STATION', {
      user_id: userId,
      list_stations: { [stationId]: { distance_origin_position: 0 } },
    });
    expect(pick.data.id_station).toBe(stationId);
    return () => ask('PAYMENT', { user_id: userId, id_station: stationId, confirmation: true });
  };
  const driverToken = async (n: number) => {
    const login = await api(n, 'POST', '/auth/driver-login', undefined, SIGN_IN);
    expect(login.status).toBe(200);
    return login.body as { token: string; driverId: number };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-scale-legacy-ui-'));
    const acl = renderMosquittoAcl({ services, shareGroup: 'gridlink', credentials: [] });
    broker = await startMosquitto(secrets, services[0] as string, { acl });
    db = await scratchPostgres('gl_scale_legacy_ui');
    centrals.push(await start(1), await start(2));
    admin = await mintToken(centrals[0]!.database.db, { role: 'admin' });
    const imported = await fetch(
      `${url(1)}/api/v1/companies/solo/imports?format=feira&name=Solo&connector=ccs2:50000`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv; charset=utf-8' },
        body: CSV,
      },
    );
    expect(imported.status).toBe(200);
    stationId = Number(
      (
        await sql<{ id: string }>`SELECT id FROM ev_stations WHERE name = 'Posto Único'`.execute(
          centrals[0]!.database.db,
        )
      ).rows[0]?.id,
    );
    expect((await api(1, 'POST', '/drivers', admin, { ...SIGN_IN, name: 'Ana' })).status).toBe(201);
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const c of centrals) await c.close();
    await broker?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('two PAYMENTs for the last free slot, one per central, racing: one booked, one declined', async () => {
    const one = await journey(1);
    const two = await journey(2);
    // Central 2 lists what was imported through central 1.
    const started = await two('START', {});
    const station = started.data.stations.find((s: { name: string }) => s.name === 'Posto Único');
    expect(station).toMatchObject({ id: stationId, points: 1, available_points: 1 });
    const payOne = await selected(one, 'RCA1A11');
    const payTwo = await selected(two, 'RCB2B22');
    // Both PAYMENTs read the point free and reach their INSERT before either commits: the table
    // is held in SHARE mode (reads pass, writes wait) until both INSERTs are seen waiting.
    const k = centrals[0]!.database.db;
    const { paid } = await k.transaction().execute(async (trx) => {
      await sql`LOCK TABLE ev_reservations IN SHARE MODE`.execute(trx);
      const answers = Promise.all([payOne(), payTwo()]);
      await expect
        .poll(async () => {
          const r = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND query LIKE '%INSERT INTO ev_reservations%'`.execute(k);
          return Number(r.rows[0]?.n);
        })
        .toBe(2);
      // Wrapped: returning the promise itself would hold the transaction until it settles.
      return { paid: answers };
    });
    const [won, lost] = [...(await paid)].sort((a, b) => a.status.code - b.status.code) as [
      Envelope,
      Envelope,
    ];
    expect(won.status.code).toBe(200);
    expect(won.data).toMatchObject({ reserved: true, id_station: stationId });
    expect(lost.status.code).toBe(409);
    expect(lost.data).toEqual({ reserved: false, next_free: won.data.end });
    const live = await sql<{ n: string }>`SELECT count(*) AS n FROM ev_reservations
      WHERE point_id = ${won.data.point_id} AND state IN ('PENDING','RESERVED','FULFILLED')`.execute(
      k,
    );
    expect(Number(live.rows[0]?.n)).toBe(1);
    // The booking is the API's on either central.
    for (const n of [1, 2])
      expect(
        (await api(n, 'GET', `/reservations/${won.data.reservation_id}`, admin)).body,
      ).toMatchObject({
        source: 'seed-c',
        state: 'RESERVED',
        end: won.data.end,
      });
  });

  it('a driver and car made through central 1 journey on central 2 and book as that driver', async () => {
    const { token, driverId } = await driverToken(1);
    expect((await api(1, 'POST', '/cars', token, { plate: PLATE })).status).toBe(201);
    const ask = await journey(2);
    expect((await ask('AUTH', { token })).status.code).toBe(200);
    const pay = await (await selected(ask, PLATE))();
    // Booked for the plate only because central 2 reads the owner central 1 stored.
    expect(pay.status.code).toBe(200);
    const got = await api(1, 'GET', `/reservations/${pay.data.reservation_id}`, token);
    expect(got.body).toMatchObject({ driverId, plate: PLATE, source: 'seed-c', state: 'RESERVED' });
  });

  it('a sign-in, a booking and a sign-out on one central hold on the other; same UI on both', async () => {
    const { token, driverId } = await driverToken(1);
    expect((await api(2, 'GET', `/drivers/${driverId}`, token)).status).toBe(200);
    const [point] = (
      await sql<{ id: string }>`SELECT id FROM ev_points WHERE station_id = ${stationId}`.execute(
        centrals[0]!.database.db,
      )
    ).rows.map((r) => Number(r.id));
    const from = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 24 * 3_600_000);
    const booked = await api(1, 'POST', '/reservations', token, {
      pointId: point,
      start: from.toISOString(),
      end: new Date(from.getTime() + 30 * 60_000).toISOString(),
    });
    expect(booked.status).toBe(201);
    const seen = await api(2, 'GET', `/reservations/${booked.body.id}`, token);
    expect(seen).toEqual({ status: 200, body: booked.body });
    const listed = await api(2, 'GET', '/reservations', token);
    expect(listed.body.items.map((r: { id: number }) => r.id)).toContain(booked.body.id);
    // Signed out through central 2: central 1 refuses the token too.
    expect(
      (
        await fetch(`${url(2)}/api/v1/auth/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(204);
    expect((await api(1, 'GET', `/drivers/${driverId}`, token)).status).toBe(401);

    // The sign-in page and the assets it names come the same from either central.
    const pages = await Promise.all([1, 2].map(async (n) => fetch(`${url(n)}/driver/signin`)));
    const [html1, html2] = await Promise.all(pages.map((p) => p.text()));
    expect(pages.map((p) => p.status)).toEqual([200, 200]);
    expect(html2).toBe(html1);
    const assets = [...(html1 ?? '').matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) expect((await fetch(`${url(2)}${a}`)).status).toBe(200);
  });
});
