import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { upsertMqttCredential } from '../src/broker/index.js';
import { type Central, type CentralConfigInput, startCentral } from '../src/index.js';
import { SeedBClient } from './seed-b-client.js';

const run = promisify(execFile);
const FEIRA = '/work/shared/data/seed/feira_de_santana_stations.csv';
const SERVER = 'servidor-feira';

/**
 * Seed B (SEEDS.md B, issue #18 item 1) on a running central: PGlite, the embedded broker, the
 * Feira de Santana network imported over HTTP, station clients written from the seed contract
 * connecting with nothing but a client id. Lists with live availability, reservations through
 * the real engine and visible in the API, every refusal, and 100 concurrent clients.
 */
describe('seed B station clients over MQTT (anonymous on)', () => {
  const lines: Array<Record<string, unknown>> = [];
  let dataDir: string;
  let central: Central;
  let admin: string;
  const clients: SeedBClient[] = [];

  const open = (dir: string, seedB: Record<string, unknown>) =>
    startCentral(
      {
        dataDir: dir,
        http: { port: 0 },
        mqtt: {
          mode: 'embedded',
          port: 0,
          // 100 clients connect from one address at once.
          limits: { connectRate: { burst: 1_000, perSecond: 1_000 } },
        },
        legacy: { seedB: { enabled: true, servers: { [SERVER]: 'feira' }, ...seedB } },
      } as CentralConfigInput,
      {
        logger: pino(
          { level: 'info' },
          {
            write: (line: string) => {
              lines.push(JSON.parse(line));
            },
          },
        ),
      },
    );

  const http = async (method: string, path: string, body?: string, type?: string) => {
    const r = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(type ? { 'content-type': type } : {}),
      },
      body,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies
    return { status: r.status, body: (await r.json()) as any };
  };
  const connect = async (id: string) => {
    const c = await SeedBClient.connect(central.mqttUrl, id);
    clients.push(c);
    return c;
  };
  /** Stations with exactly `n` points, by id. */
  const stationsWith = async (n: number) =>
    (
      await sql<{ id: string | number }>`SELECT s.id FROM ev_stations s
        WHERE (SELECT count(*) FROM ev_points p WHERE p.station_id = s.id) = ${n}
        ORDER BY s.id`.execute(central.database.db)
    ).rows.map((r) => Number(r.id));

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-seed-b-'));
    central = await open(dataDir, { anonymous: true, rate: { burst: 20, perSecond: 20 } });
    admin = await mintToken(central.database.db, { role: 'admin' });
    const imported = await http(
      'POST',
      '/companies/feira/imports?format=feira&name=Feira&connector=ccs2:50000',
      readFileSync(FEIRA, 'utf8'),
      'text/csv; charset=utf-8',
    );
    expect(imported.status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
    await central?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists the company stations with live availability, price, power and connector', async () => {
    const c = await connect('cliente-lista');
    const first = await c.list(SERVER, 'req-1');
    expect(first).not.toBeNull();
    const postos = first?.postos as Array<Record<string, unknown>>;
    expect(first?.request_id).toBe('req-1');
    expect(postos.length).toBe(
      Number(
        (
          await sql<{ n: string }>`SELECT count(*) AS n FROM ev_stations`.execute(
            central.database.db,
          )
        ).rows[0]?.n,
      ),
    );
    const one = postos.find((p) => p.nome === 'EcoCharge Centro');
    expect(one).toEqual({
      id: expect.any(Number),
      nome: 'EcoCharge Centro',
      localizacao: '-12.255,-38.965',
      potencia_maxima: 50,
      tipo_conector: 'CCS2',
      preco_kwh: 1.95, // DEFAULT_TARIFF's ENERGY component
      disponivel: true,
      em_manutencao: false,
    });
    // Every point of the station in maintenance: the next list says so.
    const station = await http('GET', `/stations/${one?.id}`);
    for (const p of station.body.pointList)
      expect(
        (
          await http(
            'PUT',
            `/points/${p.id}/maintenance`,
            '{"on":true,"reason":"obra"}',
            'application/json',
          )
        ).status,
      ).toBe(200);
    const second = await c.list(SERVER, 'req-2');
    const after = ((second?.postos ?? []) as Array<Record<string, unknown>>).find(
      (p) => p.id === one?.id,
    );
    expect(after).toMatchObject({ disponivel: false, em_manutencao: true });
  });

  it('reserves through the reservation engine: sucesso, visible in GET /reservations; a retry books nothing more', async () => {
    const c = await connect('cliente-reserva');
    const [stationId] = await stationsWith(2);
    const answer = await c.reserve(SERVER, stationId as number, 'ABC1D23', 'r-1');
    expect(answer).toMatchObject({ request_id: 'r-1', status: 'sucesso' });
    expect(answer?.mensagem).toMatch(/^Reserva \d+ confirmada no posto /);
    const id = Number(/Reserva (\d+)/.exec(String(answer?.mensagem))?.[1]);
    const listed = await http('GET', '/reservations?limit=100');
    const mine = listed.body.items.find((r: { id: number }) => r.id === id);
    expect(mine).toMatchObject({
      plate: 'ABC1D23',
      source: 'seed-b',
      state: 'RESERVED',
      requestId: 'cliente-reserva:r-1',
    });
    // The client retries the same request: the same booking, no second row.
    const again = await c.reserve(SERVER, stationId as number, 'ABC1D23', 'r-1');
    expect(again).toMatchObject({ status: 'sucesso' });
    expect(again?.mensagem).toContain(`Reserva ${id} `);
    const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ev_reservations
      WHERE request_id = 'cliente-reserva:r-1'`.execute(central.database.db);
    expect(Number(rows.rows[0]?.n)).toBe(1);
  });

  it('a taken station answers erro with a message; bad requests answer erro', async () => {
    const [single] = await stationsWith(1);
    const a = await connect('cliente-a');
    const b = await connect('cliente-b');
    expect(await a.reserve(SERVER, single as number, 'XYZ9A87')).toMatchObject({
      status: 'sucesso',
    });
    const taken = await b.reserve(SERVER, single as number, 'QWE1R23');
    expect(taken).toMatchObject({ status: 'erro' });
    expect(taken?.mensagem).toMatch(
      /^Nenhum ponto livre no posto .+; próximo horário livre às \d\d:\d\d$/,
    );
    expect(await b.reserve(SERVER, 999_999, 'QWE1R23')).toMatchObject({
      status: 'erro',
      mensagem: 'posto 999999 não encontrado',
    });
    expect(await b.reserve(SERVER, single as number, 'not a plate')).toMatchObject({
      status: 'erro',
      mensagem: 'placa inválida: not a plate',
    });
  });

  it('a request naming another server gets no answer; a client_id that is not the MQTT client id is refused', async () => {
    const c = await connect('cliente-outro');
    const before = central.legacy.seedB?.counts();
    c.client.publish(
      'server/postos/request',
      JSON.stringify({ request_id: 'x-1', client_id: 'cliente-outro', server_id: 'servidor-2' }),
      { qos: 1 },
    );
    await expect
      .poll(() => central.legacy.seedB?.counts().otherServer)
      .toBe((before?.otherServer ?? 0) + 1);
    // Answered requests after it come back; the other server's never does.
    expect(await c.list(SERVER, 'x-2')).not.toBeNull();
    expect(c.answers.map((a) => a.body.request_id)).toEqual(['x-2']);

    // A client asks for answers on another client's topic: the broker closes it, nothing is answered.
    const victim = await connect('cliente-vitima');
    const liar = await connect('cliente-mentiroso');
    const closed = new Promise<void>((r) => liar.client.once('close', () => r()));
    liar.client.publish(
      'server/postos/request',
      JSON.stringify({ request_id: 'm-1', client_id: 'cliente-vitima', server_id: SERVER }),
      { qos: 1 },
    );
    await closed;
    expect(
      lines.find(
        (l) =>
          l.code === 'GL_MQTT_PUBLISH_DENIED' &&
          l.who === 'station:cliente-mentiroso' &&
          l.reason === 'client_id differs from the MQTT client id',
      ),
    ).toBeDefined();
    expect(await victim.list(SERVER, 'v-1')).not.toBeNull();
    expect(victim.answers.map((a) => a.body.request_id)).toEqual(['v-1']);
  });

  it('confines anonymous clients: no other subtree, no other topic, no reserved or credentialed id', async () => {
    const c = await connect('cliente-confinado');
    // SUBACK 0x80 for each (MQTT-3.9.3): mqtt.js rejects a subscribe that got only failures.
    await expect(c.client.subscribeAsync('client/cliente-a/#')).rejects.toThrow(/Subscribe error/);
    await expect(c.client.subscribeAsync('pontos/+/disponibilidade')).rejects.toThrow(
      /Subscribe error/,
    );
    const refusedId = async (clientId: string) => {
      const err = await mqtt
        .connectAsync(central.mqttUrl, { clientId, reconnectPeriod: 0 })
        .then((cl) => cl.endAsync().then(() => null))
        .catch((e: { code?: number }) => e);
      return err?.code;
    };
    expect(await refusedId('edge-site-1')).toBe(2);
    expect(await refusedId('central-x')).toBe(2);
    await upsertMqttCredential(central.database.db, 'station', 'posto-com-senha', new Date());
    expect(await refusedId('posto-com-senha')).toBe(2);
  });

  it('rate-limits each client: past its bucket, requests get no answer and are counted', async () => {
    const c = await connect('cliente-apressado');
    const before = central.legacy.seedB?.counts().rateLimited ?? 0;
    for (let i = 0; i < 30; i++)
      c.client.publish(
        'server/postos/request',
        JSON.stringify({ request_id: `f-${i}`, client_id: 'cliente-apressado', server_id: SERVER }),
        { qos: 1 },
      );
    await expect
      .poll(() => central.legacy.seedB?.counts().rateLimited ?? 0)
      .toBeGreaterThan(before);
    expect(
      lines.some((l) => l.code === 'GL_RATE_LIMITED' && l.clientId === 'cliente-apressado'),
    ).toBe(true);
  });

  it('mosquitto_pub (an independent client, no credentials) is answered; one naming another client_id is cut', async () => {
    const answered = new Promise<string>((resolve) =>
      central.broker?.aedes.subscribe(
        'client/mosq-pub/postos/response',
        (packet, done) => {
          done();
          resolve(packet.payload.toString());
        },
        () => undefined,
      ),
    );
    const port = String(central.broker?.bound.port);
    const pub = (clientId: string, body: object) =>
      run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-i',
        clientId,
        '-q',
        '1',
        '-t',
        'server/postos/request',
        '-m',
        JSON.stringify(body),
      ]);
    await pub('mosq-pub', { request_id: 'mp-1', client_id: 'mosq-pub', server_id: SERVER });
    const body = JSON.parse(await answered);
    expect(body.request_id).toBe('mp-1');
    expect(body.postos.length).toBeGreaterThan(90);
    // mosquitto_sub outside its own subtree: the broker refuses the subscription.
    const sub = await run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-i',
      'mosq-sub',
      '-t',
      'client/other/#',
      '-C',
      '1',
      '-W',
      '3',
    ]).catch((e: { stderr: string }) => e);
    expect(String((sub as { stderr: string }).stderr)).toMatch(
      /denied|refused|failure|Subscription/i,
    );
  });

  it('100 concurrent clients: every list and reserve answered inside its time-out, no booking lost or doubled', async () => {
    // The first two-point station has a booking from an earlier test.
    const stations = (await stationsWith(2)).slice(1, 11);
    const many = await Promise.all(Array.from({ length: 100 }, (_, i) => connect(`carga-${i}`)));
    const lists = await Promise.all(many.map((c) => c.list(SERVER)));
    expect(lists.every((l) => l !== null && (l.postos as unknown[]).length > 90)).toBe(true);
    const plates = (i: number) => `LOD${i % 10}A${String(i).padStart(2, '0').slice(-2)}`;
    const reserves = await Promise.all(
      many.map((c, i) =>
        c.reserve(SERVER, stations[i % stations.length] as number, plates(i), `c-${i}`),
      ),
    );
    expect(reserves.every((r) => r !== null)).toBe(true);
    const ok = reserves.filter((r) => r?.status === 'sucesso');
    // 10 stations x 2 points, one slot each from now: 20 bookings, 80 refusals with a message.
    expect(ok.length).toBe(20);
    expect(
      reserves
        .filter((r) => r?.status === 'erro')
        .every((r) => /Nenhum ponto livre/.test(String(r?.mensagem))),
    ).toBe(true);
    const db = central.database.db;
    const rows = await sql<{ n: string; ids: string }>`SELECT count(*) AS n,
        count(DISTINCT request_id) AS ids FROM ev_reservations
      WHERE source = 'seed-b' AND request_id LIKE 'carga-%'`.execute(db);
    expect(Number(rows.rows[0]?.n)).toBe(ok.length);
    expect(Number(rows.rows[0]?.ids)).toBe(ok.length);
    const answeredIds = ok
      .map((r) => Number(/Reserva (\d+)/.exec(String(r?.mensagem))?.[1]))
      .sort((a, b) => a - b);
    const stored = await sql<{ id: string }>`SELECT id FROM ev_reservations
      WHERE source = 'seed-b' AND request_id LIKE 'carga-%' ORDER BY id`.execute(db);
    expect(stored.rows.map((r) => Number(r.id))).toEqual(answeredIds);
    const overlaps = await sql<{ n: string }>`SELECT count(*) AS n FROM ev_reservations a
      JOIN ev_reservations b ON a.point_id = b.point_id AND a.id < b.id AND a.period && b.period
      WHERE a.state IN ('PENDING','RESERVED','FULFILLED') AND b.state IN ('PENDING','RESERVED','FULFILLED')`.execute(
      db,
    );
    expect(Number(overlaps.rows[0]?.n)).toBe(0);
  });
});

describe('seed B with anonymous off', () => {
  let dataDir: string;
  let central: Central;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-seed-b-off-'));
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        legacy: { seedB: { enabled: true, servers: { [SERVER]: 'feira' } } },
      } as CentralConfigInput,
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await central?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses an anonymous CONNECT; a station with its credential is answered', async () => {
    const err = await mqtt
      .connectAsync(central.mqttUrl, { clientId: 'anonimo', reconnectPeriod: 0 })
      .then(() => null)
      .catch((e: { code?: number }) => e);
    expect(err?.code).toBe(4);
    const { username, secret } = await upsertMqttCredential(
      central.database.db,
      'station',
      'posto-1',
      new Date(),
    );
    const c = await SeedBClient.connect(central.mqttUrl, 'posto-1', { username, password: secret });
    const answer = await c.list(SERVER, randomUUID());
    expect(answer?.postos).toEqual([]);
    await c.end();
  });
});
