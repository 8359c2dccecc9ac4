import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Scale-out, with real parts: a real Mosquitto started from the shipped deploy/mosquitto config
 * (password file + ACL), two centrals in external-broker mode splitting the ingest through the
 * shared subscription `$share/gridlink/…`, one real PostgreSQL. Edges are unchanged.
 */
const mosquittoDir = resolve(fileURLToPath(new URL('../mosquitto/', import.meta.url)));
const tool = (name: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ready = tool('mosquitto') && tool('mosquitto_passwd') && (await postgresReachable());
if (!ready && process.env.CI === 'true')
  throw new Error(
    'the scale-out suite needs mosquitto, mosquitto_passwd and PostgreSQL under CI=true',
  );
if (!ready)
  console.warn('\n*** mosquitto or PostgreSQL missing: SKIPPING the scale-out suite. ***\n');

/** A port that was free a moment ago (Mosquitto cannot listen on 0 and report back). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const quiet = pino({ level: 'silent' });

describe.skipIf(!ready)('scale-out: Mosquitto + two centrals + PostgreSQL', () => {
  let dir: string;
  let broker: ChildProcess;
  let url: string;
  let db: ScratchDatabase;
  const centrals: Central[] = [];
  const secrets = {
    central: randomBytes(24).toString('base64url'),
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
    const port = await freePort();
    copyFileSync(join(mosquittoDir, 'gridlink.acl'), join(dir, 'gridlink.acl'));
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      readFileSync(join(mosquittoDir, 'gridlink.conf'), 'utf8')
        .replaceAll('@DIR@', dir)
        .replaceAll('@PORT@', String(port)),
    );
    execFileSync('mosquitto_passwd', [
      '-c',
      '-b',
      join(dir, 'passwd'),
      'gridlink-central',
      secrets.central,
    ]);
    for (const edge of ['edge-s1', 'edge-s2'] as const)
      execFileSync('mosquitto_passwd', ['-b', join(dir, 'passwd'), edge, secrets[edge]]);
    // Started as root, Mosquitto drops to its own user: it must be able to read the files (the
    // password file holds salted hashes only).
    chmodSync(dir, 0o755);
    for (const f of ['gridlink.acl', 'mosquitto.conf', 'passwd']) chmodSync(join(dir, f), 0o644);
    broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let brokerLog = '';
    broker.stderr?.on('data', (d: Buffer) => {
      brokerLog += d.toString();
    });
    url = `mqtt://127.0.0.1:${port}`;
    // Wait for the listener: bounded retries of a real connect (the broker gives no ready signal).
    for (let attempt = 0; ; attempt++) {
      try {
        const probe = await mqtt.connectAsync(url, {
          username: 'gridlink-central',
          password: secrets.central,
          reconnectPeriod: 0,
          connectTimeout: 1000,
        });
        await probe.endAsync();
        break;
      } catch (err) {
        if (attempt > 50 || broker.exitCode !== null)
          throw new Error(`mosquitto did not come up: ${(err as Error).message}\n${brokerLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    db = await scratchPostgres('gl_scale');
    for (const n of [1, 2]) {
      centrals.push(
        await startCentral(
          {
            dataDir: join(dir, `central-${n}`),
            databaseUrl: db.url,
            http: { port: 0 },
            mqtt: {
              mode: 'external',
              url,
              username: 'gridlink-central',
              password: secrets.central,
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
    broker?.kill('SIGTERM');
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
        /gl_ingest_batches_total\{outcome="stored"\} (\d+)/.exec(text)?.[1] ?? 0,
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
