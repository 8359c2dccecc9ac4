import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic, FakeClock, type TelemetryBatch } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Central, startCentral } from '../src/index.js';
import { CPF_A } from './helpers/api.js';

const RARE = '0 0 1 1 *';

/**
 * The whole path on a real central driven by a FakeClock: an edge publishes a month of register
 * readings over MQTT; the billing job, scheduled by the central's own cron on the injected
 * clock, closes January at 03:17:40 on 1 February (Bahia); the invoice and its pt-BR page come
 * back over real HTTP. Fails without the clock-driven scheduler (node-cron never fires on a
 * FakeClock) and without the pt-BR page ("30.000 kWh").
 */
describe('billing on a live central: MQTT readings → scheduled close → invoice page over HTTP', () => {
  let central: Central;
  let dataDir: string;
  let edge: MqttClient;
  const clock = new FakeClock(Date.parse('2024-02-01T06:10:00Z'));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-billing-live-'));
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        log: { level: 'silent' },
        billing: { dueDays: 10 },
        jobs: { rollup: { cron: RARE }, alarmSweep: { cron: RARE }, prune: { cron: RARE } },
      },
      { logger: pino({ level: 'silent' }), clock },
    );
    const secret = await upsertEdgeCredential(central.database.db, 'edge-bill');
    edge = await mqtt.connectAsync(central.mqttUrl, {
      username: 'edge-bill',
      password: secret,
      clientId: 'edge-edge-bill',
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await central?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('January is billed by the scheduled job and printed in pt-BR', async () => {
    const db = central.database.db;
    const ana = await createCustomer(db, {
      document: CPF_A,
      name: 'Ana',
      tariff: {
        id: 'flat',
        energy: { model: 'flat', pricePerKwh: '0.80' },
        minimumAvailabilityKwh: false,
      },
    });
    await bindMeter(db, ana.id, { edgeId: 'edge-bill', deviceId: 'sdm-1' });
    await edge.subscribeAsync(edgeTopic('edge-bill', 'ack'), { qos: 1 });
    const acked = new Promise<void>((resolve) => edge.on('message', () => resolve()));
    const batch: TelemetryBatch = {
      edgeId: 'edge-bill',
      epoch: 'epoch-bill-0001',
      firstSeq: 1,
      lastSeq: 2,
      dropped: 0,
      droppedUpTo: 0,
      // Local midnights in Bahia (UTC−3): 30 kWh in January.
      readings: [
        { at: '2024-01-01T03:00:00Z', kwh: 500 },
        { at: '2024-02-01T03:00:00Z', kwh: 530 },
      ].map((r, i) => ({
        seq: i + 1,
        deviceId: 'sdm-1',
        ts: Date.parse(r.at),
        quality: 'good' as const,
        values: { energy_import: r.kwh },
      })),
    };
    await edge.publishAsync(edgeTopic('edge-bill', 'telemetry'), JSON.stringify(batch), {
      qos: 1,
    });
    await acked;

    const admin = await mintToken(db, { role: 'admin' });
    const get = (path: string) =>
      fetch(`${central.http.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
    const items = async (path: string) =>
      ((await (await get(path)).json()) as { items: Array<{ id: number }> }).items;
    expect(await items('/api/v1/invoices?period=2024-01')).toEqual([]);

    clock.advance(8 * 60_000);
    await expect
      .poll(() => items('/api/v1/invoices?period=2024-01'))
      .toEqual([
        expect.objectContaining({
          number: '2024-000001',
          consumptionKwh: '30.000',
          totalCentavos: 2400,
          dueDate: '2024-02-10',
        }),
      ]);
    const [invoice] = await items('/api/v1/invoices?period=2024-01');
    const page = await (await get(`/api/v1/invoices/${invoice?.id}/html`)).text();
    expect(page).toContain('Consumo medido: 30,000 kWh · Faturado: 30,000 kWh');
    expect(page).toContain('Total a pagar: R$\u00a024,00');
    expect(page).toContain('Vencimento: 10/02/2024 · Situação: Em aberto');
    const runs = await db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', 'billing.close-period')
      .execute();
    expect(runs).toEqual([
      expect.objectContaining({ slot: '2024-02-01T06:17:40.000Z', status: 'done', attempts: 1 }),
    ]);
  });
});
