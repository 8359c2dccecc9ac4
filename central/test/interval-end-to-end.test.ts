import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic, type TelemetryBatch } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Central, startCentral } from '../src/index.js';
import type { Scheduler } from '../src/jobs/index.js';
import { CPF_A } from './helpers/api.js';
import { describeEachStore, freshPostgres } from './helpers/stores.js';

/**
 * Seed D end to end on a real central: an edge publishes a telemetry batch of interval amounts
 * (`energy_interval`, kWh since the meter's previous datagram) over MQTT; the scheduled alarm
 * sweep (fired by hand) rolls them up; the HTTP API shows the month's history with its gap, the
 * excess alarms, and an invoice equal to the sum × R$ 1,07/kWh. November 2024, Bahia (UTC−3):
 *   05 Nov 09:00 local   40.000 kWh
 *   05 Nov 09:15 local   60.500 kWh
 *   (nothing for a day: a gap [05 Nov 12:15Z, 06 Nov 12:00Z))
 *   06 Nov 09:00 local 1500.000 kWh   a single reading above 1000 kWh: consumption.excess
 *   06 Nov 09:10 local    0.0005 kWh  half a Wh, carried
 *   06 Nov 09:20 local    0.0005 kWh  completes the Wh
 * Month: 1600.501 kWh > the customer's 1000 kWh limit (consumption.limit).
 * Invoice: 1600.501 × 1,07 = R$ 1.712,53607 → 171 253,607 centavos → R$ 1.712,54.
 */
const AMOUNTS: Array<[string, number]> = [
  ['2024-11-05T12:00:00Z', 40],
  ['2024-11-05T12:15:00Z', 60.5],
  ['2024-11-06T12:00:00Z', 1500],
  ['2024-11-06T12:10:00Z', 0.0005],
  ['2024-11-06T12:20:00Z', 0.0005],
];

describeEachStore('seed D interval meter: MQTT → rollup → history, invoice, alarms', (store) => {
  let central: Central;
  let dataDir: string;
  let edge: MqttClient;
  let dropDb: (() => Promise<void>) | undefined;
  const tasks = new Map<string, (at: Date) => Promise<void>>();
  const scheduler: Scheduler = {
    schedule(_expression, options, task) {
      tasks.set(options.name, task);
      return { stop: () => tasks.delete(options.name) };
    },
  };
  let admin: string;
  let customerToken: string;
  let meterId: number;
  let customerId: number;
  const get = async (path: string, token: string) => {
    const r = await fetch(`${central.http.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies, checked by the assertions
    return { status: r.status, body: (await r.json()) as any };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-interval-e2e-'));
    let databaseUrl: string | undefined;
    if (store.name === 'postgres') {
      const fresh = await freshPostgres();
      databaseUrl = fresh.url;
      dropDb = fresh.drop;
    }
    central = await startCentral(
      {
        dataDir,
        databaseUrl,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        log: { level: 'silent' },
        metering: { intervalGapSeconds: 3600 },
        alarms: { excess: { singleReadingKwh: 1000 } },
      },
      { logger: pino({ level: 'silent' }), scheduler },
    );
    const db = central.database.db;
    const secret = await upsertEdgeCredential(db, 'edge-d');
    const ana = await createCustomer(db, {
      document: CPF_A,
      name: 'Ana',
      monthlyLimitKwh: '1000',
      tariff: {
        id: 'sistema-d',
        energy: { model: 'flat', pricePerKwh: '1.07' },
        minimumAvailabilityKwh: false,
      },
    });
    customerId = ana.id;
    meterId = (await bindMeter(db, ana.id, { edgeId: 'edge-d', deviceId: 'd-1' })).id;
    admin = await mintToken(db, { role: 'admin' });
    customerToken = await mintToken(db, { role: 'customer', subject: String(ana.id) });
    edge = await mqtt.connectAsync(central.mqttUrl, {
      username: 'edge-d',
      password: secret,
      clientId: 'edge-edge-d',
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await central?.close();
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('readings over MQTT are billed, listed with their gap and alarmed like register energy', async () => {
    await edge.subscribeAsync(edgeTopic('edge-d', 'ack'), { qos: 1 });
    const acked = new Promise<{ upTo: number }>((resolve) =>
      edge.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()))),
    );
    const batch: TelemetryBatch = {
      edgeId: 'edge-d',
      epoch: 'epoch-d-0001',
      firstSeq: 1,
      lastSeq: AMOUNTS.length,
      dropped: 0,
      droppedUpTo: 0,
      readings: AMOUNTS.map(([at, kwh], i) => ({
        seq: i + 1,
        deviceId: 'd-1',
        ts: Date.parse(at),
        quality: 'good' as const,
        values: { energy_interval: kwh },
      })),
    };
    await edge.publishAsync(edgeTopic('edge-d', 'telemetry'), JSON.stringify(batch), { qos: 1 });
    expect(await acked).toMatchObject({ upTo: AMOUNTS.length });

    // The minute's alarm sweep rolls up first, then runs the rules.
    await tasks.get('alarms.sweep')?.(new Date('2024-11-20T12:00:00Z'));

    const month = await get(
      `/api/v1/meters/${meterId}/consumption?from=2024-11-01&to=2024-12-01&granularity=day`,
      customerToken,
    );
    expect(month.status).toBe(200);
    expect(month.body).toMatchObject({
      timeZone: 'America/Bahia',
      totalWh: 1_600_501,
      totalKwh: '1600.501',
      roundedToHours: false,
      gaps: [{ from: '2024-11-05T12:15:00.000Z', to: '2024-11-06T12:00:00.000Z' }],
    });
    const days = Object.fromEntries(
      month.body.buckets
        .filter((b: { wh: number }) => b.wh > 0)
        .map((b: { start: string; wh: number }) => [b.start, b.wh]),
    );
    expect(days).toEqual({ '2024-11-05': 100_500, '2024-11-06': 1_500_001 });
    // The customer's own history (sum of its meters) says the same.
    const sum = await get(
      `/api/v1/customers/${customerId}/consumption?from=2024-11-01&to=2024-12-01`,
      customerToken,
    );
    expect(sum.body).toMatchObject({ totalWh: 1_600_501, gaps: month.body.gaps });

    const alarms = await get(`/api/v1/alarms?customerId=${customerId}`, customerToken);
    expect(alarms.status).toBe(200);
    const byType = new Map(alarms.body.items.map((a: { type: string }) => [a.type, a] as const));
    expect(byType.get('consumption.excess')).toMatchObject({
      source: `meter:${meterId}`,
      severity: 'MAJOR',
      details: {
        at: '2024-11-06T12:00:00.000Z',
        readingKwh: '1500.000',
        thresholdKwh: '1000.000',
      },
    });
    expect(byType.get('consumption.limit')).toMatchObject({
      source: `customer:${customerId}`,
      details: { monthToDateWh: 1_600_501, limitWh: 1_000_000 },
    });

    const close = await fetch(`${central.http.url}/api/v1/billing/close`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ period: '2024-11' }),
    });
    expect(close.status).toBe(200);
    const invoices = await get('/api/v1/invoices?period=2024-11', customerToken);
    expect(invoices.body.items).toHaveLength(1);
    // 1600.501 kWh × R$ 1,07 = R$ 1.712,53607 → 171254 centavos (half to even).
    expect(invoices.body.items[0]).toMatchObject({
      meterId,
      consumptionKwh: '1600.501',
      billedKwh: '1600.501',
      totalCentavos: 171_254,
    });
  });
});
