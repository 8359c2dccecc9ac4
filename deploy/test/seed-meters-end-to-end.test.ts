import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { TcpJsonMeterDevice, UdpMeterDevice } from '@gridlink/firmware-sim';
import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobTask, requestJson } from './helpers/central-harness.js';

/**
 * Issue #19 "Done when", for both seed metering systems, with every part real: the simulator's
 * seed D meters (UDP datagrams of interval kWh: one CSV with a local wall-clock time, one in the
 * seed's JSON names with a `time.time()` float; both numbered 1, for two customers) and a seed E
 * meter (TCP, bare JSON objects without newline, cumulative kWh) → a real edge (listeners, pending
 * devices, LevelDB log) → MQTT → a real central on PGlite → the HTTP API. One FakeClock drives
 * meters, edge and central through November 2026 (America/Bahia, UTC−3), a reading every 6 h.
 *
 * Customers are created over HTTP with the seeds' flat tariffs and limits (docs/ALARMS.md "The
 * seeds' consumption alerts"): seed D R$ 1,07/kWh, monthlyLimitKwh 1000 and
 * alarms.excess.singleReadingKwh 1000; seed E R$ 0,40/kWh, monthlyLimitKwh 299.999 (≥ 300 kWh).
 * One seed D meter is bound from the edge's pending list over HTTP, the others pre-provisioned.
 *
 * Per meter (n = 1..120 readings, at T0 + 6 h·n; n = 120 is 1 Dec 00:00 local, closing 30 Nov):
 *   D-A (Ana, CSV, wall time)        9.258 kWh each → 1110.960 kWh; the month's sum passes 1000
 *                                    at n = 109 (999.864 at n = 108): consumption.limit, no excess
 *   D-C (Caio, seed JSON, float ts)  1.5 kWh each, 1203 kWh at n = 60 (a single reading > 1000:
 *                                    consumption.excess) → 1381.500 kWh
 *   E   (Edu, id 7, no newline)      register 1234.567 + 3·n kWh → the month's increase (from its
 *                                    first reading, n = 1) 357 kWh; exactly 300.000 at n = 101
 * Invoices, half to even once (docs/BILLING.md): 1110.960 × 1,07 = 1188,7272 → R$ 1.188,73;
 * 1381.500 × 1,07 = 1478,205 → R$ 1.478,20 (a tie, to the even centavo); 357 × 0,40 = R$ 142,80.
 */
const EDGE = 'edge-seeds';
const HOUR = 3_600_000;
const STEP = 6 * HOUR;
/** 1 Nov 2026 00:00 local (Bahia, UTC−3, no DST). */
const T0 = Date.parse('2026-11-01T03:00:00Z');
const STEPS = 120;
const CPF_A = '52998224725';
const CPF_C = '39053344705';
const CPF_E = '11144477735';
const E_ID = 7;
const silent = pino({ level: 'silent' });

/** Wh of a kWh decimal text (the central reads it exactly; these values are whole Wh). */
function wh(kwh: string): number {
  const [int, frac = ''] = kwh.split('.');
  const micro = BigInt(int as string) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
  expect(micro % 1000n, kwh).toBe(0n);
  return Number(micro / 1000n);
}

/** Centavos for `w` Wh at `centavosPerKwh`, rounded half to even (one line, no other charges). */
function centavos(w: number, centavosPerKwh: bigint): number {
  const num = BigInt(w) * centavosPerKwh;
  const q = num / 1000n;
  const r = num % 1000n;
  return Number(r > 500n || (r === 500n && q % 2n === 1n) ? q + 1n : q);
}

/** The local (Bahia) date of an instant. */
const localDay = (ms: number) => new Date(ms - 3 * HOUR).toISOString().slice(0, 10);

interface Sent {
  ts: number;
  text: string;
}

