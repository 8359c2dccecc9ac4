import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic, FakeClock, type TelemetryBatch } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Central, startCentral } from '../src/index.js';
import type { Scheduler } from '../src/jobs/index.js';
import {
  backoffDelay,
  createWebhook,
  DEFAULT_WEBHOOK_SETTINGS,
  isRefusedAddress,
  signBody,
  targetProblem,
  verifySignature,
  WebhookDispatcher,
  webhookAlarmPublisher,
} from '../src/notifications/index.js';
import { CPF_A, testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  res: ServerResponse;
}

/** A real HTTP receiver on port 0; `answer` decides per request (or leaves it unanswered). */
async function receiver(answer: (r: Received, n: number) => void) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), res };
      got.push(r);
      answer(r, got.length);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('signatures and targets', () => {
  it('signs t.body with HMAC-SHA256 and verifies only the same key, body and a fresh t', () => {
    // HMAC-SHA256("k", "1700000000.{}") computed independently with openssl:
    //   printf '1700000000.{}' | openssl dgst -sha256 -hmac k
    expect(signBody('k', '{}', 1_700_000_000)).toBe(
      't=1700000000,v1=c6ef4734033cee2367414a0939385eca0397754aa7a59716da7463a9298b5146',
    );
    const h = signBody('key', '{"a":1}', 1_700_000_000);
    expect(verifySignature('key', '{"a":1}', h, 1_700_000_100)).toBe(true);
    expect(verifySignature('key', '{"a":2}', h, 1_700_000_100)).toBe(false);
    expect(verifySignature('other', '{"a":1}', h, 1_700_000_100)).toBe(false);
    expect(verifySignature('key', '{"a":1}', h, 1_700_000_301)).toBe(false);
    expect(verifySignature('key', '{"a":1}', undefined, 1_700_000_000)).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['fe80::1', true],
    ['10.0.0.5', false],
    ['192.168.1.10', false],
    ['203.0.113.7', false],
    ['2001:db8::1', false],
  ])('address %s refused: %s', (address, refused) => {
    expect(isRefusedAddress(address)).toBe(refused);
  });

  it.each([
    ['http://127.0.0.1:9/x', 'loopback or link-local target refused'],
    ['http://[::1]/x', 'loopback or link-local target refused'],
    ['http://localhost/x', 'loopback target refused'],
    ['http://169.254.169.254/latest/meta-data', 'loopback or link-local target refused'],
    ['ftp://ops.example.com/x', 'must be http or https'],
    ['https://u:p@ops.example.com/x', 'must not carry credentials'],
    ['nonsense', 'not a URL'],
    ['https://ops.example.com/gridlink', undefined],
  ])('target %s → %s', (url, problem) => {
    expect(targetProblem(url, { allowLoopback: false })).toBe(problem);
  });

  it('backs off exponentially up to the cap', () => {
    const b = { baseMs: 1000, maxMs: 5000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, b))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

describeEachStore('webhook API', (store) => {
  let database: Awaited<ReturnType<typeof store.open>>;
  let api: ReturnType<typeof testApi>;
  const t: Record<string, string> = {};
  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    t.operator = await mintToken(database.db, { role: 'operator' });
    t.admin = await mintToken(database.db, { role: 'admin' });
    const c = await createCustomer(database.db, { document: CPF_A, name: 'Ana' });
    t.customer = await mintToken(database.db, { role: 'customer', subject: String(c.id) });
  });
  afterAll(() => database.dispose());

  it('operators register, list (no secret) and delete; loopback refused by default; customers 403', async () => {
    const body = { name: 'pager', url: 'https://ops.example.com/gridlink' };
    const made = await api.call('POST', '/api/v1/webhooks', { token: t.operator, body });
    expect(made.status, made.text).toBe(201);
    expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = await api.call('GET', '/api/v1/webhooks', { token: t.admin });
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: made.body.id, name: 'pager', url: body.url }),
    ]);
    expect(list.text).not.toContain(made.body.secret);
    const local = await api.call('POST', '/api/v1/webhooks', {
      token: t.operator,
      body: { name: 'x', url: 'http://127.0.0.1:8080/hook' },
    });
    expect(local.status).toBe(400);
    expect(local.body.error.message).toMatch(/loopback/);
    for (const [method, path] of [
      ['POST', '/api/v1/webhooks'],
      ['GET', '/api/v1/webhooks'],
      ['DELETE', `/api/v1/webhooks/${made.body.id}`],
      ['GET', `/api/v1/webhooks/${made.body.id}/deliveries`],
    ] as const) {
      const r = await api.call(method, path, {
        token: t.customer,
        body: method === 'POST' ? body : undefined,
      });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect(
      (await api.call('DELETE', `/api/v1/webhooks/${made.body.id}`, { token: t.operator })).status,
    ).toBe(204);
    expect(
      (await api.call('DELETE', `/api/v1/webhooks/${made.body.id}`, { token: t.operator })).status,
    ).toBe(404);
    expect((await api.call('GET', '/api/v1/webhooks', { token: t.admin })).body.items).toEqual([]);
  });
  it('a name that resolves to loopback is refused at connection time, once, without retry', async () => {
    const r = await receiver((x) => x.res.writeHead(204).end());
    const clock = new FakeClock(Date.parse('2026-01-15T12:00:00Z'));
    const dispatcher = new WebhookDispatcher({
      db: database.db,
      clock,
      logger: pino({ level: 'silent' }),
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, allowLoopback: false },
    });
    try {
      // Stored without the registration check: only the connect-time check stands in the way.
      const hook = await createWebhook(database.db, {
        name: 'rebinding',
        url: r.url.replace('127.0.0.1', 'localhost'),
        createdBy: 'test',
        now: new Date(clock.now()),
      });
      const publisher = webhookAlarmPublisher({
        db: database.db,
        now: () => new Date(clock.now()),
        notify: () => dispatcher.notify(),
        logger: pino({ level: 'silent' }),
      });
      await publisher.publish(
        'gl/v1/operators/alarms',
        JSON.stringify({ transition: 'raised', alarm: { id: 7 } }),
      );
      const deliveries = async () =>
        (await api.call('GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: t.operator }))
          .body.items;
      await expect.poll(async () => (await deliveries())[0]?.state).toBe('failed');
      const [d] = await deliveries();
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]).toMatchObject({
        status: null,
        error: expect.stringMatching(/target address refused/),
      });
      expect(r.got).toHaveLength(0);
    } finally {
      await dispatcher.stop();
      await r.close();
    }
  });
});

