import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral } from '@gridlink/central';
import { sql } from 'kysely';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLegacyPlugin,
  legacyPluginBuildable,
  mosquittoInstalled,
  type RunningMosquitto,
  startMosquitto,
} from './helpers/mosquitto.js';

/**
 * Seed B's anonymous station clients on Mosquitto (issue #18 item 1; docs/LEGACY-SEED-B.md,
 * "Mosquitto"), with real parts: the gridlink_legacy plugin built from
 * deploy/mosquitto/legacy-plugin, a real Mosquitto from exactly the shipped gridlink-seed-b.conf
 * and gridlink.acl (the main listener as in scale-out, seed B's anonymous listener beside it), a
 * real central in external-broker mode answering seed B for the Feira network, and clients
 * written from the seed text with plain mqtt.js 3.1.1: no username, no password, a client id.
 * On a stock anonymous listener (`allow_anonymous true`, no plugin) every case fails: the forged,
 * snooping and off-topic traffic goes through, the reserved ids connect, no burst is cut.
 */
const ready = mosquittoInstalled && legacyPluginBuildable;
if (!ready && process.env.CI === 'true')
  throw new Error(
    'the seed B Mosquitto suite needs mosquitto, mosquitto_passwd, cc, make and the mosquitto-dev and libmosquitto-dev headers under CI=true',
  );
if (!ready)
  console.warn(
    '\n*** mosquitto, cc, make or the Mosquitto plugin headers missing: SKIPPING the seed B Mosquitto suite. ***\n',
  );

const FEIRA = '/work/shared/data/seed/feira_de_santana_stations.csv';
const SERVER = 'servidor-feira';
const EDGE = 'site7';

/** A seed B station client: broker, port and client id, nothing else (SEEDS.md B). */
class Station {
  readonly heard: Array<{ topic: string; body: Record<string, unknown> }> = [];
  readonly #waiting = new Map<string, (body: Record<string, unknown>) => void>();

  private constructor(
    readonly client: MqttClient,
    readonly id: string,
  ) {
    client.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      this.heard.push({ topic, body });
      this.#waiting.get(String(body.request_id))?.(body);
    });
  }

  static async connect(url: string, id: string): Promise<Station> {
    const client = await mqtt.connectAsync(url, {
      clientId: id,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await client.subscribeAsync(
      [`client/${id}/postos/response`, `client/${id}/postos/reserva/response`],
      { qos: 1 },
    );
    return new Station(client, id);
  }

  /** Publishes a request and resolves with its answer (the test's time-out bounds the wait). */
  ask(topic: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = new Promise<Record<string, unknown>>((resolve) =>
      this.#waiting.set(String(body.request_id), resolve),
    );
    this.client.publish(topic, JSON.stringify(body), { qos: 1 });
    return answer;
  }

  list(requestId: string = randomUUID()) {
    return this.ask('server/postos/request', {
      request_id: requestId,
      client_id: this.id,
      server_id: SERVER,
    });
  }

  reserveBody(postoId: number, placa: string, requestId: string, clientId = this.id) {
    return {
      request_id: requestId,
      client_id: clientId,
      server_id: SERVER,
      carro: {
        placa,
        modelo: 'BYD Dolphin',
        capacidade_bateria: 44.9,
        nivel_bateria_atual: 30,
        taxa_descarga: 0.15,
      },
      posto_id: postoId,
    };
  }
}

/** The CONNACK return code of an anonymous connect with `clientId`, or 0 when it connected. */
async function connackCode(
  url: string,
  clientId: string,
  extra: { username?: string; password?: string } = {},
): Promise<number> {
  return mqtt
    .connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 0, ...extra })
    .then(async (c) => {
      await c.endAsync(true);
      return 0;
    })
    .catch((e: { code?: number }) => e.code ?? -1);
}

