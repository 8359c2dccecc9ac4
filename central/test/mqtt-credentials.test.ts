import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import {
  listMqttCredentials,
  revokeMqttCredential,
  upsertMqttCredential,
} from '../src/broker/index.js';
import { testApi } from './helpers/api.js';
import { startTestCentral } from './helpers/central.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * MQTT credentials of cars, station clients, operator subscribers and peers through the API,
 * used over the embedded broker's real wire (docs/SECURITY.md, "MQTT: principals and policy").
 */
describe('PUT/GET/DELETE /api/v1/mqtt/credentials on a running central', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let admin: string;
  let operator: string;
  const http = async (
    method: string,
    path: string,
    token?: string,
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
  ): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${t.central.http.url}/api/v1/mqtt/credentials${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: r.status, body: r.status === 204 ? undefined : await r.json() };
  };
  const connectAs = (username: string, password: string, clientId = username) =>
    mqtt.connectAsync(t.central.mqttUrl, { username, password, clientId, reconnectPeriod: 0 });

  beforeAll(async () => {
    t = await startTestCentral();
    admin = await mintToken(t.central.database.db, { role: 'admin' });
    operator = await mintToken(t.central.database.db, { role: 'operator' });
  });
  afterAll(() => t.close());

  it("a car's credential from the API connects it, and its status reaches the central", async () => {
    const put = await http('PUT', '/car/ABC1D23', admin);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      kind: 'car',
      name: 'ABC1D23',
      username: 'car@ABC1D23',
      created: true,
    });
    expect(put.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // What the central's broker receives on the car's topic (in-process, as the ingest reads).
    const received = new Promise<string>((resolve) =>
      t.central.broker?.aedes.subscribe(
        'carros/ABC1D23/status',
        (packet, cb) => {
          resolve(packet.payload.toString());
          cb();
        },
        () => undefined,
      ),
    );
    const car = await connectAs('car@ABC1D23', put.body.secret, 'car@ABC1D23:app');
    const status = JSON.stringify({ placa: 'ABC1D23', nivel_bateria: 80, em_carregamento: false });
    await car.publishAsync('carros/ABC1D23/status', status, { qos: 1 });
    expect(await received).toBe(status);
    await car.endAsync();

    // Stored hashed: the secret itself is nowhere in the row.
    const row = await t.central.database.db
      .selectFrom('mqtt_credentials')
      .selectAll()
      .where('name', '=', 'ABC1D23')
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(put.body.secret);
  });

  it("a car cannot connect under another car's client id (CONNACK 2)", async () => {
    const put = await http('PUT', '/car/DEF2E34', admin);
    await expect(connectAs('car@DEF2E34', put.body.secret, 'car@ABC1D23')).rejects.toThrow(
      /Identifier rejected/i,
    );
  });

  it('rotating replaces the secret; revoking refuses the next CONNECT; a second revoke is 404', async () => {
    const first = await http('PUT', '/station/st-1', admin);
    const second = await http('PUT', '/station/st-1', admin);
    expect(second.body).toMatchObject({ username: 'station@st-1', created: false });
    expect(second.body.secret).not.toBe(first.body.secret);
    await expect(connectAs('station@st-1', first.body.secret, 'st-1')).rejects.toThrow(
      /Bad username or password/i,
    );
    const station = await connectAs('station@st-1', second.body.secret, 'st-1');
    await station.endAsync();

    expect((await http('DELETE', '/station/st-1', admin)).status).toBe(204);
    await expect(connectAs('station@st-1', second.body.secret, 'st-1')).rejects.toThrow(
      /Bad username or password/i,
    );
    const again = await http('DELETE', '/station/st-1', admin);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('GL_NOT_FOUND');
  });

  it('lists credentials without secrets', async () => {
    await http('PUT', '/operator/ops', admin);
    const list = await http('GET', '', admin);
    expect(list.status).toBe(200);
    const ops = list.body.items.find((i: { name: string }) => i.name === 'ops');
    expect(Object.keys(ops).sort()).toEqual(['createdAt', 'kind', 'name', 'rotatedAt', 'username']);
    expect(ops.username).toBe('operator@ops');
  });

  it.each([
    ['/car/abc1d23', /plate/],
    ['/car/ABC-1234', /plate/],
    ['/station/edge-site-7', /client ids of other principals/],
    ['/station/central', /client ids of other principals/],
    ['/operator/.hidden', /1-64/],
    ['/edge/site-7', /kind/], // edges keep PUT /api/v1/edges/{edgeId}/credential
    ['/service/central', /kind/],
  ])('PUT %s is refused with GL_VALIDATION naming the problem', async (path, message) => {
    const res = await http('PUT', path, admin);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GL_VALIDATION');
    expect(res.body.error.message).toMatch(message);
  });

  it('is admin only', async () => {
    expect((await http('PUT', '/peer/acme', operator)).status).toBe(403);
    expect((await http('GET', '', operator)).status).toBe(403);
    expect((await http('DELETE', '/car/ABC1D23', operator)).status).toBe(403);
    expect((await http('GET', '')).status).toBe(401);
  });
});

describeEachStore('MQTT credential store', (store) => {
  let database: Awaited<ReturnType<typeof store.open>>;
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('creates, rotates (keeping created_at), lists by kind and name, revokes', async () => {
    const t0 = new Date('2026-12-01T00:00:00Z');
    const t1 = new Date('2026-12-02T00:00:00Z');
    const a = await upsertMqttCredential(database.db, 'peer', 'acme', t0);
    await upsertMqttCredential(database.db, 'car', 'ABC1D23', t0);
    const b = await upsertMqttCredential(database.db, 'peer', 'acme', t1);
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.secret).not.toBe(a.secret);
    expect(await listMqttCredentials(database.db)).toEqual([
      { kind: 'car', name: 'ABC1D23', username: 'car@ABC1D23', createdAt: t0, rotatedAt: t0 },
      { kind: 'peer', name: 'acme', username: 'peer@acme', createdAt: t0, rotatedAt: t1 },
    ]);
    expect(await revokeMqttCredential(database.db, 'peer', 'acme')).toBe(true);
    expect(await revokeMqttCredential(database.db, 'peer', 'acme')).toBe(false);
    expect((await listMqttCredentials(database.db)).map((c) => c.name)).toEqual(['ABC1D23']);
  });
});

// testApi keeps the route reachable through app.request() as well (no server): the OpenAPI
// document lists the three operations.
describe('the OpenAPI document', () => {
  it('describes the credential routes', async () => {
    const { openDatabase } = await import('../src/storage/index.js');
    const database = await openDatabase({ kind: 'pglite' });
    const doc = await testApi(database).call('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/api/v1/mqtt/credentials/{kind}/{name}']).sort()).toEqual([
      'delete',
      'put',
    ]);
    expect(doc.body.paths['/api/v1/mqtt/credentials']).toHaveProperty('get');
    await database.close();
  });
});
