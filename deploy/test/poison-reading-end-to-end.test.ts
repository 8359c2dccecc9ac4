import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from './helpers/central-harness.js';

/**
 * A poisoned UDP meter reading with all real parts: datagram → the edge's UDP listener → its
 * reading window → LevelDB log → MQTT QoS 1 → aedes in the central → PGlite → the HTTP API. The
 * poison (a time 10^20 ms past the epoch, then one before 1970) is answered GL_READING_INVALID at
 * the edge and never gets a seq; before the edge checked readings it was answered 200, logged,
 * and the central refused that batch on every resend and every later one as a gap: the good
 * readings after it never arrived.
 */
const EDGE = 'edge-poison';

describe('a poisoned meter reading end to end', () => {
  let dir: string;
  let central: Central;
  let edge: EdgeAgent;
  let udp: Socket;
  let admin: string;
  const S0 = Math.floor(Date.now() / 1000) - 120;

  const api = (path: string) => requestJson(`${central.http.url}/api/v1`, 'GET', path, admin);
  const ask = (text: string): Promise<string> =>
    new Promise((resolve) => {
      udp.once('message', (m) => resolve(m.toString()));
      const listener = edge.drivers.find((d) => d.name === 'udp-meter') as unknown as {
        port(): number;
      };
      udp.send(text, listener.port(), '127.0.0.1');
    });
  /** The meter's readings as the API serves them ([] until the central knows the meter). */
  const served = async (): Promise<{ ts: string; values: Record<string, number> }[]> => {
    const meters = await api('/meters?limit=100');
    const meter = (meters.body.items as { id: number; edgeId: string; deviceId: string }[]).find(
      (m) => m.edgeId === EDGE && m.deviceId === 'med-1',
    );
    if (!meter) return [];
    const readings = await api(`/meters/${meter.id}/readings`);
    return readings.body.items;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-e2e-poison-'));
    const silent = pino({ level: 'silent' });
    central = await startCentral(
      { dataDir: join(dir, 'central'), http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
      { logger: silent },
    );
    admin = await mintToken(central.database.db, { role: 'admin' });
    const secret = await upsertEdgeCredential(central.database.db, EDGE);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: secret },
        uplink: { maxDelayMs: 20 },
        udp: { port: 0 },
        devices: [{ id: 'med-1', driver: 'udp-meter', meterId: 'MED-1' }],
      },
      { logger: silent },
    );
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    udp?.close();
    await edge?.close().catch(() => undefined);
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the poison is refused at the edge and the good readings around it reach the API', async () => {
    const replies = [
      await ask(`{"meterId":"MED-1","value":1.5,"timestamp":${S0}}`),
      await ask('{"meterId":"MED-1","value":2,"timestamp":100000000000000000000}'),
      await ask('{"meterId":"MED-1","value":2,"timestamp":"1969-12-31 23:59:59"}'),
      await ask(`{"meterId":"MED-1","value":0.25,"timestamp":${S0 + 60}}`),
    ];

    // Before the edge checked readings the stream died here: this never became true.
    await expect.poll(served, { timeout: 20_000 }).toEqual([
      { ts: new Date(S0 * 1000).toISOString(), quality: 'good', values: { energy_interval: 1.5 } },
      {
        ts: new Date((S0 + 60) * 1000).toISOString(),
        quality: 'good',
        values: { energy_interval: 0.25 },
      },
    ]);
    expect(replies).toEqual(['200', '400 GL_READING_INVALID', '400 GL_READING_INVALID', '200']);
    // The poison never had a seq: the log holds the two good readings, both acknowledged.
    await expect.poll(() => edge.log.stats()).toMatchObject({ lastSeq: 2, pending: 0 });
  });
});
