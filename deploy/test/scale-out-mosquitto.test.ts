import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import {
  postgresReachable,
  type ScratchDatabase,
  scratchPostgres,
} from '@gridlink/central/testing';
import { createMemoryReadingLog, Uplink } from '@gridlink/edge';
import { edgeTopic, type TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoInstalled, type RunningMosquitto, startMosquitto } from './helpers/mosquitto.js';

/**
 * Scale-out, with real parts: a real Mosquitto started from the shipped deploy/mosquitto config
 * (password file + ACL), two centrals in external-broker mode splitting the ingest through the
 * shared subscription `$share/gridlink/…`, one real PostgreSQL. Edges are unchanged. Each central
 * has a user of its own (the config binds a session to its username).
 */
const ready = mosquittoInstalled && (await postgresReachable());
if (!ready && process.env.CI === 'true')
  throw new Error(
    'the scale-out suite needs mosquitto, mosquitto_passwd and PostgreSQL under CI=true',
  );
if (!ready)
  console.warn('\n*** mosquitto or PostgreSQL missing: SKIPPING the scale-out suite. ***\n');

const quiet = pino({ level: 'silent' });

describe.skipIf(!ready)('scale-out: Mosquitto + two centrals + PostgreSQL', () => {
  let dir: string;
  let broker: RunningMosquitto;
  let url: string;
  let db: ScratchDatabase;
  const centrals: Central[] = [];
  const secrets = {
    'gridlink-central-1': randomBytes(24).toString('base64url'),
    'gridlink-central-2': randomBytes(24).toString('base64url'),
    'edge-s1': randomBytes(24).toString('base64url'),
    'edge-s2': randomBytes(24).toString('base64url'),
  };
  const clients: MqttClient[] = [];
  const connectEdge = async (edgeId: 'edge-s1' | 'edge-s2') => {
    const c = await mqtt.connectAsync(url, {
      username: edgeId,
      password: secrets[edgeId],
      clientId: `${edgeId}-${clients.length}`,
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-scale-'));
    broker = await startMosquitto(secrets, 'gridlink-central-1');
    url = broker.url;
    db = await scratchPostgres('gl_scale');
    for (const n of [1, 2] as const) {
      centrals.push(
        await startCentral(
          {
            dataDir: join(dir, `central-${n}`),
            databaseUrl: db.url,
            http: { port: 0 },
            mqtt: {
              mode: 'external',
              url,
              username: `gridlink-central-${n}`,
              password: secrets[`gridlink-central-${n}`],
              shareGroup: 'gridlink',
            },
          },
          { logger: quiet, scheduler: false },
        ),
      );
    }
    // The edges' rows (meters, marks) hang off their registrations.
    for (const edge of ['edge-s1', 'edge-s2'])
      await upsertEdgeCredential(centrals[0]!.database.db, edge);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    for (const c of centrals) await c.close();
    await broker?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const stored = async (edgeId: string) =>
    (
      await sql<{
        seq: string;
      }>`SELECT r.seq::text AS seq FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.edge_id = ${edgeId} ORDER BY r.seq`.execute(
        centrals[0]!.database.db,
      )
    ).rows.map((r) => Number(r.seq));

  it('two centrals share the ingest; every reading is stored exactly once', async () => {
    const log = createMemoryReadingLog();
    for (let b = 0; b < 30; b++) {
      await log.append(
        Array.from({ length: 100 }, (_, i) => ({
          deviceId: `m${i % 5}`,
          ts: 1_767_225_600_000 + b * 100 + i,
          quality: 'good' as const,
          values: { energy_import: b * 100 + i },
        })),
      );
    }
    const client = await connectEdge('edge-s1');
    const uplink = new Uplink({
      edgeId: 'edge-s1',
      log,
      mqtt: client,
      logger: quiet,
      batch: { maxReadings: 100, maxBytes: 1 << 20, maxDelayMs: 10 },
      window: 8,
      resendAfterMs: 1000,
      reconnect: false,
    });
    uplink.start();
    while (log.stats().pending > 0) await new Promise<void>((r) => uplink.once('ack', () => r()));
    uplink.stop();
    expect(await stored('edge-s1')).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));

    // Both instances did part of the work (MQTT shared subscription, round robin at the broker).
    for (const central of centrals) {
      const token = await mintToken(central.database.db, { role: 'admin' });
      const text = await (
        await fetch(`${central.http.url}/metrics`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).text();
      const storedBatches = Number(
        /gridlink_ingest_batches_total\{outcome="stored"\} (\d+)/.exec(text)?.[1] ?? 0,
      );
      expect(storedBatches).toBeGreaterThan(0);
    }
  });

  it('the ACL confines each edge to its own topics, as the embedded broker does', async () => {
    const s1 = await connectEdge('edge-s1');
    const s2 = await connectEdge('edge-s2');
    // Mosquitto 2.0 grants a 3.1.1 subscription it will not serve and applies the read ACL at
    // delivery: edge-s1 listens on edge-s2's acks (and its own) and must hear only its own.
    const heard: string[] = [];
    s1.on('message', (topic) => heard.push(topic));
    await s1.subscribeAsync([edgeTopic('edge-s2', 'ack'), edgeTopic('edge-s1', 'ack')], { qos: 1 });
    const forged: TelemetryBatch = {
      edgeId: 'edge-s2',
      epoch: 'epoch-forged',
      firstSeq: 1,
      lastSeq: 1,
      dropped: 0,
      droppedUpTo: 0,
      readings: [{ seq: 1, deviceId: 'm', ts: 0, quality: 'good', values: { energy_import: 999 } }],
    };
    await s1.publishAsync(edgeTopic('edge-s2', 'telemetry'), JSON.stringify(forged), { qos: 1 });
    // edge-s2's own batch goes through and is acknowledged; the forged one never arrived.
    await s2.subscribeAsync(edgeTopic('edge-s2', 'ack'), { qos: 1 });
    const ack = new Promise<Buffer>((r) => s2.once('message', (_t, p) => r(p)));
    const real: TelemetryBatch = {
      ...forged,
      epoch: 'epoch-real1',
      readings: [{ ...forged.readings[0]!, values: { energy_import: 1 } }],
    };
    await s2.publishAsync(edgeTopic('edge-s2', 'telemetry'), JSON.stringify(real), { qos: 1 });
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-real1', upTo: 1 });
    const epochs = await centrals[0]!.database.db
      .selectFrom('ingest_streams')
      .select('epoch')
      .where('edge_id', '=', 'edge-s2')
      .execute();
    expect(epochs.map((e) => e.epoch)).toEqual(['epoch-real1']);
    // edge-s2's ack has been dispatched to every allowed subscriber; now give edge-s1 one of its own.
    const own = new Promise<void>((r) =>
      s1.on('message', (topic) => topic === edgeTopic('edge-s1', 'ack') && r()),
    );
    await s1.publishAsync(
      edgeTopic('edge-s1', 'telemetry'),
      JSON.stringify({ ...real, edgeId: 'edge-s1', epoch: 'epoch-s1own' }),
      { qos: 1 },
    );
    await own;
    // (edge-s1 may also hear late acks of the first test's resends: its own topic, allowed.)
    expect(heard).toContain(edgeTopic('edge-s1', 'ack'));
    expect(heard).not.toContain(edgeTopic('edge-s2', 'ack'));
  });
});
