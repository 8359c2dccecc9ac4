import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { upsertEdgeCredential } from '../../src/edges/index.js';
import { type Central, type CentralConfigInput, startCentral } from '../../src/index.js';

export interface LogLine {
  level: number;
  msg: string;
  code?: string;
  [key: string]: unknown;
}

/** A real central on ports 0 with PGlite in a temp dir; its log lines are captured as objects. */
export async function startTestCentral(over: Partial<CentralConfigInput> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'gl-central-'));
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  const central: Central = await startCentral(
    { dataDir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 }, ...over },
    { logger: pino({ level: 'debug' }, sink) },
  );
  const clients: MqttClient[] = [];
  return {
    central,
    lines,
    /** Registers an edge and connects a real MQTT client with its credential. */
    async connectEdge(edgeId: string, opts: { secret?: string } = {}): Promise<MqttClient> {
      const secret = opts.secret ?? (await upsertEdgeCredential(central.database.db, edgeId));
      const client = await mqtt.connectAsync(central.mqttUrl, {
        username: edgeId,
        password: secret,
        reconnectPeriod: 0,
        // An edge's own namespace: edge-{edgeId} or edge-{edgeId}:{suffix} (docs/SECURITY.md).
        clientId: `edge-${edgeId}:${clients.length}`,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await central.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the next message on `topic`. */
export function nextMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const on = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      client.off('message', on);
      resolve(payload);
    };
    client.on('message', on);
  });
}

/** Resolves when a log line matching `pred` has been written. */
export async function waitForLog(
  lines: LogLine[],
  pred: (l: LogLine) => boolean,
): Promise<LogLine> {
  for (;;) {
    const hit = lines.find(pred);
    if (hit) return hit;
    await new Promise((r) => setImmediate(r));
  }
}
