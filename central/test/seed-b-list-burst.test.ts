import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { FakeClock } from '@gridlink/shared';
import { Aedes } from 'aedes';
import { type KyselyPlugin, sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedBConfigSchema } from '../src/legacy/seed-b/config.js';
import { stationFacts, toPosto } from '../src/legacy/seed-b/postos.js';
import { SeedBResponder } from '../src/legacy/seed-b/responder.js';
import { aedesLink, TopicRouter } from '../src/mqtt-router/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';

/**
 * A burst of seed B list requests for one company costs one station query (or a small bounded
 * number), not one per `concurrency` requests; every answer carries the same live list.
 * Real PGlite, real aedes on a socket, a real MQTT client; queries counted at the Kysely boundary.
 */
const SERVER = 'acme-server';
const COMPANY = 'acme';
const N = 200;

describe('seed B list bursts', () => {
  let database: Database;
  /** `SELECT … FROM ev_stations` statements the responder ran. */
  let stationQueries = 0;
  const counter: KyselyPlugin = {
    transformQuery(args) {
      const node = args.node;
      if (node.kind === 'SelectQueryNode' && JSON.stringify(node.from).includes('"ev_stations"'))
        stationQueries++;
      return node;
    },
    transformResult: async (args) => args.result,
  };
  let aedes: Aedes;
  let server: Server;
  let router: TopicRouter;
  let responder: SeedBResponder;
  let client: MqttClient;

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite' });
    const db = database.db;
    await sql`INSERT INTO ev_companies (id, name) VALUES (${COMPANY}, 'Acme')`.execute(db);
    for (let s = 1; s <= 5; s++) {
      const st = await sql<{ id: string }>`INSERT INTO ev_stations
        (company_id, external_id, name, latitude, longitude)
        VALUES (${COMPANY}, ${`s${s}`}, ${`Posto ${s}`}, -12.2, -38.9) RETURNING id`.execute(db);
      await sql`INSERT INTO ev_points (station_id, external_id, name, state)
        VALUES (${st.rows[0]?.id}, 'p1', 'P1', ${s % 2 ? 'available' : 'charging'})`.execute(db);
    }
  });
  afterAll(async () => {
    await database?.close();
  });

  const start = async (overrides: Record<string, unknown> = {}) => {
    stationQueries = 0;
    aedes = await Aedes.createBroker();
    server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const link = aedesLink(aedes);
    const registry = new Registry();
    router = new TopicRouter({
      link,
      logger: pino({ level: 'silent' }),
      unrouted: new Counter({ name: 'unrouted', help: 'x', registers: [registry] }),
    });
    responder = await SeedBResponder.start({
      db: database.db.withPlugin(counter),
      router,
      link,
      // Lists only: the reservation engine is never reached.
      reservations: {} as never,
      clock: new FakeClock(0),
      logger: pino({ level: 'silent' }),
      config: seedBConfigSchema.parse({
        enabled: true,
        servers: { [SERVER]: COMPANY },
        ...overrides,
      }),
    });
    await router.start();
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      reconnectPeriod: 0,
    });
    await client.subscribeAsync('client/+/postos/response', { qos: 1 });
  };
  afterEach(async () => {
    await client?.endAsync(true);
    await responder?.close();
    await router?.stop();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    server.close();
    await once(server, 'close');
  });

  /** Sends `N` list requests at once (each from its own client id) and collects the answers. */
  const burst = async () => {
    const answers = new Map<string, string>();
    client.on('message', (topic, payload) => answers.set(topic, payload.toString()));
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        client.publishAsync(
          'server/postos/request',
          JSON.stringify({ request_id: `r${i}`, client_id: `car-${i}`, server_id: SERVER }),
          { qos: 1 },
        ),
      ),
    );
    return answers;
  };

  it(`${N} concurrent list requests for one company: every one answered, a bounded few station queries`, async () => {
    await start();
    const answers = await burst();
    await expect.poll(() => answers.size).toBe(N);
    await responder.idle();
    const postos = (await stationFacts(database.db, COMPANY)).map(toPosto);
    expect(postos).toHaveLength(5);
    expect(postos.map((p) => p.disponivel)).toEqual([true, false, true, false, true]);
    for (let i = 0; i < N; i++)
      // The exact text JSON.stringify gives: field names, order and values unchanged.
      expect(answers.get(`client/car-${i}/postos/response`)).toBe(
        JSON.stringify({ request_id: `r${i}`, postos }),
      );
    expect(responder.counts().listed).toBe(N);
    // Before: one query per `concurrency` (8) requests, ~25 for 200.
    expect(stationQueries).toBeGreaterThanOrEqual(1);
    expect(stationQueries).toBeLessThanOrEqual(3);
  });

  it('a list waiting for the next query sees a change made before it was sent', async () => {
    await start();
    const answers = await burst();
    await expect.poll(() => answers.size).toBe(N);
    await sql`UPDATE ev_points SET state = 'charging'`.execute(database.db);
    await client.publishAsync(
      'server/postos/request',
      JSON.stringify({ request_id: 'after', client_id: 'late', server_id: SERVER }),
      { qos: 1 },
    );
    await expect.poll(() => answers.get('client/late/postos/response')).toBeDefined();
    const late = JSON.parse(answers.get('client/late/postos/response') as string);
    expect(late.postos.map((p: { disponivel: boolean }) => p.disponivel)).toEqual(
      Array(5).fill(false),
    );
  });

  it('keeps the queue bound: past maxQueued waiting lists are dropped and counted', async () => {
    await start({ maxQueued: 20 });
    const answers = await burst();
    await expect.poll(() => responder.counts().listed + responder.counts().dropped).toBe(N);
    await responder.idle();
    expect(responder.counts().dropped).toBeGreaterThan(0);
    expect(answers.size).toBe(responder.counts().listed);
  });
});
