/**
 * Charger state → `pontos/{id}/disponibilidade` latency (issue #17, docs/EV.md "Live state"),
 * end to end through real parts: the simulator's GridLink charger (Modbus TCP) is taken out of
 * service and back through its control API; a real edge agent polls it (every 250 ms, uplink
 * batches after at most 100 ms) and forwards over MQTT to the central (PGlite, embedded
 * broker); the ingest commits, ev/live derives the point's state and publishes the retained
 * availability; an operator's MQTT subscriber receives it. Latency = from the control call to
 * the message, p50/p99 over alternating toggles.
 *
 * Baseline in the same run: a bare publish → receive of the same-sized message through the same
 * broker to the same subscriber (what MQTT alone costs). The poll interval bounds the figure
 * from below (a change waits up to one poll to be seen).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { startEdge } from '@gridlink/edge';
import { parseScenario, startFleet } from '@gridlink/firmware-sim';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { pino } from 'pino';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { percentile } from './lib/history-store.js';

const TOGGLES = 60;
const BASELINE = 200;
const POLL_MS = 250;
const UPLINK_DELAY_MS = 100;
const EDGE = 'edge-bench-live';

const bench: Benchmark = async ({ log }) => {
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-live-'));
  const silent = pino({ level: 'silent' });
  const central = await startCentral(
    {
      dataDir: join(dir, 'central'),
      http: { port: 0, host: '127.0.0.1' },
      mqtt: { mode: 'embedded', port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
    },
    { logger: silent },
  );
  const fleet = await startFleet(
    parseScenario({ seed: 17, chargers: { port: 0, count: 1 }, control: { port: 0 } }),
    { logger: silent },
  );
  const at = fleet.chargers[0] as { host: string; port: number };
  const edge = await startEdge(
    {
      edgeId: EDGE,
      dataDir: join(dir, 'edge'),
      mqtt: {
        url: central.mqttUrl,
        password: await upsertEdgeCredential(central.database.db, EDGE),
      },
      statusIntervalMs: 2000,
      uplink: { maxDelayMs: UPLINK_DELAY_MS },
      devices: [
        {
          id: 'charger-1',
          driver: 'modbus-tcp',
          host: at.host,
          port: at.port,
          unitId: 1,
          profile: 'gridlink-charger',
          intervalMs: POLL_MS,
          timeoutMs: 2000,
        },
      ],
    },
    { logger: silent },
  );
  const base = `${central.http.url}/api/v1`;
  const admin = await mintToken(central.database.db, { role: 'admin' });
  const call = async (url: string, method: string, body?: unknown, token?: string) => {
    const res = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const figures: Figure[] = [];
  try {
    const db = central.database.db;
    await sql`INSERT INTO ev_companies (id, name) VALUES ('bench', 'Bench')`.execute(db);
    await sql`INSERT INTO ev_stations (company_id, external_id, name, latitude, longitude)
      VALUES ('bench', 's1', 'S1', -12.25, -38.95)`.execute(db);
    const p = await sql<{
      id: string | number;
    }>`INSERT INTO ev_points (station_id, external_id, name)
      SELECT id, 'p1', 'P1' FROM ev_stations RETURNING id`.execute(db);
    const pointId = Number(p.rows[0]?.id);
    // The charger must be known to the central (the edge's status) before it can be bound.
    for (;;) {
      const devices = await call(`${base}/edges/${EDGE}/devices`, 'GET', undefined, admin).catch(
        () => ({ items: [] }),
      );
      if (devices.items?.some((d: { kind: string }) => d.kind === 'charger')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await call(
      `${base}/points/${pointId}/binding`,
      'PUT',
      { edgeId: EDGE, deviceId: 'charger-1' },
      admin,
    );

    const cred = await call(`${base}/mqtt/credentials/operator/bench`, 'PUT', undefined, admin);
    const sub = await mqtt.connectAsync(central.mqttUrl, {
      username: cred.username,
      password: cred.secret,
      clientId: `${cred.username}:bench`,
      reconnectPeriod: 0,
    });
    const topic = `pontos/${pointId}/disponibilidade`;
    const probe = 'pontos/999999/disponibilidade';
    let waiting: { topic: string; want: boolean; resolve: () => void } | undefined;
    sub.on('message', (t, payload) => {
      if (!waiting || t !== waiting.topic) return;
      if ((JSON.parse(payload.toString()) as { disponivel: boolean }).disponivel !== waiting.want)
        return;
      const w = waiting;
      waiting = undefined;
      w.resolve();
    });
    const next = (t: string, want: boolean) =>
      new Promise<void>((resolve) => {
        waiting = { topic: t, want, resolve };
      });
    await sub.subscribeAsync([topic, probe], { qos: 1 });
    // Settled: the charger read available.
    const ready = next(topic, true);
    await ready;

    const control = fleet.control?.url as string;
    const live: number[] = [];
    for (let i = 0; i < TOGGLES; i++) {
      const available = i % 2 === 1;
      const got = next(topic, available);
      const t0 = performance.now();
      await call(`${control}/devices/charger-1/availability`, 'PUT', { available });
      await got;
      live.push(performance.now() - t0);
    }
    const bare: number[] = [];
    const broker = central.broker?.aedes;
    if (!broker) throw new Error('the bench needs the embedded broker');
    for (let i = 0; i < BASELINE; i++) {
      const want = i % 2 === 0;
      const got = next(probe, want);
      const t0 = performance.now();
      broker.publish(
        {
          cmd: 'publish',
          topic: probe,
          payload: Buffer.from(
            JSON.stringify({ ponto_id: 999999, disponivel: want, em_manutencao: false }),
          ),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => undefined,
      );
      await got;
      bare.push(performance.now() - t0);
    }
    await sub.endAsync(true);
    const [l50, l99, b50, b99] = [
      percentile(live, 50),
      percentile(live, 99),
      percentile(bare, 50),
      percentile(bare, 99),
    ];
    log(
      `charger state → disponibilidade (${TOGGLES} toggles, poll ${POLL_MS} ms, uplink delay ≤ ${UPLINK_DELAY_MS} ms): p50 ${round(l50)} ms, p99 ${round(l99)} ms, max ${round(Math.max(...live))} ms`,
    );
    log(`bare publish → receive (${BASELINE}): p50 ${round(b50, 2)} ms, p99 ${round(b99, 2)} ms`);
    figures.push(
      { metric: 'state_to_topic_p50', value: round(l50), unit: 'ms', baseline: round(b50, 2) },
      { metric: 'state_to_topic_p99', value: round(l99), unit: 'ms', baseline: round(b99, 2) },
    );
  } finally {
    await edge.close().catch(() => undefined);
    await fleet.close();
    await central.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
};

export default bench;
