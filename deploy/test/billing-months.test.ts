import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import {
  createManualClock,
  type Fleet,
  parseScenario,
  startFleet,
  TcpJsonMeterDevice,
} from '@gridlink/firmware-sim';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controlJson,
  type JobTask,
  requestJson,
  startCentralWithManualJobs,
} from './helpers/central-harness.js';

/**
 * Three months of billing from simulated meters, all real parts: the simulator's TCP JSON meters
 * (SEEDS E: cumulative kWh + the meter's own local datetime) driven by a manual clock → the
 * edge's tcp-json-meter driver → LevelDB log → MQTT → aedes in the central → PGlite → the
 * `billing.close-period` job, fired at the instant cron would fire it (the 1st, 03:00 local) →
 * invoices, read through the API, whose kWh equal the register differences the simulator served
 * at local midnight of each month boundary (America/Bahia, UTC−3).
 *
 * Why TCP JSON meters: the edge stamps Modbus readings with its own Date.now() (startEdge takes
 * no clock), so a manual clock cannot move Modbus readings through months. Push meters send
 * their own time, which the edge keeps: with the simulator's clock, that is simulated time.
 * The edge log drops pending readings older than maxAgeDays by the real clock, so the log's
 * age bound is widened for readings dated months before today.
 */
const EDGE = 'edge-billing';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 20:00 local on 31 May 2026; readings every 15 minutes land on each local midnight. */
const START = Date.parse('2026-05-31T23:00:00Z');
const MONTHS = ['2026-06', '2026-07', '2026-08'] as const;
const BOUNDARIES = ['2026-06-01', '2026-07-01', '2026-08-01', '2026-09-01'] as const;
/** Local midnight in Bahia (no DST since 2013). */
const midnight = (date: string) => Date.parse(`${date}T03:00:00Z`);
const PRICE_CENTAVOS_PER_KWH = 80n;

/** Wh of a kWh decimal text, half to even at the Wh (what the central does with a register). */
function wh(kwh: number): number {
  const [int, frac = ''] = String(kwh).split('.');
  const micro = BigInt(int as string) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
  const q = micro / 1000n;
  const r = micro % 1000n;
  return Number(r > 500n || (r === 500n && q % 2n === 1n) ? q + 1n : q);
}

/** Centavos for `w` Wh at R$ 0,80/kWh, rounded half to even (one line, no other charges). */
function centavos(w: number): number {
  const num = BigInt(w) * PRICE_CENTAVOS_PER_KWH;
  const q = num / 1000n;
  const r = num % 1000n;
  return Number(r > 500n || (r === 500n && q % 2n === 1n) ? q + 1n : q);
}

interface Truth {
  sent: number;
  skipped: number;
  lastSent: { consumption: number; datetime: string } | null;
}

