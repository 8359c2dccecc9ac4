import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newSecret } from '../src/auth/index.js';
import type { Central } from '../src/central.js';
import {
  branchKey,
  type CoordinatorFaults,
  FederationParticipant,
} from '../src/federation/index.js';
import { startCentral } from '../src/index.js';
import type { Schema } from '../src/storage/index.js';
import { postgresReachable, requirePostgres, scratchPostgres } from '../src/testing/index.js';

/**
 * The federation coordinator between real centrals in one process (docs/FEDERATION.md): company
 * A coordinates (PGlite), company B participates over real HTTP (PostgreSQL when reachable, else
 * PGlite), both on one fake clock. A's car must stop once at A's station and once at B's: the
 * trip books all or nothing through the coordinator (A's own stop through its local participant),
 * a slot taken at B cancels everything everywhere, B down during confirm leaves the trip
 * `confirming` until B is back and the retry confirms it, and a restarted coordinator cancels a
 * transaction it left `trying`.
 */

const T0 = Date.UTC(2027, 0, 11, 8, 0, 0);
const DAY = 86_400_000;
const LON = -39.0;
/** Stations 0.8° of latitude apart (≈ 116 km of road): the car's 150 km needs both stops. */
const ORIGIN = { lat: -12.0, lon: LON };
const AT_A = { lat: -12.8, lon: LON };
const AT_B = { lat: -13.6, lon: LON };
const DEST = { lat: -14.4, lon: LON };
const CAR = { batteryKwh: 30, consumptionKwhPerKm: 0.2, socPct: 100 };

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
type Answer = { status: number; body: any };

