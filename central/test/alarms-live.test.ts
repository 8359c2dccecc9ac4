import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic, type TelemetryBatch } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmMessage } from '../src/alarms/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Central, startCentral } from '../src/index.js';
import type { Scheduler } from '../src/jobs/index.js';
import { CPF_A } from './helpers/api.js';

/**
 * The whole path on a real central: an edge publishes telemetry over MQTT in which a meter's
 * cumulative register goes backwards; ingest stores it; the scheduled alarm sweep (fired by hand
 * instead of by node-cron) rolls it up, raises meter.tamper and publishes it on the customer's
 * topic through the central's own MQTT client and the embedded aedes broker.
 */
describe('a tampered meter raises an alarm from live telemetry', () => {
  let central: Central;
  let dataDir: string;
  let edge: MqttClient;
  const tasks = new Map<string, (at: Date) => Promise<void>>();
  const scheduler: Scheduler = {
    schedule(_expression, options, task) {
      tasks.set(options.name, task);
      return { stop: () => tasks.delete(options.name) };
    },
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-alarm-live-'));
    central = await startCentral(
      { dataDir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 }, log: { level: 'silent' } },
      { logger: pino({ level: 'silent' }), scheduler },
    );
    const secret = await upsertEdgeCredential(central.database.db, 'edge-live');
    edge = await mqtt.connectAsync(central.mqttUrl, {
      username: 'edge-live',
      password: secret,
      clientId: 'edge-edge-live',
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await central?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ingest → rollup → meter.tamper on gl/v1/customers/{id}/alarms', async () => {
    const db = central.database.db;
    const ana = await createCustomer(db, { document: CPF_A, name: 'Ana' });
    const meter = await bindMeter(db, ana.id, { edgeId: 'edge-live', deviceId: 'sdm-1' });
    expect(tasks.has('alarms.sweep')).toBe(true);

    const topic = `gl/v1/customers/${ana.id}/alarms`;
    const published = new Promise<AlarmMessage>((resolve) => {
      central.broker?.aedes.on('publish', (packet) => {
        if (packet.topic === topic) resolve(JSON.parse(packet.payload.toString()));
      });
    });

    await edge.subscribeAsync(edgeTopic('edge-live', 'ack'), { qos: 1 });
    const acked = new Promise<void>((resolve) => edge.on('message', () => resolve()));
    const t0 = Date.parse('2024-03-10T09:00:00Z');
    const batch: TelemetryBatch = {
      edgeId: 'edge-live',
      epoch: 'epoch-live-0001',
      firstSeq: 1,
      lastSeq: 3,
      dropped: 0,
      droppedUpTo: 0,
      readings: [1234.5, 1240.25, 7.5].map((kwh, i) => ({
        seq: i + 1,
        deviceId: 'sdm-1',
        ts: t0 + i * 3_600_000,
        quality: 'good' as const,
        values: { energy_import: kwh, voltage_l1: 221 },
      })),
    };
    await edge.publishAsync(edgeTopic('edge-live', 'telemetry'), JSON.stringify(batch), { qos: 1 });
    await acked;

    await tasks.get('alarms.sweep')?.(new Date('2024-03-10T12:00:00Z'));
    const message = await published;
    expect(message).toMatchObject({
      transition: 'raised',
      alarm: {
        type: 'meter.tamper',
        severity: 'CRITICAL',
        state: 'ACTIVE_UNACK',
        source: `meter:${meter.id}`,
        customerId: ana.id,
        details: { previousWh: 1_240_250, newWh: 7_500 },
      },
    });
  });
});