describe('billing three simulated months end to end', () => {
  let dir: string;
  let central: Central;
  let edge: EdgeAgent;
  let fleet: Fleet;
  let admin: string;
  const clock = createManualClock(START);
  let jobs: Map<string, JobTask>;
  /** Simulator device id → edge device id (the edge hands out meter ids on `{"id":0}`). */
  const edgeDevice = new Map<string, string>();
  const edgeMeterIds = [101, 102, 103];

  const api = (method: string, path: string, body?: unknown) =>
    requestJson(`${central.http.url}/api/v1`, method, path, admin, body);
  const control = (method: string, path: string, body?: unknown) =>
    controlJson<Truth>(fleet.control?.url ?? '', method, path, body);
  const sims = () => [...edgeDevice.keys()];

  /** Moves simulated time forward in whole days (the meters send every reading that falls due). */
  const advanceTo = (ms: number) => {
    while (clock.now() < ms) {
      clock.advance(Math.min(DAY, ms - clock.now()));
      fleet.tick();
    }
  };

  /** Waits, on the edge's acks, until the central stores every reading each meter has sent. */
  const untilDelivered = async () => {
    const sent = new Map<string, number>();
    for (const id of sims())
      sent.set(edgeDevice.get(id) as string, (await control('GET', `/devices/${id}/truth`)).sent);
    for (;;) {
      let onAck = () => {};
      const acked = new Promise<void>((r) => {
        onAck = r;
        edge.uplink.once('ack', onAck);
      });
      const { rows } = await sql<{ device_id: string; n: string }>`
        SELECT m.device_id, count(*)::text AS n FROM readings r JOIN meters m ON m.id = r.meter_id
        WHERE m.edge_id = ${EDGE} GROUP BY m.device_id`.execute(central.database.db);
      const stored = new Map(rows.map((r) => [r.device_id, Number(r.n)]));
      if ([...sent].every(([dev, n]) => stored.get(dev) === n)) {
        edge.uplink.off('ack', onAck);
        return;
      }
      await acked;
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-billing-'));
    const silent = pino({ level: 'silent' });
    ({ central, jobs, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));

    // The edge is registered, and the customers created and bound, through the API.
    const cred = await api('PUT', `/edges/${EDGE}/credential`);
    expect(cred.status).toBe(200);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        uplink: { maxDelayMs: 20, maxReadings: 500 },
        log: { maxAgeDays: 3650 },
        tcpJson: { host: '127.0.0.1', port: 0, localTimeOffsetMinutes: -180 },
        devices: edgeMeterIds.map((meterId) => ({
          id: `json-${meterId}`,
          driver: 'tcp-json-meter' as const,
          meterId,
        })),
      },
      { logger: silent },
    );
    const listener = edge.drivers.find((d) => d.name === 'tcp-json-meter');
    const port = listener && 'port' in listener ? (listener.port as () => number)() : 0;
    expect(port).toBeGreaterThan(0);

    fleet = await startFleet(
      parseScenario({
        seed: 11,
        // The timer only re-advances to the manual clock's now; the test ticks explicitly.
        tickMs: 3_600_000,
        control: { port: 0 },
        tcpJsonMeters: {
          count: 3,
          target: { host: '127.0.0.1', port },
          // Each meter says its configured id: a {"id":0} no configured meter unambiguously is
          // gets a fresh pending id (the identity rule, docs/PROVISIONING.md).
          ids: edgeMeterIds,
          intervalMs: 15 * 60_000,
          rateKW: 0.6,
        },
      }),
      { clock, logger: silent },
    );
    for (const d of fleet.devices.values()) {
      if (!(d instanceof TcpJsonMeterDevice)) continue;
      edgeDevice.set(d.deviceId, `json-${await d.ready()}`);
    }
    expect(edgeDevice.size).toBe(3);
  });

  afterAll(async () => {
    await fleet?.close();
    await edge?.close().catch(() => undefined);
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('each month is invoiced with the kWh the registers advanced between local midnights', async () => {
    const [m1, m2, m3] = sims() as [string, string, string];
    const customers: number[] = [];
    for (const [document, name] of [
      ['529.982.247-25', 'Ana'],
      ['111.444.777-35', 'Bia'],
    ] as const) {
      const c = await api('POST', '/customers', {
        document,
        name,
        connection: 'single-phase',
        tariff: {
          id: 'b1-flat',
          energy: { model: 'flat', pricePerKwh: '0.80' },
          minimumAvailabilityKwh: false,
        },
      });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      customers.push(c.body.id);
    }
    const owner = new Map([
      [m1, customers[0]],
      [m2, customers[0]],
      [m3, customers[1]],
    ]);
    const meterId = new Map<string, number>();
    for (const [sim, customer] of owner) {
      const b = await api('POST', `/customers/${customer}/meters`, {
        edgeId: EDGE,
        deviceId: edgeDevice.get(sim),
      });
      expect(b.status, JSON.stringify(b.body)).toBe(200);
      meterId.set(sim, b.body.id);
    }

    /** The register each meter served at local midnight of each boundary, in Wh. */
    const register = new Map<string, number[]>(sims().map((s) => [s, []]));
    const recordBoundary = async (date: string) => {
      for (const s of sims()) {
        const t = await control('GET', `/devices/${s}/truth`);
        // The reading due at local midnight was sent, with the meter's local datetime.
        expect(t.lastSent?.datetime).toBe(`${date} 00:00:00`);
        register.get(s)?.push(wh(t.lastSent?.consumption as number));
      }
    };

    advanceTo(midnight(BOUNDARIES[0]));
    await recordBoundary(BOUNDARIES[0]);
    for (const [i, month] of MONTHS.entries()) {
      // Load changes mid-month through the simulator's control API, and one meter goes silent
      // for a day in July (its next reading carries the energy).
      advanceTo(midnight(`${month}-15`) + 9.5 * HOUR);
      await control('PUT', `/devices/${m1}/rate`, { raise: 1.5 });
      await control('PUT', `/devices/${m3}/rate`, { lower: 2 });
      if (month === '2026-07') {
        await control('PUT', `/devices/${m2}/fault`, { mode: 'no-reply' });
        advanceTo(clock.now() + DAY);
        await control('DELETE', `/devices/${m2}/fault`);
      }
      const boundary = BOUNDARIES[i + 1] as string;
      advanceTo(midnight(boundary));
      await recordBoundary(boundary);
      // Cron fires the close on the 1st at 03:00 local; by then the edge has delivered.
      advanceTo(midnight(boundary) + 3 * HOUR);
      await untilDelivered();
      const at = new Date(midnight(boundary) + 3 * HOUR);
      await jobs.get('metering.rollup')?.(at);
      await jobs.get('billing.close-period')?.(at);
    }
    expect((await control('GET', `/devices/${m2}/truth`)).skipped).toBe(96);

    const { rows: runs } = await sql<{ result: unknown }>`
      SELECT result FROM job_runs WHERE job = 'billing.close-period' ORDER BY slot`.execute(
      central.database.db,
    );
    // Each run closes every due period up to the month before it (docs/JOBS.md): here one each.
    expect(runs.map((r) => r.result)).toEqual(
      MONTHS.map((period) => ({ closed: [{ period, issued: 3 }], pending: [] })),
    );

    for (const [i, month] of MONTHS.entries()) {
      const list = await api('GET', `/invoices?period=${month}`);
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(3);
      for (const s of sims()) {
        const regs = register.get(s) as number[];
        const truthWh = (regs[i + 1] as number) - (regs[i] as number);
        expect(truthWh).toBeGreaterThan(20_000); // a month of a household, not noise
        const invoice = list.body.items.find(
          (x: { meterId: number }) => x.meterId === meterId.get(s),
        );
        expect(invoice, `${s} ${month}`).toMatchObject({
          customerId: owner.get(s),
          period: { start: `${month}-01`, end: BOUNDARIES[i + 1], timeZone: 'America/Bahia' },
          consumptionKwh: (truthWh / 1000).toFixed(3),
          billedKwh: (truthWh / 1000).toFixed(3),
          totalCentavos: centavos(truthWh),
        });
      }
    }

    // Re-running the close (the admin API, on the real clock) issues nothing new.
    const again = await api('POST', '/billing/close', { period: MONTHS[2] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ issued: [], existing: 3, skipped: [] });
  }, 85_000);
});