/**
 * The whole path on a real central with a fake clock: an edge's telemetry with a register going
 * backwards → the alarm sweep raises meter.tamper → three registered receivers get a signed POST:
 * one verifies and accepts, one fails once then accepts (retried after the backoff), one never
 * answers (each attempt times out, then the delivery fails). Every attempt is visible over the API.
 */
describe('alarm webhooks deliver, retry and record', () => {
  const clock = new FakeClock(Date.parse('2024-03-10T12:00:00Z'));
  const tasks = new Map<string, (at: Date) => Promise<void>>();
  const scheduler: Scheduler = {
    schedule(_expression, options, task) {
      tasks.set(options.name, task);
      return { stop: () => tasks.delete(options.name) };
    },
  };
  let central: Central;
  let dataDir: string;
  let edge: MqttClient;
  let operator: string;
  const secrets: Record<string, string> = {};
  const ids: Record<string, number> = {};
  const verified: boolean[] = [];
  let good: Awaited<ReturnType<typeof receiver>>;
  let flaky: Awaited<ReturnType<typeof receiver>>;
  let silent: Awaited<ReturnType<typeof receiver>>;
  /** An operator MQTT credential's client (item 7's second half), subscribed to every alarm. */
  let ops: MqttClient;
  const opsGot: Array<{ topic: string; payload: string }> = [];

  const http = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${operator}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const deliveries = async (name: string) =>
    (await http('GET', `/webhooks/${ids[name]}/deliveries`)).body.items as Array<{
      event: string;
      state: string;
      attempts: Array<{ attempt: number; at: string; status: number | null; error: string | null }>;
    }>;

  beforeAll(async () => {
    good = await receiver((r) => {
      verified.push(
        verifySignature(
          secrets.good as string,
          r.body,
          r.headers['x-gridlink-signature'] as string,
          clock.now() / 1000,
        ),
      );
      r.res.writeHead(204).end();
    });
    flaky = await receiver((r, n) => r.res.writeHead(n === 1 ? 500 : 200).end('ok'));
    silent = await receiver(() => {});
    dataDir = await mkdtemp(join(tmpdir(), 'gl-webhooks-'));
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        log: { level: 'silent' },
        notifications: {
          webhooks: {
            allowLoopback: true,
            timeoutMs: 5_000,
            maxAttempts: 2,
            backoff: { baseMs: 1_000, maxMs: 1_000 },
          },
        },
      },
      { logger: pino({ level: 'silent' }), scheduler, clock },
    );
    operator = await mintToken(central.database.db, { role: 'operator' });
    for (const [name, r] of [
      ['good', good],
      ['flaky', flaky],
      ['silent', silent],
    ] as const) {
      const made = await http('POST', '/webhooks', { name, url: r.url });
      expect(made.status).toBe(201);
      secrets[name] = made.body.secret;
      ids[name] = made.body.id;
    }
    // The operator credential is made through the API (admin only), as an operator's console would get it.
    const admin = await mintToken(central.database.db, { role: 'admin' });
    const cred = await fetch(`${central.http.url}/api/v1/mqtt/credentials/operator/console`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}` },
    }).then((r) => r.json() as Promise<{ username: string; secret: string }>);
    ops = await mqtt.connectAsync(central.mqttUrl, {
      username: cred.username,
      password: cred.secret,
      clientId: `${cred.username}:1`,
      reconnectPeriod: 0,
    });
    ops.on('message', (topic, payload) => opsGot.push({ topic, payload: payload.toString() }));
    const granted = await ops.subscribeAsync({
      'gl/v1/customers/+/alarms': { qos: 1 },
      'gl/v1/operators/alarms': { qos: 1 },
    });
    expect(granted.map((g) => g.qos)).toEqual([1, 1]);
    const secret = await upsertEdgeCredential(central.database.db, 'edge-wh');
    edge = await mqtt.connectAsync(central.mqttUrl, {
      username: 'edge-wh',
      password: secret,
      clientId: 'edge-edge-wh',
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await edge?.endAsync(true);
    await ops?.endAsync(true);
    await central?.close();
    await Promise.all([good?.close(), flaky?.close(), silent?.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a raised alarm reaches every receiver, signed; failures are retried on the clock and recorded', async () => {
    const db = central.database.db;
    const ana = await createCustomer(db, { document: CPF_A, name: 'Ana' });
    await bindMeter(db, ana.id, { edgeId: 'edge-wh', deviceId: 'sdm-1' });
    await edge.subscribeAsync(edgeTopic('edge-wh', 'ack'), { qos: 1 });
    const acked = new Promise<void>((resolve) => edge.on('message', () => resolve()));
    const t0 = Date.parse('2024-03-10T09:00:00Z');
    const batch: TelemetryBatch = {
      edgeId: 'edge-wh',
      epoch: 'epoch-wh-0001',
      firstSeq: 1,
      lastSeq: 3,
      dropped: 0,
      droppedUpTo: 0,
      readings: [1234.5, 1240.25, 7.5].map((kwh, i) => ({
        seq: i + 1,
        deviceId: 'sdm-1',
        ts: t0 + i * 3_600_000,
        quality: 'good' as const,
        values: { energy_import: kwh },
      })),
    };
    await edge.publishAsync(edgeTopic('edge-wh', 'telemetry'), JSON.stringify(batch), { qos: 1 });
    await acked;
    await tasks.get('alarms.sweep')?.(new Date(clock.now()));

    // The good receiver: one POST, its signature valid for its own secret, the alarm in the body.
    await expect.poll(() => good.got.length).toBe(1);
    expect(verified).toEqual([true]);
    const sent = good.got[0] as Received;
    expect(sent.headers['x-gridlink-event']).toBe('alarm.raised');
    expect(JSON.parse(sent.body)).toMatchObject({
      event: 'alarm.raised',
      alarm: { type: 'meter.tamper', state: 'ACTIVE_UNACK', customerId: ana.id },
    });
    // Not valid under another endpoint's secret.
    expect(
      verifySignature(
        secrets.flaky as string,
        sent.body,
        sent.headers['x-gridlink-signature'] as string,
        clock.now() / 1000,
      ),
    ).toBe(false);
    await expect.poll(async () => (await deliveries('good'))[0]?.state).toBe('delivered');

    // The flaky one answered 500: pending, retried once the backoff (1 s on the fake clock) passes.
    await expect.poll(async () => (await deliveries('flaky'))[0]?.attempts.length).toBe(1);
    expect(flaky.got).toHaveLength(1);
    // The silent one has its request and no answer.
    await expect.poll(() => silent.got.length).toBe(1);

    await expect
      .poll(async () => {
        await clock.advanceAsync(250);
        return (await deliveries('flaky'))[0]?.state;
      })
      .toBe('delivered');
    const f = (await deliveries('flaky'))[0];
    expect(f?.attempts.map((a) => a.status)).toEqual([500, 200]);
    expect(
      Date.parse(f?.attempts[1]?.at as string) - Date.parse(f?.attempts[0]?.at as string),
    ).toBeGreaterThanOrEqual(1_000);

    // The silent one: each attempt ends at the 5 s timeout; after 2 attempts the delivery fails.
    await expect
      .poll(async () => {
        await clock.advanceAsync(250);
        return (await deliveries('silent'))[0]?.state;
      })
      .toBe('failed');
    const s = (await deliveries('silent'))[0];
    expect(s?.attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'timed out after 5000 ms'],
      [null, 'timed out after 5000 ms'],
    ]);
    expect(silent.got).toHaveLength(2);
    expect(good.got).toHaveLength(1);
  });

  it('the operator MQTT credential hears the alarm, and may neither subscribe elsewhere nor publish', async () => {
    await expect.poll(() => opsGot.length).toBeGreaterThanOrEqual(1);
    expect(opsGot[0]?.topic).toMatch(/^gl\/v1\/customers\/\d+\/alarms$/);
    expect(JSON.parse(opsGot[0]?.payload as string)).toMatchObject({
      transition: 'raised',
      alarm: { type: 'meter.tamper' },
    });
    // SUBACK 128 (MQTT-3.9.3) for anything past the alarm topics.
    const refused = await ops
      .subscribeAsync({ 'gl/v1/#': { qos: 1 }, 'gl/v1/edges/edge-wh/commands': { qos: 1 } })
      .then(
        (g) => g.map((x) => x.qos),
        (e: { packet?: { granted?: number[] } }) => e.packet?.granted,
      );
    expect(refused).toEqual([128, 128]);
    // A publish, even to an alarm topic, ends the connection.
    const closed = new Promise<void>((resolve) => ops.once('close', () => resolve()));
    ops.publish('gl/v1/operators/alarms', '{"forged":true}', { qos: 1 });
    await closed;
  });

  it('a clear through the API is delivered too', async () => {
    const alarms = (await http('GET', '/alarms?type=meter.tamper')).body.items;
    expect((await http('POST', `/alarms/${alarms[0].id}/clear`)).status).toBe(200);
    await expect.poll(() => good.got.length).toBe(2);
    expect(JSON.parse(good.got[1]?.body as string)).toMatchObject({
      event: 'alarm.cleared',
      alarm: { id: alarms[0].id, state: 'CLEARED_UNACK' },
    });
    expect(verified).toEqual([true, true]);
  });
});