/** A free port now (so each central's URL is known to its peer before either starts). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** A token string made up front, planted in the issuer's database once it runs. */
function tokenString(): { token: string; id: string; secret: string } {
  const id = randomBytes(8).toString('hex');
  const secret = newSecret();
  return { token: `glt_${id}_${secret}`, id, secret };
}
async function plant(
  db: Kysely<Schema>,
  t: { id: string; secret: string },
  role: 'peer' | 'admin',
  subject: string | null,
) {
  await db
    .insertInto('api_tokens')
    .values({ id: t.id, token_hash: hashSecret(t.secret), role, subject, label: 'test' })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

interface Company {
  name: 'company-a' | 'company-b';
  other: 'company-a' | 'company-b';
  port: number;
  dir: string;
  databaseUrl?: string;
  central?: Central;
  /** The token the other company issued to this one (this one's Bearer when it calls). */
  outbound: string;
  admin: ReturnType<typeof tokenString>;
}

describe('federation coordinator: one trip booked across two centrals, all or nothing', () => {
  const clock = new FakeClock(T0);
  const tokens = { aToB: tokenString(), bToA: tokenString() };
  let A: Company;
  let B: Company;
  let dropPg: (() => Promise<void>) | undefined;
  const lines: Array<Record<string, unknown>> = [];
  /** A's fault hook after the decision (the test sets it for one case). */
  let onDecision: ((txId: string) => Promise<void>) | undefined;
  const faults: CoordinatorFaults = { afterDecision: (id) => onDecision?.(id) };
  let pointA = 0;
  let pointB = 0;

  const start = async (co: Company) => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n'))
          if (l) lines.push({ company: co.name, ...JSON.parse(l) });
        cb();
      },
    });
    co.central = await startCentral(
      {
        dataDir: co.dir,
        ...(co.databaseUrl ? { databaseUrl: co.databaseUrl } : {}),
        http: { port: co.port },
        mqtt: { mode: 'embedded', port: 0 },
        federation: {
          name: co.name,
          peers: [
            {
              name: co.other,
              url: `http://127.0.0.1:${co === A ? B.port : A.port}`,
              token: co.outbound,
            },
          ],
          tryTimeoutMs: 5_000,
          callTimeoutMs: 5_000,
          retryInitialMs: 1_000,
          retryMaxMs: 8_000,
        },
      },
      {
        clock,
        scheduler: false,
        logger: pino({ level: 'info' }, sink),
        ...(co === A ? { federationFaults: faults } : {}),
      },
    );
    return co.central;
  };
  const db = (co: Company) => (co.central as Central).database.db;
  const federation = (co: Company) => {
    const f = (co.central as Central).federationCoordinator;
    if (!f) throw new Error(`${co.name} runs no coordinator`);
    return f;
  };

  const call = async (co: Company, method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${co.port}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null } as Answer;
  };
  const plan = (day: number, book: boolean) =>
    call(A, 'POST', '/trips/plan', A.admin.token, {
      ...CAR,
      origin: ORIGIN,
      destination: DEST,
      departAt: new Date(T0 + day * DAY).toISOString(),
      book,
    });
  /** Live reservations of a central, ids as numbers (PGlite and PostgreSQL alike). */
  const live = async (co: Company) =>
    (
      await sql<{ id: string; state: string; source: string }>`
        SELECT id, state, source FROM ev_reservations
        WHERE state IN ('PENDING','RESERVED','FULFILLED') ORDER BY id`.execute(db(co))
    ).rows.map((r) => ({ ...r, id: Number(r.id) }));

  const seed = async (co: Company, ext: string, at: { lat: number; lon: number }) => {
    await sql`INSERT INTO ev_companies (id, name) VALUES (${co.name}, ${co.name})`.execute(db(co));
    const st = await sql<{ id: string }>`INSERT INTO ev_stations
      (company_id, external_id, name, latitude, longitude)
      VALUES (${co.name}, ${ext}, ${`${co.name} station`}, ${at.lat}, ${at.lon})
      RETURNING id`.execute(db(co));
    const p = await sql<{ id: string }>`INSERT INTO ev_points (station_id, external_id, name, state)
      VALUES (${Number(st.rows[0]?.id)}, 'p1', 'P1', 'available') RETURNING id`.execute(db(co));
    const pointId = Number(p.rows[0]?.id);
    await sql`INSERT INTO ev_connectors (point_id, connector_no, standard, power_type, max_power_w)
      VALUES (${pointId}, 1, 'ccs2', 'dc', 50000)`.execute(db(co));
    return pointId;
  };

  beforeAll(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    A = {
      name: 'company-a',
      other: 'company-b',
      port: portA,
      dir: await mkdtemp(join(tmpdir(), 'gl-fed-coord-a-')),
      outbound: tokens.bToA.token,
      admin: tokenString(),
    };
    B = {
      name: 'company-b',
      other: 'company-a',
      port: portB,
      dir: await mkdtemp(join(tmpdir(), 'gl-fed-coord-b-')),
      outbound: tokens.aToB.token,
      admin: tokenString(),
    };
    if (await postgresReachable()) {
      const pg = await scratchPostgres('gl_fed_coord');
      B.databaseUrl = pg.url;
      dropPg = pg.drop;
    } else await requirePostgres('company B of the federation coordinator suite (PGlite instead)');
    // A first: its first catalog copy finds B down, so the plan below starts without B's stations.
    await start(A);
    await federation(A).catalog.firstSync;
    await plant(db(A), A.admin, 'admin', null);
    await plant(db(A), tokens.aToB, 'peer', 'company-b');
    pointA = await seed(A, 'a1', AT_A);
    await start(B);
    await plant(db(B), B.admin, 'admin', null);
    await plant(db(B), tokens.bToA, 'peer', 'company-a');
    pointB = await seed(B, 'b1', AT_B);
  }, 120_000);

  afterAll(async () => {
    await A?.central?.close();
    await B?.central?.close();
    await dropPg?.();
    for (const co of [A, B]) if (co?.dir) await rm(co.dir, { recursive: true, force: true });
  });

  it("plans over B's stations once its catalog is copied", async () => {
    const before = await plan(1, false);
    expect(before.status, JSON.stringify(before.body)).toBe(422);
    const synced = await federation(A).catalog.syncAll();
    expect(synced).toEqual({ synced: ['company-b'], failed: [] });
    const after = await plan(1, false);
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    expect(after.body.stops.map((s: Answer['body']) => [s.peer, s.companyId])).toEqual([
      [null, 'company-a'],
      ['company-b', 'company-b'],
    ]);
    expect(after.body.federation).toBeNull();
    const rows = await sql<{ seq: number; station_id: string | null; peer: string | null }>`
      SELECT seq, station_id, peer, remote_station_id FROM ev_trip_stops
      WHERE trip_id = ${after.body.id} ORDER BY seq`.execute(db(A));
    expect(rows.rows[1]).toMatchObject({ station_id: null, peer: 'company-b' });
  });

  it('books a trip whose stops span both companies: both reservations RESERVED, the trip shows both', async () => {
    const r = await plan(1, true);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.booked).toBe(true);
    expect(r.body.federation.state).toBe('confirmed');
    expect(r.body.federation.branches).toEqual([
      expect.objectContaining({ seq: 1, peer: null, companyId: 'company-a', state: 'confirmed' }),
      expect.objectContaining({
        seq: 2,
        peer: 'company-b',
        companyId: 'company-b',
        state: 'confirmed',
      }),
    ]);
    const [ra, rb] = r.body.federation.branches.map((b: Answer['body']) => b.reservationId);
    expect(await live(A)).toEqual([
      expect.objectContaining({ id: ra, state: 'RESERVED', source: 'federation' }),
    ]);
    expect(await live(B)).toEqual([
      expect.objectContaining({ id: rb, state: 'RESERVED', source: 'federation' }),
    ]);
    const got = await call(A, 'GET', `/trips/${r.body.id}`, A.admin.token);
    expect(got.body.stops.map((s: Answer['body']) => [s.peer, s.pointId, s.reservationId])).toEqual(
      [
        [null, pointA, ra],
        ['company-b', pointB, rb],
      ],
    );
    // The transaction: for A's staff, and for B (a participant of it) with the token A issued.
    const tx = await call(
      A,
      'GET',
      `/federation/transactions/${r.body.federation.txId}`,
      A.admin.token,
    );
    expect(tx.status).toBe(200);
    expect(tx.body).toMatchObject({ state: 'confirmed', tripId: r.body.id });
    const asB = await call(
      A,
      'GET',
      `/federation/transactions/${r.body.federation.txId}`,
      tokens.aToB.token,
    );
    expect(asB.status).toBe(200);
    const list = await call(A, 'GET', '/federation/transactions?state=confirmed', A.admin.token);
    expect(list.body.items.map((t: Answer['body']) => t.txId)).toContain(r.body.federation.txId);
  });

  it("a slot taken at B cancels the whole trip: 409 naming B's stop, nothing held anywhere", async () => {
    const probe = await plan(2, false);
    const stop = probe.body.stops[1];
    // Someone books B's point over the stop's time, after A copied B's catalog.
    await (B.central as Central).ev.reservations.book({
      pointId: pointB,
      plate: 'ZZZ9Z99',
      driverId: null,
      start: new Date(Math.floor(Date.parse(stop.arriveAt) / 60_000) * 60_000 - 3_600_000),
      end: new Date(Math.ceil(Date.parse(stop.departAt) / 60_000) * 60_000 + 3_600_000),
      source: 'api',
      requestId: 'taken-at-b',
    });
    const beforeA = (await live(A)).length;
    const beforeB = (await live(B)).length;
    const r = await plan(2, true);
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.error.code).toBe('GL_EV_SLOT_TAKEN');
    expect(r.body.error.message).toMatch(
      /^stop 2 \(station \d+ of peer company-b, company company-b\)/,
    );
    expect(r.body.error.details).toMatchObject({ seq: 2, peer: 'company-b', state: 'canceled' });
    expect((await live(A)).length).toBe(beforeA);
    expect((await live(B)).length).toBe(beforeB);
    const tx = await call(
      A,
      'GET',
      `/federation/transactions/${r.body.error.details.txId}`,
      A.admin.token,
    );
    expect(tx.body.branches.map((b: Answer['body']) => b.state)).toEqual(['canceled', 'canceled']);
    const fence = await sql<{ state: string }>`SELECT state FROM fed_branches
      WHERE tx_id = ${r.body.error.details.txId}`.execute(db(B));
    expect(fence.rows.map((x) => x.state)).toEqual(['rolled_back']);
  });

  it('B down during confirm: the trip answers 202 confirming, and the retry confirms it once B is back', async () => {
    onDecision = async () => {
      onDecision = undefined;
      await (B.central as Central).close();
    };
    const r = await plan(3, true);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.booked).toBe(false);
    expect(r.body.federation.state).toBe('confirming');
    expect(r.body.federation.branches.map((b: Answer['body']) => b.state)).toEqual([
      'confirmed',
      'tried',
    ]);
    await start(B);
    // The retry runs on A's Ticker, on the fake clock: past the backoff, it confirms.
    await expect
      .poll(
        async () => {
          await clock.advanceAsync(1_000);
          return (await call(A, 'GET', `/trips/${r.body.id}`, A.admin.token)).body.federation.state;
        },
        { timeout: 20_000 },
      )
      .toBe('confirmed');
    const got = await call(A, 'GET', `/trips/${r.body.id}`, A.admin.token);
    expect(got.body.booked).toBe(true);
    const rb = got.body.stops[1].reservationId;
    expect(await live(B)).toContainEqual(expect.objectContaining({ id: rb, state: 'RESERVED' }));
  });

  it('a coordinator restarted with a transaction left trying cancels it everywhere', async () => {
    const probe = await plan(4, false);
    const [s1, s2] = probe.body.stops;
    const txId = crypto.randomUUID();
    const slot = (s: Answer['body']) => ({
      start: new Date(Math.floor((Date.parse(s.chargeFrom) - 5 * 60_000) / 1000) * 1000),
      end: new Date(Math.ceil(Date.parse(s.departAt) / 1000) * 1000),
    });
    const now = new Date(clock.now());
    await sql`INSERT INTO fed_transactions (id, trip_id, state, hold_until, created_by, created_at, updated_at)
      VALUES (${txId}, ${probe.body.id}, 'trying', ${new Date(now.getTime() + 600_000)}, 'test', ${now}, ${now})`.execute(
      db(A),
    );
    for (const [i, s, peer, company, station, point] of [
      [1, s1, null, 'company-a', s1.stationId, pointA],
      [2, s2, 'company-b', 'company-b', s2.stationId, pointB],
    ] as const) {
      const { start: st, end } = slot(s);
      await sql`INSERT INTO fed_tx_branches (tx_id, branch_id, peer, company_id, station_id, point_id, period, state, updated_at)
        VALUES (${txId}, ${String(i)}, ${peer}, ${company}, ${station}, ${point},
          tstzrange(${st}, ${end}), 'pending', ${now})`.execute(db(A));
    }
    // The tries landed at both participants before the coordinator died.
    const tryBody = (s: Answer['body'], pointId: number) => ({
      pointId,
      start: slot(s).start.toISOString().replace('.000Z', 'Z'),
      end: slot(s).end.toISOString().replace('.000Z', 'Z'),
      holdSeconds: 600,
      trip: { tripId: probe.body.id, stops: 2 },
    });
    // A's own stop: its participant in-process, the coordinator being A itself.
    const local = new FederationParticipant({
      db: db(A),
      clock,
      reservations: (A.central as Central).ev.reservations,
      maxHoldMinutes: 15,
      logger: pino({ level: 'silent' }),
    });
    const heldA = (await local.try(branchKey('company-a', txId, '1'), tryBody(s1, pointA))).branch
      .reservationId;
    expect(await live(A)).toContainEqual(expect.objectContaining({ id: heldA, state: 'PENDING' }));
    await (A.central as Central).close();
    const atB = await call(
      B,
      'PUT',
      `/federation/transactions/${txId}/branches/2`,
      tokens.bToA.token,
      tryBody(s2, pointB),
    );
    expect(atB.status, JSON.stringify(atB.body)).toBe(201);
    const heldB = atB.body.reservationId;
    clock.set(clock.now() + 10_000);
    await start(A);
    await expect
      .poll(
        async () =>
          (await call(A, 'GET', `/federation/transactions/${txId}`, A.admin.token)).body?.state,
        {
          timeout: 20_000,
        },
      )
      .toBe('canceled');
    for (const co of [A, B]) {
      const fence = await sql<{
        state: string;
      }>`SELECT state FROM fed_branches WHERE tx_id = ${txId}`.execute(db(co));
      expect(fence.rows.map((x) => x.state)).toEqual(['rolled_back']);
    }
    expect((await live(A)).map((x) => x.id)).not.toContain(heldA);
    expect((await live(B)).map((x) => x.id)).not.toContain(heldB);
  });
});