describe.skipIf(!ready)('seed B anonymous station clients on Mosquitto (gridlink_legacy)', () => {
  let dir: string;
  let plugin: Awaited<ReturnType<typeof buildLegacyPlugin>>;
  let broker: RunningMosquitto;
  let central: Central;
  let seedBUrl: string;
  /** Another service user on the main listener: hears what reaches the centrals' trees. */
  let watcher: MqttClient;
  /** An edge on the main listener: its session must stay its own. */
  let edge: MqttClient;
  const watched: Array<{ topic: string; payload: string }> = [];
  const closed: string[] = [];
  const stations: Station[] = [];
  const secrets = {
    'gridlink-central-1': randomBytes(24).toString('base64url'),
    'gridlink-central-2': randomBytes(24).toString('base64url'),
    [EDGE]: randomBytes(24).toString('base64url'),
    // A station with a credential: its answers (client/posto-com-senha/…) are not for anonymous.
    'station@posto-com-senha': randomBytes(24).toString('base64url'),
  };
  const station = async (id: string) => {
    const s = await Station.connect(seedBUrl, id);
    stations.push(s);
    return s;
  };
  /** The plugin's running count of one refusal reason, from its latest log line. */
  const refusedSoFar = (reason: string) =>
    Math.max(
      0,
      ...[
        ...broker.log().matchAll(new RegExp(`refused so far: [^)]*\\b${reason} (\\d+)`, 'g')),
      ].map((m) => Number(m[1])),
    );
  const stationIds = async () =>
    (
      await sql<{ id: string | number }>`SELECT s.id FROM ev_stations s
        WHERE (SELECT count(*) FROM ev_points p WHERE p.station_id = s.id) >= 2
        ORDER BY s.id`.execute(central.database.db)
    ).rows.map((r) => Number(r.id));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-seed-b-mosq-'));
    plugin = await buildLegacyPlugin();
    broker = await startMosquitto(secrets, 'gridlink-central-2', {
      seedB: { plugin: plugin.path },
    });
    seedBUrl = broker.seedB?.url ?? '';
    central = await startCentral(
      {
        dataDir: join(dir, 'central'),
        http: { port: 0 },
        mqtt: {
          mode: 'external',
          url: broker.url,
          username: 'gridlink-central-1',
          password: secrets['gridlink-central-1'],
          shareGroup: 'gridlink',
        },
        // The central's own bucket is wide open: only the plugin's may cut the burst below.
        legacy: {
          seedB: {
            enabled: true,
            anonymous: true,
            servers: { [SERVER]: 'feira' },
            rate: { burst: 1_000, perSecond: 1_000 },
          },
        },
      },
      { logger: pino({ level: 'silent' }), scheduler: false },
    );
    const admin = await mintToken(central.database.db, { role: 'admin' });
    const imported = await fetch(
      `${central.http.url}/api/v1/companies/feira/imports?format=feira&name=Feira&connector=ccs2:50000`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv; charset=utf-8' },
        body: readFileSync(FEIRA, 'utf8'),
      },
    );
    expect(imported.status).toBe(200);
    watcher = await mqtt.connectAsync(broker.url, {
      username: 'gridlink-central-2',
      password: secrets['gridlink-central-2'],
      reconnectPeriod: 0,
    });
    watcher.on('message', (topic, payload) => watched.push({ topic, payload: payload.toString() }));
    watcher.on('close', () => closed.push('gridlink-central-2'));
    await watcher.subscribeAsync(['gl/v1/#', 'carros/#', 'server/postos/#', 'client/#'], {
      qos: 1,
    });
    edge = await mqtt.connectAsync(broker.url, {
      username: EDGE,
      password: secrets[EDGE],
      reconnectPeriod: 0,
    });
    edge.on('close', () => closed.push(EDGE));
  });

  afterAll(async () => {
    await Promise.all(stations.map((s) => s.client.endAsync(true)));
    await watcher?.endAsync(true);
    await edge?.endAsync(true);
    await central?.close();
    await broker?.stop();
    await plugin?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('(1) a list request is answered with the company stations', async () => {
    const s = await station('cliente-lista');
    const answer = await s.list('req-1');
    const postos = answer.postos as Array<Record<string, unknown>>;
    const stored = await sql<{ n: string }>`SELECT count(*) AS n FROM ev_stations`.execute(
      central.database.db,
    );
    expect(answer.request_id).toBe('req-1');
    expect(postos.length).toBe(Number(stored.rows[0]?.n));
    expect(postos.find((p) => p.nome === 'EcoCharge Centro')).toMatchObject({
      localizacao: '-12.255,-38.965',
      potencia_maxima: 50,
      tipo_conector: 'CCS2',
    });
  });

  it('(2) a reserve books through the reservation engine: sucesso and a row in ev_reservations', async () => {
    const s = await station('cliente-reserva');
    const [postoId] = await stationIds();
    const answer = await s.ask(
      'server/postos/reserva',
      s.reserveBody(postoId as number, 'ABC1D23', 'r-1'),
    );
    expect(answer).toMatchObject({ request_id: 'r-1', status: 'sucesso' });
    const rows = await central.database.db
      .selectFrom('ev_reservations')
      .select(['plate', 'source'])
      .where('request_id', '=', 'cliente-reserva:r-1')
      .execute();
    expect(rows).toEqual([{ plate: 'ABC1D23', source: 'seed-b' }]);
  });

  it('(3) a request whose client_id is another client is refused: no answer, nothing stored', async () => {
    const victim = await station('cliente-vitima');
    const liar = await station('cliente-mentiroso');
    const [postoId] = await stationIds();
    const seedBRows = async () =>
      Number(
        (
          await sql<{ n: string | number }>`SELECT count(*) AS n FROM ev_reservations
            WHERE source = 'seed-b'`.execute(central.database.db)
        ).rows[0]?.n,
      );
    const reservedBefore = await seedBRows();
    // The forged request, then one of its own on the same connection: the broker keeps their
    // order, so the watcher hears the forged one first if it gets through at all.
    liar.client.publish(
      'server/postos/reserva',
      JSON.stringify(liar.reserveBody(postoId as number, 'QWE1R23', 'forged-1', 'cliente-vitima')),
      { qos: 1 },
    );
    await liar.list('own-1');
    // The watcher is another subscriber: its copy of own-1 may arrive after the central's answer.
    const requests = () =>
      watched
        .filter((w) => w.topic.startsWith('server/postos/'))
        .map((w) => JSON.parse(w.payload).request_id);
    await expect.poll(requests).toContain('own-1');
    expect(requests()).not.toContain('forged-1');
    // The victim's own request is answered, and it is the only answer the victim ever heard.
    await victim.list('v-1');
    expect(victim.heard.map((h) => h.body.request_id)).toEqual(['v-1']);
    const rows = await central.database.db
      .selectFrom('ev_reservations')
      .select('id')
      .where('request_id', '=', 'cliente-vitima:forged-1')
      .execute();
    expect(rows).toEqual([]);
    expect(await seedBRows()).toBe(reservedBefore);
    // Mosquitto writes its log on its own schedule: wait for the line.
    await expect
      .poll(() => broker.log())
      .toMatch(
        /refused publish to server\/postos\/reserva of client 'cliente-mentiroso': payload is not a JSON object whose client_id is the MQTT client id/,
      );
  });

  it("(4) a client subscribing to another client's answers hears nothing of them", async () => {
    const spy = await station('cliente-espiao');
    // Mosquitto answers a refused 3.1.1 subscription with 0x80; mqtt.js then rejects.
    for (const filter of ['client/cliente-alvo/#', 'client/+/postos/response', '#'])
      await spy.client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
    const target = await station('cliente-alvo');
    expect((await target.list('alvo-1')).request_id).toBe('alvo-1');
    // The spy's own answer is published after the target's: had the target's reached the spy,
    // it would have arrived first.
    await spy.list('espiao-1');
    expect(spy.heard.map((h) => h.topic)).toEqual(['client/cliente-espiao/postos/response']);
    await expect
      .poll(() => broker.log())
      .toMatch(/refused subscribe to client\/cliente-alvo\/# of client 'cliente-espiao'/);
  });

  it("(5) publishes to gl/v1/…, a car's topic or another client's answer are not delivered", async () => {
    const intruder = await station('cliente-intruso');
    const forged = [
      `gl/v1/edges/${EDGE}/telemetry`,
      'carros/ABC1D23/status',
      'client/cliente-alvo/postos/response',
    ];
    for (const topic of forged)
      intruder.client.publish(
        topic,
        JSON.stringify({ client_id: 'cliente-intruso', forjado: true }),
        { qos: 1 },
      );
    await intruder.list('intruso-1');
    // The valid request reached the centrals' trees after everything sent before it.
    // (The watcher is another subscriber: its copy may arrive after the central's answer.)
    await expect
      .poll(() =>
        watched.some((w) => w.topic === 'server/postos/request' && w.payload.includes('intruso-1')),
      )
      .toBe(true);
    expect(watched.filter((w) => w.payload.includes('forjado')).map((w) => w.topic)).toEqual([]);
    await expect.poll(() => refusedSoFar('topic')).toBeGreaterThanOrEqual(forged.length);
  });

  it("(6) an anonymous connect with a central's, an edge's, a car's or a credentialed station's id is refused; their sessions stay", async () => {
    for (const id of [
      'gridlink-central-1',
      'gridlink-central-2',
      EDGE,
      `edge-${EDGE}`,
      'car@ABC1D23',
      'posto-com-senha',
      'x'.repeat(65),
    ])
      expect(await connackCode(seedBUrl, id), id).toBe(5);
    // Credentials belong on the main listener.
    expect(
      await connackCode(seedBUrl, 'cliente-com-senha', {
        username: 'gridlink-central-2',
        password: secrets['gridlink-central-2'],
      }),
    ).toBe(5);
    expect(closed).toEqual([]);
    expect(watcher.connected && edge.connected).toBe(true);
    // The central still answers on its session.
    const s = await station('cliente-depois');
    expect((await s.list('depois-1')).request_id).toBe('depois-1');
    expect(closed).toEqual([]);
  });

  it('(7) a burst beyond the rate limit is cut by the broker', async () => {
    const s = await station('cliente-apressado');
    const answered = new Set<string>();
    s.client.on('message', (_t, p) => answered.add(String(JSON.parse(p.toString()).request_id)));
    const rateBefore = refusedSoFar('rate');
    // QoS 1: Mosquitto has decided each publish (and acknowledged even the refused) by the PUBACK.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        s.client.publishAsync(
          'server/postos/request',
          JSON.stringify({ request_id: `f-${i}`, client_id: s.id, server_id: SERVER }),
          { qos: 1 },
        ),
      ),
    );
    // Every request is either answered or refused by the plugin (counted in its log).
    await expect
      .poll(() => answered.size + refusedSoFar('rate') - rateBefore, { timeout: 20_000 })
      .toBe(30);
    expect(answered.size).toBeGreaterThanOrEqual(10); // plugin_opt_rate_burst
    expect(answered.size).toBeLessThan(30);
  });
});
