import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { edgeTopic, FakeClock, type TelemetryBatch } from '@gridlink/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';

export const PIX = {
  key: '52998224725',
  merchantName: 'GridLink Energia',
  merchantCity: 'SALVADOR',
};

/**
 * A real central (PGlite, embedded broker, HTTP on port 0, serving ui/dist) on a FakeClock, its cron
 * jobs captured so a test fires them, invoices with Pix codes; an admin token.
 */
export async function startPortalCentral(now: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'gl-ui-'));
  const clock = new FakeClock(now);
  const jobs = new Map<string, (at: Date) => Promise<void>>();
  const central: Central = await startCentral(
    { dataDir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
    {
      logger: pino({ level: 'silent' }),
      clock,
      billing: { pix: PIX },
      scheduler: {
        schedule(_expression, options, task) {
          jobs.set(options.name, task);
          return { stop: () => jobs.delete(options.name) };
        },
      },
    },
  );
  const admin = await mintToken(central.database.db, { role: 'admin', now: new Date(now) });
  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of several shapes
    return { status: res.status, body: (await res.json()) as any };
  };
  return {
    central,
    clock,
    jobs,
    admin,
    api,
    /** Fires a captured cron job at the clock's instant, as cron would. */
    async runJob(name: string) {
      const task = jobs.get(name);
      if (!task) throw new Error(`no job ${name}; jobs: ${[...jobs.keys()].join(', ')}`);
      await task(new Date(clock.now()));
    },
    async close() {
      await central.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * An edge on its real wire: an MQTT client with the edge's credential publishing telemetry
 * batches (docs/WIRE.md) and waiting for the central's ack, which comes after the commit.
 */
export async function connectEdge(central: Central, edgeId: string) {
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  const client = await mqtt.connectAsync(central.mqttUrl, {
    username: edgeId,
    password: secret,
    clientId: `edge-${edgeId}`,
    reconnectPeriod: 0,
  });
  await client.subscribeAsync(edgeTopic(edgeId, 'ack'), { qos: 1 });
  let seq = 0;
  return {
    async send(readings: Array<{ deviceId: string; at: string; values: Record<string, number> }>) {
      const batch: TelemetryBatch = {
        edgeId,
        epoch: 'epoch-ui-0001',
        firstSeq: seq + 1,
        lastSeq: seq + readings.length,
        dropped: 0,
        droppedUpTo: 0,
        readings: readings.map((r, i) => ({
          seq: seq + 1 + i,
          deviceId: r.deviceId,
          ts: Date.parse(r.at),
          quality: 'good' as const,
          values: r.values,
        })),
      };
      seq += readings.length;
      const acked = new Promise<void>((resolve) => {
        const on = (topic: string, payload: Buffer) => {
          if (topic !== edgeTopic(edgeId, 'ack')) return;
          if ((JSON.parse(payload.toString()) as { upTo: number }).upTo < batch.lastSeq) return;
          client.off('message', on);
          resolve();
        };
        client.on('message', on);
      });
      await client.publishAsync(edgeTopic(edgeId, 'telemetry'), JSON.stringify(batch), { qos: 1 });
      await acked;
    },
    close: () => client.endAsync(true),
  };
}
