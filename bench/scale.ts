/**
 * Scale-out (issue #21, item 2's bench): N = 1, 2, 3 `gridlink-central` processes (compiled
 * build) in external-broker mode on one real Mosquitto (the shipped config and an ACL generated
 * for these principals, `$share/gridlink/…`) and one PostgreSQL database (a fresh one per N).
 * For each N, two phases, one after the other:
 *  - ingest: EDGES edges forward a backlog of READINGS readings in all (real LevelDB logs,
 *    mqtt.js, Uplinks) until every one is acknowledged; the rows are counted after;
 *  - bookings: CLIENTS HTTP clients, client c bound to central c mod N, book BOOKINGS distinct
 *    (point, 15-minute slot) pairs through POST /api/v1/reservations with an admin token;
 *  - cars: CARS cars (own MQTT credentials) publish REPORTS_PER_CAR battery reports each, until
 *    every one is a stored history row.
 * Each phase is measured after a warm-up pass of the same kind (WARMUP_SHARE of its load, not
 * measured): every central has then taken each edge's stream once (its decode thread writes COPY
 * rows only for a stream it has stored before) and run its code paths hot, so the figures are the
 * steady state's, not N instances' start-up counted N times over a few seconds of load.
 * Measured per phase: the rate end to end, the CPU seconds of each central process, of Mosquitto
 * and of the PostgreSQL backends of the database (/proc/<pid>/stat, all threads), each central's
 * share of the readings (its gridlink_ingest_readings_total) and of the bookings, and of the
 * centrals' CPU. Baseline: N = 1, measured in the same run.
 *
 * This machine has 2 cores shared by PostgreSQL, Mosquitto, the centrals and the load: throughput
 * cannot grow with N here. What it shows is the CPU one reading or one booking costs at each N
 * (goal ≤ 1.15× N = 1) and how evenly the broker and the clients spread the work (each central
 * within 15 % of its share). GRIDLINK_BENCH_SCALE_N=1,3 runs fewer sizes; _READINGS, _BOOKINGS
 * change the load.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken, openDatabase, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { renderMosquittoAcl } from '@gridlink/central/mqtt-policy';
import { postgresReachable, scratchPostgres } from '@gridlink/central/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { mosquittoInstalled, startMosquitto } from '../deploy/test/helpers/mosquitto.js';
import type { Benchmark, Figure } from './lib/figure.js';
import { ADMIN_PG_URL } from './lib/history-store.js';
import { type ScaleCentral, startScaleCentral } from './lib/scale-central.js';
import { backendCpu, backendDelta, cpuSeconds, walBytes } from './lib/scale-cpu.js';
import {
  book,
  buildBacklogs,
  type EdgeLoad,
  forwardBacklogs,
  reportCars,
} from './lib/scale-load.js';

const FEIRA = fileURLToPath(
  new URL('../deploy/demo/seed/feira_de_santana_stations.csv', import.meta.url),
);
const SIZES = (process.env.GRIDLINK_BENCH_SCALE_N ?? '1,2,3').split(',').map(Number);
const READINGS = Number(process.env.GRIDLINK_BENCH_SCALE_READINGS ?? 450_000);
const BOOKINGS = Number(process.env.GRIDLINK_BENCH_SCALE_BOOKINGS ?? 2_700);
const EDGES = 20;
const CARS = 60;
const REPORTS_PER_CAR = Number(process.env.GRIDLINK_BENCH_SCALE_CAR_REPORTS ?? 150);
const PLATES = Array.from({ length: CARS }, (_, i) => `SCA${1001 + i}`);
/** Divisible by 1, 2 and 3: every central gets the same number of clients. */
const CLIENTS = 12;
const SERVICES = ['gridlink-central-1', 'gridlink-central-2', 'gridlink-central-3'];
const EDGE_IDS = Array.from(
  { length: EDGES },
  (_, i) => `scale-e${String(i + 1).padStart(2, '0')}`,
);

