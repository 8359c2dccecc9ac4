import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { upsertMqttCredential } from '../src/broker/index.js';
import { ALL_COMPANIES, importNetwork } from '../src/ev/index.js';
import { startTestCentral } from './helpers/central.js';

const FEIRA = fileURLToPath(
  new URL('../../deploy/demo/seed/feira_de_santana_stations.csv', import.meta.url),
);

/**
 * A seed A client written from the seed's contract (SEEDS.md A, docs/EV.md "Seed A"): plain
 * HTTP without credentials (anonymous on, as an operator enables it for the original clients)
 * and the MQTT topics `pontos/{id}/disponibilidade` and `reservas/{id}/status`.
 */
describe('seed A client against a real central', { timeout: 120_000 }, () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let base: string;
  let sub: MqttClient;

  beforeAll(async () => {
    t = await startTestCentral({
      legacy: { seedA: { enabled: true, anonymous: true } },
    } as never);
    base = t.central.http.url;
    await importNetwork(
      t.central.database.db,
      ALL_COMPANIES,
      { companyId: 'feira', format: 'feira', content: new Uint8Array(readFileSync(FEIRA)) },
      new Date(),
    );
    const cred = await upsertMqttCredential(
      t.central.database.db,
      'operator',
      'seed-a-watch',
      new Date(),
    );
    sub = await mqtt.connectAsync(t.central.mqttUrl, {
      username: cred.username,
      password: cred.secret,
      clientId: cred.username,
      reconnectPeriod: 0,
    });
  }, 120_000);
  afterAll(async () => {
    await sub?.endAsync(true);
    await t?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    // biome-ignore lint/suspicious/noExplicitAny: the seed's JSON
    return { status: res.status, body: (await res.json()) as any };
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the seed's JSON
    return { status: res.status, body: (await res.json()) as any };
  };

  it("GET /status and GET /pontos answer in the seed's names, without credentials", async () => {
    const status = await get('/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'online', pontos: 250, pontos_disponiveis: 250 });
    const pontos = await get('/pontos');
    expect(pontos.body).toHaveLength(250);
    expect(pontos.body[0]).toMatchObject({
      id: expect.any(Number),
      nome: 'EcoCharge Centro #1',
      estacao: 'EcoCharge Centro',
      localizacao: { latitude: -12.255, longitude: -38.965 },
      disponivel: true,
      em_manutencao: false,
    });
  });

  it('POST /reservas books, a second car on the same slot gets 409, both visible on the topic and GET /reservas', async () => {
    const ponto = (await get('/pontos')).body[3].id as number;
    await sub.subscribeAsync('reservas/+/status');
    const hour = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    const inicio = new Date(hour + 3_600_000).toISOString();
    const fim = new Date(hour + 7_200_000).toISOString();
    const published = new Promise<Buffer>((resolve) =>
      sub.on('message', (topic, payload) => {
        if (topic.startsWith('reservas/')) resolve(payload);
      }),
    );
    const booked = await post('/reservas', { ponto_id: ponto, placa: 'ABC1D23', inicio, fim });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body).toMatchObject({ ponto_id: ponto, placa: 'ABC1D23', status: 'RESERVED' });
    const message = JSON.parse((await published).toString());
    expect(message).toMatchObject({
      id: booked.body.id,
      ponto_id: ponto,
      placa: 'ABC1D23',
      status: 'RESERVED',
    });

    // The seed booked three cars on one point: GridLink refuses the overlap.
    const second = await post('/reservas', { ponto_id: ponto, placa: 'XYZ9K87', inicio, fim });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('GL_EV_SLOT_TAKEN');

    const list = await get('/reservas');
    expect(list.body.map((r: { id: number }) => r.id)).toEqual([booked.body.id]);
    const bad = await post('/reservas', { ponto_id: ponto });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'GL_VALIDATION']);
  });

  it("the availability topic is seed A's: pontos/{id}/disponibilidade {ponto_id, disponivel, em_manutencao}", async () => {
    const ponto = (await get('/pontos')).body[5].id as number;
    const topic = `pontos/${ponto}/disponibilidade`;
    const admin = await mintToken(t.central.database.db, { role: 'admin' });
    const seen: unknown[] = [];
    sub.on('message', (t, payload) => {
      if (t === topic) seen.push(JSON.parse(payload.toString()));
    });
    await sub.subscribeAsync(topic);
    const res = await fetch(`${base}/api/v1/points/${ponto}/maintenance`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ on: true, reason: 'cabo danificado' }),
    });
    expect(res.status, await res.text()).toBeLessThan(300);
    await expect
      .poll(() => seen.at(-1))
      .toEqual({ ponto_id: ponto, em_manutencao: true, disponivel: false });
    const pontos = await get('/pontos');
    expect(pontos.body.find((p: { id: number }) => p.id === ponto)).toMatchObject({
      disponivel: false,
      em_manutencao: true,
    });
  });

  it('the routes are in /openapi.json; with a token they act as its role; anonymous is confined to them', async () => {
    const doc = await get('/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/status', '/pontos', '/reservas']),
    );
    expect(doc.body.paths['/reservas'].post['x-gridlink-policy']).toMatchObject({
      resource: 'reservation',
      action: 'create',
    });
    // Anonymous opens nothing else.
    expect((await get('/api/v1/stations')).status).toBe(401);
    const customer = await mintToken(t.central.database.db, { role: 'customer', subject: '1' });
    expect((await get('/pontos', { authorization: `Bearer ${customer}` })).status).toBe(403);
    expect((await get('/pontos', { authorization: 'Bearer glt_nope' })).status).toBe(401);
  });
});
