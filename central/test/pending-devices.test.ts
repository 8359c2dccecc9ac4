import type { DesiredConfig, PendingDevice } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { ControlPlane } from '../src/control/index.js';
import { createCustomer } from '../src/customers/index.js';
import { edgeStatusHandler, upsertEdgeCredential } from '../src/edges/index.js';
import type { Database } from '../src/storage/index.js';
import { testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2026-11-04T10:00:00Z');
const silent = pino({ level: 'silent' });

const seedD: PendingDevice = {
  key: 'udp-meter:52998224725:1',
  driver: 'udp-meter',
  cpf: '52998224725',
  meterId: '1',
  from: '127.0.0.1:40000',
  firstSeenAt: T0,
  lastSeenAt: T0 + 60_000,
  buffered: 3,
  dropped: 0,
};
const seedE: PendingDevice = {
  key: 'tcp-json-meter:17',
  driver: 'tcp-json-meter',
  meterId: '17',
  firstSeenAt: T0,
  lastSeenAt: T0,
  buffered: 0,
  dropped: 2,
};

describeEachStore('pending devices over HTTP', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let call: ReturnType<typeof testApi>['call'];
  let admin: string;
  let operator: string;
  let customerToken: string;
  let alice: number;
  let bob: number;
  const published: Array<{ topic: string; desired: DesiredConfig }> = [];
  let status: (body: unknown) => Promise<void>;

  beforeAll(async () => {
    database = await store.open();
    await upsertEdgeCredential(database.db, 'e1');
    alice = (await createCustomer(database.db, { document: '52998224725', name: 'Alice' })).id;
    bob = (await createCustomer(database.db, { document: '11222333000181', name: 'Bob Ltda' })).id;
    const control = new ControlPlane({
      db: database.db,
      link: {
        publish: async (topic, payload) => {
          published.push({ topic, desired: JSON.parse(payload) });
        },
      },
      logger: silent,
      now: () => new Date(T0),
    });
    ({ call } = testApi(database, { control }));
    admin = await mintToken(database.db, { role: 'admin' });
    operator = await mintToken(database.db, { role: 'operator' });
    customerToken = await mintToken(database.db, { role: 'customer', subject: String(alice) });
    // The status arrives as the MQTT router hands it over: topic and payload bytes.
    let last: Promise<void> = Promise.resolve();
    const handler = edgeStatusHandler({
      db: database.db,
      logger: silent,
      rejected: { inc: () => {} },
      maxPayloadBytes: 256 * 1024,
      inOrder: (_edge, task) => {
        last = task();
      },
      now: () => T0 + 120_000,
    });
    status = async (body) => {
      handler('gl/v1/edges/e1/status', Buffer.from(JSON.stringify(body)));
      await last;
    };
  });
  afterAll(async () => database?.dispose());

  const pending = (token = operator) => call('GET', '/api/v1/edges/e1/pending-devices', { token });

  it('lists what the edge status reports; the last will keeps it; a status without it clears', async () => {
    expect((await pending()).body).toEqual({ edgeId: 'e1', reportedAt: null, items: [] });
    await status({ edgeId: 'e1', online: true, pending: [seedD, seedE] });
    const r = await pending();
    expect(r.status).toBe(200);
    expect(r.body.reportedAt).toBe(new Date(T0 + 120_000).toISOString());
    expect(r.body.items).toEqual([
      {
        key: seedD.key,
        driver: 'udp-meter',
        cpf: '52998224725',
        meterId: '1',
        from: '127.0.0.1:40000',
        firstSeenAt: '2026-11-04T10:00:00.000Z',
        lastSeenAt: '2026-11-04T10:01:00.000Z',
        buffered: 3,
        dropped: 0,
        boundAs: null,
      },
      expect.objectContaining({ key: seedE.key, cpf: null, from: null, dropped: 2 }),
    ]);
    // The MQTT last will says nothing of pending meters: the edge still holds them.
    await status({ edgeId: 'e1', online: false });
    expect((await pending()).body.items).toHaveLength(2);
    await status({ edgeId: 'e1', online: true, pending: [seedD, seedE] });
  });

  it('only staff read it; unknown edge 404', async () => {
    expect((await pending(customerToken)).status).toBe(403);
    expect((await pending(admin)).status).toBe(200);
    const r = await call('GET', '/api/v1/edges/nope/pending-devices', { token: operator });
    expect([r.status, r.body.error.code]).toEqual([404, 'GL_EDGE_UNKNOWN']);
  });

  it('binds by document with a derived id; 202, desired config carries it; twice is the same', async () => {
    const url = `/api/v1/edges/e1/pending-devices/${seedD.key}/bind`;
    const r = await call('POST', url, { token: operator, body: { document: '529.982.247-25' } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({
      edgeId: 'e1',
      meterId: expect.any(Number),
      deviceId: 'd-52998224725-1',
      configVersion: 1,
    });
    expect(published.at(-1)).toEqual({
      topic: 'gl/v1/edges/e1/config',
      desired: {
        version: 1,
        config: {
          provisioned: [
            {
              id: 'd-52998224725-1',
              driver: 'udp-meter',
              meterId: '1',
              cpf: '52998224725',
              pendingKey: seedD.key,
            },
          ],
        },
      },
    });
    const again = await call('POST', url, { token: admin, body: { customerId: alice } });
    expect([again.status, again.body]).toEqual([202, r.body]);
    // The meter is the customer's now (the meters API), and the list shows the binding.
    const meters = await call('GET', `/api/v1/customers/${alice}/meters`, { token: admin });
    expect(meters.body.items).toEqual([
      expect.objectContaining({ id: r.body.meterId, edgeId: 'e1', deviceId: 'd-52998224725-1' }),
    ]);
    expect((await pending()).body.items[0].boundAs).toBe('d-52998224725-1');
    // Bound to Alice: binding it to Bob is a conflict.
    const other = await call('POST', url, { token: admin, body: { customerId: bob } });
    expect([other.status, other.body.error.code]).toEqual([409, 'GL_CONFLICT']);
    // The edge applied it and no longer lists the key: it is gone.
    await status({ edgeId: 'e1', online: true, configVersion: 1, pending: [seedE] });
    expect((await pending()).body.items.map((p: { key: string }) => p.key)).toEqual([seedE.key]);
    const gone = await call('POST', url, { token: admin, body: { customerId: alice } });
    expect([gone.status, gone.body.error.code]).toEqual([404, 'GL_NOT_FOUND']);
  });

  it('binds a seed E meter with a chosen id, keeping the earlier entry', async () => {
    const r = await call('POST', `/api/v1/edges/e1/pending-devices/${seedE.key}/bind`, {
      token: operator,
      body: { customerId: bob, deviceId: 'bob-main' },
    });
    expect([r.status, r.body.deviceId, r.body.configVersion]).toEqual([202, 'bob-main', 2]);
    expect(published.at(-1)?.desired.config.provisioned).toEqual([
      expect.objectContaining({ id: 'd-52998224725-1' }),
      { id: 'bob-main', driver: 'tcp-json-meter', meterId: 17, pendingKey: seedE.key },
    ]);
  });

  it('refuses bad bodies and keys with 400/404, never 500', async () => {
    const url = `/api/v1/edges/e1/pending-devices/${seedE.key}/bind`;
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'GL_VALIDATION'],
      [{ customerId: alice, document: '52998224725' }, 400, 'GL_VALIDATION'],
      [{ customerId: 39053344705 }, 400, 'GL_VALIDATION'],
      [{ customerId: alice, extra: 1 }, 400, 'GL_VALIDATION'],
      [{ customerId: alice, deviceId: 'no spaces' }, 400, 'GL_VALIDATION'],
      [{ document: '52998224700' }, 400, 'GL_DOCUMENT_INVALID'],
      [{ document: '39053344705' }, 404, 'GL_NOT_FOUND'],
      [{ customerId: 999_999 }, 404, 'GL_NOT_FOUND'],
    ];
    for (const [body, code, error] of cases) {
      const r = await call('POST', url, { token: operator, body });
      expect([JSON.stringify(body), r.status, r.body.error.code]).toEqual([
        JSON.stringify(body),
        code,
        error,
      ]);
    }
    const badKey = await call('POST', '/api/v1/edges/e1/pending-devices/modbus:1/bind', {
      token: operator,
      body: { customerId: alice },
    });
    expect(badKey.status).toBe(400);
    const customer = await call('POST', url, { token: customerToken, body: { customerId: alice } });
    expect(customer.status).toBe(403);
  });

  it('pre-provisions a meter that has not spoken yet', async () => {
    const r = await call('POST', '/api/v1/edges/e1/provisioned-meters', {
      token: operator,
      body: { customerId: alice, driver: 'udp-meter', meterId: '2', cpf: '52998224725' },
    });
    expect([r.status, r.body.deviceId, r.body.configVersion]).toEqual([202, 'd-52998224725-2', 3]);
    expect(published.at(-1)?.desired.config.provisioned).toContainEqual({
      id: 'd-52998224725-2',
      driver: 'udp-meter',
      meterId: '2',
      cpf: '52998224725',
    });
    const e = await call('POST', '/api/v1/edges/e1/provisioned-meters', {
      token: operator,
      body: { customerId: alice, driver: 'tcp-json-meter', meterId: 'x1' },
    });
    expect([e.status, e.body.error.code]).toEqual([400, 'GL_VALIDATION']);
    // The same physical meter under a second id: conflict.
    const twin = await call('POST', '/api/v1/edges/e1/provisioned-meters', {
      token: operator,
      body: { customerId: bob, driver: 'tcp-json-meter', meterId: '17', deviceId: 'again' },
    });
    expect([twin.status, twin.body.error.code]).toEqual([409, 'GL_CONFLICT']);
  });
});