interface Phase {
  /** From the start to the last unit answered (the rate's time). */
  seconds: number;
  /** From the start until the centrals were back near idle (the CPU's window). */
  cpuSeconds: number;
  units: number;
  /** CPU seconds of each central. */
  central: number[];
  mosquitto: number;
  postgres: number;
  /** The units each central handled. */
  shares: number[];
}

/** CPU seconds the centrals spend per second doing nothing asked (timers, monitors, job polls). */
const IDLE_WINDOW_MS = 6_000;
/** Each phase's warm-up pass, as a share of its measured load. */
const WARMUP_SHARE = 0.2;

interface SizeResult {
  n: number;
  ingest: Phase;
  bookings: Phase;
  cars: Phase;
  /** All centrals together, CPU seconds per second while no load runs. */
  idle: number;
  gaps: number;
  duplicates: number;
  /** Batches that waited for a predecessor at another central (then stored, or refused). */
  gapWaits: number;
  /** Ingest transactions: batches stored less those stored in an earlier one's transaction. */
  transactions: number;
  readingBytes: number;
  reservationBytes: number;
  carReportBytes: number;
  walPerReading: number;
}

/** The worst distance of any share from 1/N, in % of 1/N. */
const worstDeviation = (parts: number[]) => {
  const total = parts.reduce((a, b) => a + b, 0);
  const fair = total / parts.length;
  return Math.max(...parts.map((p) => Math.abs(p - fair) / fair)) * 100;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const µs = (seconds: number, units: number) => Number(((seconds / units) * 1e6).toFixed(1));

const bench: Benchmark = async ({ log }) => {
  if (!mosquittoInstalled || !(await postgresReachable(ADMIN_PG_URL))) {
    const why = 'the scale bench needs mosquitto and PostgreSQL';
    if (process.env.CI === 'true') throw new Error(`${why} under CI=true`);
    log(`SKIPPED: ${why} (install mosquitto; PostgreSQL at ${ADMIN_PG_URL})`);
    return [];
  }
  const secrets = Object.fromEntries(
    [...SERVICES, ...EDGE_IDS, ...PLATES.map((p) => `car@${p}`)].map((u) => [
      u,
      randomBytes(18).toString('base64url'),
    ]),
  );
  const acl = renderMosquittoAcl({
    services: SERVICES,
    shareGroup: 'gridlink',
    credentials: PLATES.map((name) => ({ kind: 'car' as const, name })),
  });
  const broker = await startMosquitto(secrets, SERVICES[0] as string, { acl });
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-scale-'));
  const results: SizeResult[] = [];
  try {
    for (const [round, n] of SIZES.entries())
      results.push(await runSize(n, round, dir, broker, secrets, log));
  } finally {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return figures(results);
};
export default bench;

async function runSize(
  n: number,
  round: number,
  root: string,
  broker: { url: string; pid: number },
  secrets: Record<string, string>,
  log: (line: string) => void,
): Promise<SizeResult> {
  const dir = join(root, `n${n}-${round}`);
  await mkdir(dir, { recursive: true });
  const pg = await scratchPostgres('gl_bench_scale', ADMIN_PG_URL);
  const database = await openDatabase({ kind: 'postgres', url: pg.url });
  const db = database.db;
  const centrals: ScaleCentral[] = [];
  try {
    // What an operator sets up first, through one in-process central (migrations, no jobs): the
    // Feira de Santana network and the edges.
    const token = await mintToken(db, { role: 'admin' });
    const setup = await startCentral(
      {
        dataDir: join(dir, 'setup'),
        databaseUrl: pg.url,
        http: { port: 0, host: '127.0.0.1' },
        mqtt: { mode: 'embedded', port: 0, host: '127.0.0.1' },
        log: { level: 'silent' },
      },
      { logger: pino({ level: 'silent' }), scheduler: false },
    );
    try {
      const imported = await fetch(
        `${setup.http.url}/api/v1/companies/feira/imports?format=feira&name=Feira&connector=ccs2:50000`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv; charset=utf-8' },
          body: readFileSync(FEIRA, 'utf8'),
        },
      );
      if (imported.status !== 200) throw new Error(`import: ${imported.status}`);
      for (const edgeId of EDGE_IDS) await upsertEdgeCredential(setup.database.db, edgeId);
    } finally {
      await setup.close();
    }
    const points = (
      await sql<{ id: string }>`SELECT id FROM ev_points ORDER BY id`.execute(db)
    ).rows.map((r) => Number(r.id));

    for (let i = 0; i < n; i++)
      centrals.push(
        await startScaleCentral({
          name: `central-${i + 1}`,
          dir,
          databaseUrl: pg.url,
          brokerUrl: broker.url,
          username: SERVICES[i] as string,
          password: secrets[SERVICES[i] as string] as string,
          token,
        }),
      );

    /**
     * The figures at a phase's start or end. The bench's own requests (each central's /metrics
     * scrape, the backends' CPU query) fall outside the phase: at its start they are made before
     * the CPU is read, at its end after. A scrape costs a central some CPU, N scrapes a phase.
     */
    const snapshot = async (at: 'start' | 'end' = 'end') => {
      const early =
        at === 'start'
          ? {
              metrics: await Promise.all(centrals.map((c) => c.metrics())),
              wal: await walBytes(db),
              backends: await backendCpu(db, pg.name),
            }
          : undefined;
      const cpu = {
        at: performance.now(),
        central: centrals.map((c) => cpuSeconds(c.pid) as number),
        mosquitto: cpuSeconds(broker.pid) as number,
      };
      return {
        ...cpu,
        backends: early?.backends ?? (await backendCpu(db, pg.name)),
        metrics: early?.metrics ?? (await Promise.all(centrals.map((c) => c.metrics()))),
        wal: early?.wal ?? (await walBytes(db)),
      };
    };
    type Snapshot = Awaited<ReturnType<typeof snapshot>>;
    const phase = (a: Snapshot, b: Snapshot, units: number, shares: number[]): Phase => ({
      seconds: (b.at - a.at) / 1000,
      cpuSeconds: (b.at - a.at) / 1000,
      units,
      central: b.central.map((s, i) => s - (a.central[i] as number)),
      mosquitto: b.mosquitto - a.mosquitto,
      postgres: backendDelta(a.backends, b.backends),
      shares,
    });

    // Idle: what N centrals cost with nothing to do, once started (the load pays it for its length).
    // First the quietest half second of IDLE_WINDOW_MS, the floor (the start's own work,
    // availability published for every point and the first job polls, is above it); then, once
    // the centrals are down to it, the mean over IDLE_WINDOW_MS: their timers (job leases, the
    // live reconcile) tick now and then, and a phase pays for the ticks that fall in it.
    const centralCpu = () => sum(centrals.map((c) => cpuSeconds(c.pid) as number));
    let floor = Number.POSITIVE_INFINITY;
    for (let t = 0; t < IDLE_WINDOW_MS; t += 500) {
      const before = centralCpu();
      await new Promise<void>((r) => setTimeout(r, 500));
      floor = Math.min(floor, (centralCpu() - before) / 0.5);
    }
    /**
     * After the load has been answered the centrals still work for a while (what a commit sets
     * off, garbage collection): wait until they are back near idle, so the phase's CPU has all of it.
     */
    const settled = async () => {
      for (let i = 0; i < 30; i++) {
        const before = centralCpu();
        await new Promise<void>((r) => setTimeout(r, 500));
        if ((centralCpu() - before) / 0.5 <= floor * 1.5 + 0.02) return;
      }
    };
    await settled();
    const idleFrom = centralCpu();
    await new Promise<void>((r) => setTimeout(r, IDLE_WINDOW_MS));
    const idle = (centralCpu() - idleFrom) / (IDLE_WINDOW_MS / 1000);

    // Ingest.
    const load: EdgeLoad = {
      edgeIds: EDGE_IDS,
      readingsPerEdge: Math.ceil(READINGS / EDGES),
      batch: 500,
      window: 8,
    };
    const warm: EdgeLoad = {
      ...load,
      readingsPerEdge: Math.ceil(load.readingsPerEdge * WARMUP_SHARE),
    };
    const total = load.readingsPerEdge * EDGES;
    const warmTotal = warm.readingsPerEdge * EDGES;
    // Two hours ago, 1 ms apart: inside the reading window and this month's partition (or the
    // last one's, in the first hours of a month). The warm-up's readings first, then the measured.
    const t0 = Date.now() - 2 * 3_600_000;
    await buildBacklogs(dir, warm, t0 - warm.readingsPerEdge - 1);
    await forwardBacklogs(dir, warm, broker.url, secrets);
    await settled();
    await buildBacklogs(dir, load, t0);
    const i0 = await snapshot('start');
    await forwardBacklogs(dir, load, broker.url, secrets);
    const ingestSeconds = (performance.now() - i0.at) / 1000;
    await settled();
    const i1 = await snapshot();
    const stored = Number(
      (await sql<{ c: string }>`SELECT count(*)::text AS c FROM readings`.execute(db)).rows[0]?.c,
    );
    if (stored !== warmTotal + total)
      throw new Error(`N=${n}: ${stored} readings stored of ${warmTotal} + ${total}`);
    const ingest = {
      ...phase(
        i0,
        i1,
        total,
        i1.metrics.map((m, i) => m.readings - (i0.metrics[i]?.readings ?? 0)),
      ),
      seconds: ingestSeconds,
    };
    const outcome = (k: string) =>
      sum(i1.metrics.map((m, i) => (m.batches[k] ?? 0) - (i0.metrics[i]?.batches[k] ?? 0)));

    // Bookings: a day of its own per round, tomorrow onwards (within the 30-day horizon).
    const day = (Math.floor(Date.now() / 86_400_000) + 1 + round) * 86_400_000;
    // Warm-up bookings on a day of their own, further out (the horizon is 30 days; rounds ≤ 3).
    const warmBooked = sum(
      await book(
        centrals.map((c) => c.httpUrl),
        {
          clients: CLIENTS,
          perClient: Math.ceil((BOOKINGS * WARMUP_SHARE) / CLIENTS),
          points,
          day: day + 20 * 86_400_000,
          token,
        },
      ),
    );
    await settled();
    const b0 = await snapshot('start');
    const perCentral = await book(
      centrals.map((c) => c.httpUrl),
      { clients: CLIENTS, perClient: Math.ceil(BOOKINGS / CLIENTS), points, day, token },
    );
    const bookingSeconds = (performance.now() - b0.at) / 1000;
    await settled();
    const b1 = await snapshot();
    const booked = Number(
      (await sql<{ c: string }>`SELECT count(*)::text AS c FROM ev_reservations`.execute(db))
        .rows[0]?.c,
    );
    if (booked !== warmBooked + sum(perCentral))
      throw new Error(
        `N=${n}: ${booked} reservations stored, ${warmBooked} + ${sum(perCentral)} answered 201`,
      );
    const bookings = { ...phase(b0, b1, sum(perCentral), perCentral), seconds: bookingSeconds };

    // Cars: battery reports over MQTT, each a history row (unknown plates register themselves).
    const carRows = async () =>
      Number(
        (await sql<{ c: string }>`SELECT count(*)::text AS c FROM ev_car_states`.execute(db))
          .rows[0]?.c,
      );
    const carsStored = async (rows: number) => {
      const deadline = Date.now() + 120_000;
      while ((await carRows()) < rows) {
        if (Date.now() > deadline)
          throw new Error(`N=${n}: ${await carRows()} car reports stored of ${rows}`);
        await new Promise<void>((r) => setTimeout(r, 100));
      }
    };
    const warmReports = Math.ceil(REPORTS_PER_CAR * WARMUP_SHARE);
    await reportCars(broker.url, PLATES, secrets, warmReports);
    await carsStored(CARS * warmReports);
    await settled();
    const c0 = await snapshot('start');
    await reportCars(broker.url, PLATES, secrets, REPORTS_PER_CAR);
    await carsStored(CARS * (warmReports + REPORTS_PER_CAR));
    const carSeconds = (performance.now() - c0.at) / 1000;
    await settled();
    const c1 = await snapshot();
    const cars = {
      ...phase(c0, c1, (await carRows()) - CARS * warmReports, []),
      seconds: carSeconds,
    };

    // Bytes per row: every partition of readings (the parent holds none), indexes and TOAST.
    const size = async (table: string) =>
      Number(
        (
          await sql<{ b: string }>`
            SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::text AS b
            FROM pg_partition_tree(${table}::regclass)
          `.execute(db)
        ).rows[0]?.b,
      );
    const tableBytes = async (...tables: string[]) => {
      let bytes = 0;
      for (const t of tables)
        bytes += Number(
          (
            await sql<{
              b: string;
            }>`SELECT pg_total_relation_size(${t}::regclass)::text AS b`.execute(db)
          ).rows[0]?.b,
        );
      return bytes;
    };
    const result: SizeResult = {
      n,
      ingest,
      bookings,
      cars,
      idle,
      gaps: outcome('gap'),
      duplicates: outcome('duplicate'),
      gapWaits: sum(i1.metrics.map((m, i) => m.gapWaits - (i0.metrics[i]?.gapWaits ?? 0))),
      transactions:
        outcome('stored') -
        sum(i1.metrics.map((m, i) => m.coalesced - (i0.metrics[i]?.coalesced ?? 0))),
      readingBytes: (await size('readings')) / (warmTotal + total),
      carReportBytes: (await tableBytes('ev_car_states')) / (await carRows()),
      reservationBytes:
        (await tableBytes('ev_reservations', 'ev_reservation_transitions')) / booked,
      walPerReading: (i1.wal - i0.wal) / total,
    };
    log(
      `N=${n}: ingest ${total} in ${ingest.seconds.toFixed(1)} s, central CPU ${ingest.central.map((s) => s.toFixed(2)).join('+')} s, ` +
        `Mosquitto ${ingest.mosquitto.toFixed(2)} s, PostgreSQL ${ingest.postgres.toFixed(2)} s, readings per central ${ingest.shares.join('/')}, ` +
        `batches gap ${result.gaps} duplicate ${result.duplicates} waited ${result.gapWaits}, ` +
        `transactions ${result.transactions}; bookings ${booked} in ${bookings.seconds.toFixed(1)} s, ` +
        `central CPU ${bookings.central.map((s) => s.toFixed(2)).join('+')} s (idle ${idle.toFixed(3)} s/s), PostgreSQL ${bookings.postgres.toFixed(2)} s; ` +
        `car reports ${cars.units} in ${cars.seconds.toFixed(1)} s, central CPU ${cars.central.map((s) => s.toFixed(2)).join('+')} s, Mosquitto ${cars.mosquitto.toFixed(2)} s, PostgreSQL ${cars.postgres.toFixed(2)} s; ` +
        `load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
    );
    return result;
  } finally {
    await Promise.all(centrals.map((c) => c.stop()));
    await database.close();
    await pg.drop();
  }
}

function figures(results: SizeResult[]): Figure[] {
  const base = results.find((r) => r.n === 1) ?? results[0];
  if (!base) return [];
  const out: Figure[] = [];
  const add = (metric: string, value: number, unit: string, baseline?: number) =>
    out.push({ metric, value: Number(value.toFixed(1)), unit, ...(baseline ? { baseline } : {}) });
  const perReading = (r: SizeResult) => µs(sum(r.ingest.central), r.ingest.units);
  const perBooking = (r: SizeResult) => µs(sum(r.bookings.central), r.bookings.units);
  const perReadingNet = (r: SizeResult) =>
    µs(sum(r.ingest.central) - r.idle * r.ingest.cpuSeconds, r.ingest.units);
  /** Less what the centrals spend idle over the phase's length: the booking's own cost. */
  const perBookingNet = (r: SizeResult) =>
    µs(sum(r.bookings.central) - r.idle * r.bookings.cpuSeconds, r.bookings.units);
  for (const r of results) {
    const b = r === base ? undefined : base;
    add(
      `readings/s, N=${r.n}`,
      r.ingest.units / r.ingest.seconds,
      'readings/s',
      b && b.ingest.units / b.ingest.seconds,
    );
    add(
      `bookings/s, N=${r.n}`,
      r.bookings.units / r.bookings.seconds,
      'bookings/s',
      b && b.bookings.units / b.bookings.seconds,
    );
    add(`central CPU per reading, N=${r.n}`, perReading(r), 'µs', b && perReading(b));
    add(
      `central CPU per reading less idle, N=${r.n}`,
      perReadingNet(r),
      'µs',
      b && perReadingNet(b),
    );
    add(`central CPU per booking, N=${r.n}`, perBooking(r), 'µs', b && perBooking(b));
    add(
      `central CPU per booking less idle, N=${r.n}`,
      perBookingNet(r),
      'µs',
      b && perBookingNet(b),
    );
    add(`centrals' idle CPU, N=${r.n}`, r.idle * 100, '% of a core', b && b.idle * 100);
    add(
      `Mosquitto CPU per reading, N=${r.n}`,
      µs(r.ingest.mosquitto, r.ingest.units),
      'µs',
      b && µs(b.ingest.mosquitto, b.ingest.units),
    );
    add(
      `PostgreSQL CPU per reading, N=${r.n}`,
      µs(r.ingest.postgres, r.ingest.units),
      'µs',
      b && µs(b.ingest.postgres, b.ingest.units),
    );
    add(
      `PostgreSQL CPU per booking, N=${r.n}`,
      µs(r.bookings.postgres, r.bookings.units),
      'µs',
      b && µs(b.bookings.postgres, b.bookings.units),
    );
    add(
      `car reports/s, N=${r.n}`,
      r.cars.units / r.cars.seconds,
      'reports/s',
      b && b.cars.units / b.cars.seconds,
    );
    add(
      `central CPU per car report, N=${r.n}`,
      µs(sum(r.cars.central), r.cars.units),
      'µs',
      b && µs(sum(b.cars.central), b.cars.units),
    );
    add(
      `central CPU per car report less idle, N=${r.n}`,
      µs(sum(r.cars.central) - r.idle * r.cars.cpuSeconds, r.cars.units),
      'µs',
      b && µs(sum(b.cars.central) - b.idle * b.cars.cpuSeconds, b.cars.units),
    );
    add(
      `PostgreSQL CPU per car report, N=${r.n}`,
      µs(r.cars.postgres, r.cars.units),
      'µs',
      b && µs(b.cars.postgres, b.cars.units),
    );
    add(
      `Mosquitto CPU per car report, N=${r.n}`,
      µs(r.cars.mosquitto, r.cars.units),
      'µs',
      b && µs(b.cars.mosquitto, b.cars.units),
    );
    if (r.n > 1)
      add(`car CPU share, worst deviation from 1/N, N=${r.n}`, worstDeviation(r.cars.central), '%');
    add(`gap batches (a later batch at another central first), N=${r.n}`, r.gaps, 'batches');
    if (r.n > 1) {
      add(
        `readings share, worst deviation from 1/N, N=${r.n}`,
        worstDeviation(r.ingest.shares),
        '%',
      );
      add(
        `bookings share, worst deviation from 1/N, N=${r.n}`,
        worstDeviation(r.bookings.shares),
        '%',
      );
      add(
        `ingest CPU share, worst deviation from 1/N, N=${r.n}`,
        worstDeviation(r.ingest.central),
        '%',
      );
      add(
        `booking CPU share, worst deviation from 1/N, N=${r.n}`,
        worstDeviation(r.bookings.central),
        '%',
      );
    }
  }
  add('readings bytes per row (table + indexes), N=1 run', base.readingBytes, 'bytes');
  add(
    'reservations bytes per booking (table + transitions + indexes), N=1 run',
    base.reservationBytes,
    'bytes',
  );
  add('car report bytes per row (table + indexes), N=1 run', base.carReportBytes, 'bytes');
  add('WAL per reading (cluster-wide: an upper bound), N=1 run', base.walPerReading, 'bytes');
  return out;
}