describe('seed D and E meters end to end: readings, history, invoice and alarms', () => {
  const clock = new FakeClock(T0);
  let dir: string;
  let central: Central;
  let edge: EdgeAgent;
  let admin: string;
  let operator: string;
  const jobs = new Map<string, JobTask>();
  let dA: UdpMeterDevice;
  let dC: UdpMeterDevice;
  let e: TcpJsonMeterDevice;
  const customers: Record<'A' | 'C' | 'E', number> = { A: 0, C: 0, E: 0 };
  const meterIds: Record<'A' | 'C' | 'E', number> = { A: 0, C: 0, E: 0 };
  const sent: Record<'A' | 'C' | 'E', Sent[]> = { A: [], C: [], E: [] };

  const api = (method: string, path: string, body?: unknown, token = operator) =>
    requestJson(central.http.url, method, `/api/v1${path}`, token, body);
  const portOf = (name: string) =>
    (edge.drivers.find((d) => d.name === name) as unknown as { port(): number }).port();
  const applied = async (version: number) =>
    expect
      .poll(
        async () => (await api('GET', `/edges/${EDGE}/config`, undefined, admin)).body.applied,
        {
          timeout: 30_000,
        },
      )
      .toMatchObject({ version, ok: true });
  const alarmsOf = async (who: 'A' | 'C' | 'E') => {
    const r = await api('GET', `/alarms?customerId=${customers[who]}`);
    expect(r.status).toBe(200);
    return r.body.items as Array<{ type: string; source: string; details: unknown }>;
  };
  const typesOf = async (who: 'A' | 'C' | 'E') =>
    (await alarmsOf(who))
      .map((a) => a.type)
      .filter((t) => t.startsWith('consumption.'))
      .sort();
  /** The minute's alarm sweep, fired at the clock's instant as cron would (it rolls up first). */
  const sweep = async () => {
    await jobs.get('alarms.sweep')?.(new Date(clock.now()));
  };

  /** One step: 6 h on the clock, each meter sends its reading, the edge delivers all of them. */
  const step = async (n: number) => {
    clock.advance(STEP);
    const at = clock.now();
    for (const m of [dA, dC, e]) m.advance(at);
    for (const [who, m] of [
      ['A', dA],
      ['C', dC],
    ] as const) {
      const datagram = String(m.truth().lastSent);
      // CSV `cpf,1,valor,wall time`; seed JSON `{"id","id_medidor","valor","timestamp"}`.
      const valor =
        who === 'A' ? (datagram.split(',')[2] as string) : /"valor":([0-9.]+)/.exec(datagram)?.[1];
      sent[who].push({ ts: at, text: valor as string });
      await expect.poll(() => m.truth().acked, { interval: 5 }).toBe(n);
    }
    const object = e.truth().lastSent as { consumption: number; datetime: string };
    expect(e.truth().sent).toBe(n);
    sent.E.push({ ts: at, text: object.consumption.toFixed(6) });
  };
  /** Until the central has acknowledged (stored) every reading the edge logged. */
  const delivered = async (readings: number) => {
    await expect
      .poll(() => edge.log.stats().ackedUpTo, { timeout: 30_000, interval: 5 })
      .toBe(readings);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-seed-meters-'));
    central = await startCentral(
      {
        dataDir: join(dir, 'central'),
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        // A reading every 6 h is no gap; seed D's single-reading rule as configured for it.
        metering: { intervalGapSeconds: 6 * 3600 },
        alarms: { excess: { singleReadingKwh: 1000 } },
      },
      {
        logger: silent,
        clock,
        // Cron jobs fired by the test at the instants cron would fire them.
        scheduler: {
          schedule(_expression, options, task) {
            jobs.set(options.name, task);
            return { stop: () => jobs.delete(options.name) };
          },
        },
      },
    );
    admin = await mintToken(central.database.db, { role: 'admin', now: new Date(T0) });
    const made = await api('POST', '/tokens', { role: 'operator', label: 'ops' }, admin);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    operator = made.body.token;
    const cred = await api('PUT', `/edges/${EDGE}/credential`, undefined, admin);
    expect(cred.status).toBe(200);

    const seedD = { id: 'seed-d', energy: { model: 'flat', pricePerKwh: '1.07' } };
    const seedE = { id: 'seed-e', energy: { model: 'flat', pricePerKwh: '0.40' } };
    for (const [who, document, name, tariff, monthlyLimitKwh] of [
      ['A', CPF_A, 'Ana', seedD, '1000'],
      ['C', CPF_C, 'Caio', seedD, '1000'],
      ['E', CPF_E, 'Edu', seedE, '299.999'],
    ] as const) {
      const c = await api('POST', '/customers', {
        document,
        name,
        monthlyLimitKwh,
        tariff: { ...tariff, minimumAvailabilityKwh: false },
      });
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      customers[who] = c.body.id;
    }

    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        timeZone: 'America/Bahia',
        // Pending meters are reported at once (the next turn); the status timer fires once a
        // step, so every step's readings follow a status through the central's ordered ingest.
        // (The 30 s default would publish 720 statuses at each 6 h step of the fake clock.)
        statusIntervalMs: STEP,
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        // A batch per step (the three meters' readings): sent when the third is logged, no
        // batching timer to step on the fake clock.
        uplink: { maxReadings: 3 },
        udp: { host: '127.0.0.1', port: 0, enabled: true },
        tcpJson: { host: '127.0.0.1', port: 0, enabled: true },
      },
      { logger: silent, clock },
    );
  }, 60_000);

  afterAll(async () => {
    await dA?.close();
    await dC?.close();
    await e?.close();
    await edge?.close().catch(() => undefined);
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a month of seed meters: exact readings and history, the billing job invoices, the alarms fire', async () => {
    // Caio's seed D meter 1 and Edu's seed E meter 7 are pre-provisioned before they speak.
    const pc = await api('POST', `/edges/${EDGE}/provisioned-meters`, {
      document: CPF_C,
      driver: 'udp-meter',
      meterId: '1',
      cpf: CPF_C,
    });
    expect(pc.status, JSON.stringify(pc.body)).toBe(202);
    meterIds.C = pc.body.meterId;
    const pe = await api('POST', `/edges/${EDGE}/provisioned-meters`, {
      customerId: customers.E,
      driver: 'tcp-json-meter',
      meterId: String(E_ID),
    });
    expect(pe.status, JSON.stringify(pe.body)).toBe(202);
    meterIds.E = pe.body.meterId;
    await applied(pe.body.configVersion);

    const udp = { host: '127.0.0.1', port: portOf('udp-meter') };
    dA = new UdpMeterDevice({
      deviceId: 'sim-d-ana',
      meterId: '1',
      cpf: CPF_A,
      target: udp,
      clock,
      intervalMs: STEP,
      rateKW: 1.543,
      format: 'csv',
      timestamp: 'wall',
      utcOffsetMinutes: -180,
    });
    dC = new UdpMeterDevice({
      deviceId: 'sim-d-caio',
      meterId: '1',
      cpf: CPF_C,
      target: udp,
      clock,
      intervalMs: STEP,
      rateKW: 0.25,
      format: 'seed-json',
      timestamp: 'epoch-float',
    });
    e = new TcpJsonMeterDevice({
      deviceId: 'sim-e-edu',
      target: { host: '127.0.0.1', port: portOf('tcp-json-meter') },
      clock,
      intervalMs: STEP,
      rateKW: 0.5,
      initialKWh: 1234.567,
      utcOffsetMinutes: -180,
      helloId: E_ID,
      newline: false,
    });
    e.advance(clock.now());
    expect(await e.ready()).toBe(E_ID);
    // n = 1: Ana's meter is unknown to the edge: held pending, reported, bound over HTTP.
    await step(1);
    const key = `udp-meter:${CPF_A}:1`;
    await expect
      .poll(
        async () =>
          (
            (await api('GET', `/edges/${EDGE}/pending-devices`)).body.items as Array<{
              key: string;
              buffered: number;
            }>
          ).find((p) => p.key === key)?.buffered,
        { timeout: 30_000 },
      )
      .toBe(1);
    const bound = await api('POST', `/edges/${EDGE}/pending-devices/${key}/bind`, {
      document: CPF_A,
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(202);
    expect(bound.body.deviceId).toBe(`d-${CPF_A}-1`);
    meterIds.A = bound.body.meterId;
    await applied(bound.body.configVersion);
    await delivered(3);

    for (let n = 2; n <= STEPS; n++) {
      // Caio's meter draws 200.5 kW for the 6 h ending at n = 60: one reading of 1203 kWh.
      if (n === 60) dC.setRate({ set: 200.5 });
      await step(n);
      if (n === 60) dC.setRate({ set: 0.25 });
      await delivered(3 * n);
      // The rollup job once a day (cron: every 5 min); the alarm sweep (cron: every minute; it
      // rolls up first) just before and just after each reading that passes a threshold.
      if (n % 4 === 0) await jobs.get('metering.rollup')?.(new Date(clock.now()));
      if (n === 59 || n === 100 || n === 108) {
        await sweep();
        if (n === 59) expect(await typesOf('C')).toEqual([]);
        if (n === 100) expect(await typesOf('E')).toEqual([]);
        if (n === 108) expect(await typesOf('A')).toEqual([]);
      }
      if (n === 60 || n === 101 || n === 109) await sweep();
      if (n === 60) {
        // A single reading above 1000 kWh, and with it the month's sum: excess and limit.
        const alarms = await alarmsOf('C');
        expect(alarms.find((a) => a.type === 'consumption.excess')).toMatchObject({
          source: `meter:${meterIds.C}`,
          details: {
            at: new Date(T0 + 60 * STEP).toISOString(),
            readingKwh: '1203.000',
            thresholdKwh: '1000.000',
          },
        });
        expect(alarms.find((a) => a.type === 'consumption.limit')).toMatchObject({
          source: `customer:${customers.C}`,
          details: { monthToDateWh: 59 * 1500 + 1_203_000, limitWh: 1_000_000 },
        });
      }
      if (n === 101) {
        // Seed E: the month's increase is exactly 300.000 kWh now (297 at the last sweep).
        const alarms = await alarmsOf('E');
        expect(alarms.find((a) => a.type === 'consumption.limit')).toMatchObject({
          source: `customer:${customers.E}`,
          details: { monthToDateWh: 300_000, limitWh: 299_999 },
        });
        expect(await typesOf('E')).toEqual(['consumption.limit']);
      }
      if (n === 109) {
        // Many readings, none above 1000 kWh: the month's sum alone passes the limit.
        expect(await typesOf('A')).toEqual(['consumption.limit']);
        expect((await alarmsOf('A')).find((a) => a.type === 'consumption.limit')).toMatchObject({
          details: { monthToDateWh: 109 * 9258, limitWh: 1_000_000 },
        });
      }
    }
    expect(sent.A.map((s) => s.text)).toEqual(Array(STEPS).fill('9.258000'));
    expect(sent.C.filter((s) => s.text !== '1.500000').map((s) => s.text)).toEqual(['1203.000000']);
    expect(sent.E[0]?.text).toBe('1237.567000');
    expect(sent.E[STEPS - 1]?.text).toBe('1594.567000');

    // Readings: every one stored once, with the exact value and time it was sent with.
    const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + (STEPS + 1) * STEP).toISOString()}`;
    for (const [who, name] of [
      ['A', 'energy_interval'],
      ['C', 'energy_interval'],
      ['E', 'energy_import'],
    ] as const) {
      const r = await api('GET', `/meters/${meterIds[who]}/readings?${range}`);
      expect(r.status).toBe(200);
      expect(r.body.items.map((x: { ts: string; values: unknown }) => [x.ts, x.values])).toEqual(
        sent[who].map((s) => [new Date(s.ts).toISOString(), { [name]: Number(s.text) }]),
      );
    }

    // History: per local day and for the month, what was sent. An interval amount belongs to
    // the hour holding the end of its interval (ts − 1 ms); a register's day is its increase.
    const dayOfInterval = (list: Sent[]) => {
      const days = new Map<string, number>();
      for (const s of list)
        days.set(localDay(s.ts - 1), (days.get(localDay(s.ts - 1)) ?? 0) + wh(s.text));
      return days;
    };
    const dayOfRegister = (list: Sent[]) => {
      const days = new Map<string, number>();
      for (let i = 1; i < list.length; i++) {
        const [prev, cur] = [list[i - 1] as Sent, list[i] as Sent];
        const d = localDay(cur.ts - 1);
        days.set(d, (days.get(d) ?? 0) + wh(cur.text) - wh(prev.text));
      }
      return days;
    };
    const expected = {
      A: dayOfInterval(sent.A),
      C: dayOfInterval(sent.C),
      E: dayOfRegister(sent.E),
    };
    const totals = { A: 1_110_960, C: 1_381_500, E: 357_000 };
    for (const who of ['A', 'C', 'E'] as const) {
      expect([...expected[who].values()].reduce((x, y) => x + y, 0)).toBe(totals[who]);
      const days = await api(
        'GET',
        `/meters/${meterIds[who]}/consumption?from=2026-11-01&to=2026-12-01&granularity=day`,
      );
      expect(days.status, JSON.stringify(days.body)).toBe(200);
      expect(days.body).toMatchObject({
        timeZone: 'America/Bahia',
        totalWh: totals[who],
        gaps: [],
      });
      expect(
        new Map(days.body.buckets.map((b: { start: string; wh: number }) => [b.start, b.wh])),
      ).toEqual(expected[who]);
      const month = await api(
        'GET',
        `/meters/${meterIds[who]}/consumption?from=2026-11-01&to=2026-12-01&granularity=month`,
      );
      expect(month.status).toBe(200);
      expect(month.body.buckets.map((b: { wh: number }) => b.wh)).toEqual([totals[who]]);
    }
    // Seed D's own day: four readings of 9.258 kWh each (06, 12, 18 h and the next midnight).
    expect(expected.A.get('2026-11-15')).toBe(4 * 9258);

    // The central's billing job at its cron instant on 1 Dec (03:17:40 local) closes November.
    clock.advance(Date.parse('2026-12-01T06:17:40Z') - clock.now());
    await jobs.get('billing.close-period')?.(new Date(clock.now()));
    const { rows: runs } = await sql<{
      result: { closed: Array<{ period: string; issued: number }> };
    }>`
      SELECT result FROM job_runs WHERE job = 'billing.close-period'`.execute(central.database.db);
    expect(runs.flatMap((r) => r.result.closed)).toContainEqual({ period: '2026-11', issued: 3 });
    const invoices = await api('GET', '/invoices?period=2026-11');
    expect(invoices.status).toBe(200);
    expect(invoices.body.items).toHaveLength(3);
    const want = {
      A: {
        kwh: '1110.960',
        centavos: centavos(1_110_960, 107n),
        page: ['1.110,960 kWh', 'R$ 1.188,73'],
      },
      C: {
        kwh: '1381.500',
        centavos: centavos(1_381_500, 107n),
        page: ['1.381,500 kWh', 'R$ 1.478,20'],
      },
      E: { kwh: '357.000', centavos: centavos(357_000, 40n), page: ['357,000 kWh', 'R$ 142,80'] },
    };
    expect([want.A.centavos, want.C.centavos, want.E.centavos]).toEqual([118_873, 147_820, 14_280]);
    for (const who of ['A', 'C', 'E'] as const) {
      const invoice = invoices.body.items.find(
        (i: { meterId: number }) => i.meterId === meterIds[who],
      );
      expect(invoice, who).toMatchObject({
        customerId: customers[who],
        period: { start: '2026-11-01', end: '2026-12-01', timeZone: 'America/Bahia' },
        consumptionKwh: want[who].kwh,
        billedKwh: want[who].kwh,
        totalCentavos: want[who].centavos,
      });
      const page = await fetch(`${central.http.url}/api/v1/invoices/${invoice.id}/html`, {
        headers: { authorization: `Bearer ${operator}` },
      });
      expect(page.status).toBe(200);
      const text = (await page.text()).replace(/\u00a0/g, ' ');
      for (const s of want[who].page) expect(text, `${who} invoice page`).toContain(s);
    }
  }, 120_000);
});
