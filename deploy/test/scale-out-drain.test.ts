import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, startCentral } from '@gridlink/central';
import { renderMosquittoAcl } from '@gridlink/central/mqtt-policy';
import {
  postgresReachable,
  type ScratchDatabase,
  scratchPostgres,
} from '@gridlink/central/testing';
import { sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoInstalled, type RunningMosquitto, startMosquitto } from './helpers/mosquitto.js';

/**
 * Issue 21 item 2: every MQTT message a central handles is handled by exactly one of N centrals,
 * and a graceful stop hands the rest of the stream to the others without losing a message.
 * Real parts: Mosquitto from the shipped config with an ACL generated for these principals, two
 * centrals in external-broker mode (`shareGroup`), one PostgreSQL; a car and a seed B station
 * client with their own credentials.
 */
const ready = mosquittoInstalled && (await postgresReachable());
if (!ready && process.env.CI === 'true')
  throw new Error('the scale-out drain suite needs mosquitto and PostgreSQL under CI=true');
if (!ready)
  console.warn('\n*** mosquitto or PostgreSQL missing: SKIPPING the scale-out drain suite. ***\n');

const quiet = pino({ level: 'silent' });
const PLATE = 'DRN1A23';
const STATION = 'posto-drain';
const SERVER = 'srv-drain';
const services = ['gridlink-central-1', 'gridlink-central-2', 'gridlink-central-3'];

describe.skipIf(!ready)('scale-out: one handler per message, graceful drain', () => {
  let dir: string;
  let broker: RunningMosquitto;
  let db: ScratchDatabase;
  const centrals: Central[] = [];
  const clients: MqttClient[] = [];
  const secrets: Record<string, string> = Object.fromEntries(
    [...services, `car@${PLATE}`, `station@${STATION}`].map((u) => [
      u,
      randomBytes(24).toString('base64url'),
    ]),
  );
  const start = (n: number) =>
    startCentral(
      {
        dataDir: join(dir, `central-${n}`),
        databaseUrl: db.url,
        http: { port: 0 },
        mqtt: {
          mode: 'external',
          url: broker.url,
          username: services[n - 1] as string,
          password: secrets[services[n - 1] as string] as string,
          shareGroup: 'gridlink',
        },
        legacy: {
          seedB: {
            enabled: true,
            servers: { [SERVER]: 'drain-co' },
            rate: { burst: 10_000, perSecond: 10_000 },
          },
        },
      },
      { logger: quiet, scheduler: false },
    );
  const connect = async (username: string) => {
    const c = await mqtt.connectAsync(broker.url, {
      username,
      password: secrets[username],
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  };
  const rangesStored = async () =>
    (
      await sql<{ range_km: number }>`SELECT range_km FROM ev_car_states
        WHERE plate = ${PLATE} AND source = 'bateria' ORDER BY range_km`.execute(
        centrals[0]!.database.db,
      )
    ).rows.map((r) => Number(r.range_km));
  const report = (car: MqttClient, i: number) =>
    car.publishAsync(
      `carros/${PLATE}/bateria`,
      JSON.stringify({ placa: PLATE, nivel_bateria: 50, em_carregamento: false, autonomia_km: i }),
      { qos: 1 },
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-scale-drain-'));
    const acl = renderMosquittoAcl({
      services,
      shareGroup: 'gridlink',
      credentials: [
        { kind: 'car', name: PLATE },
        { kind: 'station', name: STATION },
      ],
    });
    broker = await startMosquitto(secrets, services[0] as string, { acl });
    db = await scratchPostgres('gl_scale_drain');
    centrals.push(await start(1), await start(2));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    for (const c of centrals) await c.close();
    await broker?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a car report is stored once and a seed B request answered once, whichever central takes it', async () => {
    const car = await connect(`car@${PLATE}`);
    for (let i = 1; i <= 20; i++) await report(car, i);
    const station = await connect(`station@${STATION}`);
    const answers: string[] = [];
    station.on('message', (_t, p) => answers.push(String(JSON.parse(p.toString()).request_id)));
    await station.subscribeAsync(`client/${STATION}/#`, { qos: 1 });
    for (let i = 1; i <= 10; i++)
      await station.publishAsync(
        'server/postos/request',
        JSON.stringify({ request_id: `list-${i}`, client_id: STATION, server_id: SERVER }),
        { qos: 1 },
      );
    await expect.poll(rangesStored).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect.poll(() => answers.length).toBe(10);
    // Both centrals are idle now: nothing more is on its way, so these counts are final.
    for (const c of centrals) {
      await c.ev.cars.idle();
      await c.legacy.seedB?.idle();
    }
    expect(await rangesStored()).toHaveLength(20);
    expect(answers.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `list-${i + 1}`).sort());
    // The work was shared (the broker's round robin), not done twice.
    const listed = centrals.map((c) => c.legacy.seedB?.counts().listed ?? 0);
    expect(listed.reduce((a, b) => a + b, 0)).toBe(10);
    expect(listed.every((n) => n > 0)).toBe(true);
  });

  it('a central stopped gracefully mid-stream: /readyz says draining, every report after is stored once by the other', async () => {
    await sql`DELETE FROM ev_car_states`.execute(centrals[0]!.database.db);
    const car = await connect(`car@${PLATE}`);
    const leaving = centrals[1] as Central;
    const readyz = async () => {
      const r = await fetch(`${leaving.http.url}/readyz`);
      return { status: r.status, body: await r.json() };
    };
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });
    const total = 400;
    let sent = 0;
    // The car keeps publishing (QoS 1, each acknowledged by the broker) while the central stops.
    const stream = (async () => {
      while (sent < total) await report(car, ++sent);
    })();
    await expect.poll(() => sent, { interval: 1 }).toBeGreaterThan(50);
    const closing = leaving.close();
    expect(leaving.draining).toBe(true);
    // Readiness turns at once, while the HTTP server still answers.
    expect(await readyz()).toEqual({
      status: 503,
      body: { status: 'unavailable', reason: 'draining' },
    });
    await closing;
    await stream;
    centrals.splice(1, 1);
    await expect.poll(async () => (await rangesStored()).length, { timeout: 20_000 }).toBe(total);
    await centrals[0]!.ev.cars.idle();
    expect(await rangesStored()).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
