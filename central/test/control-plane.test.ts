import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import {
  ControlPlane,
  checkCommand,
  expireCommands,
  getCommand,
  knownDevices,
} from '../src/control/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { createApp } from '../src/http/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2026-05-04T10:00:00Z');
const silent = pino({ level: 'silent' });

describe('checkCommand (gridlink-charger profile)', () => {
  const charger = { deviceId: 'ch1', profile: 'gridlink-charger' };
  const cases: Array<[string, { command: string; value?: number }, string | null]> = [
    ['fixed command', { command: 'start' }, null],
    ['fixed command with a value', { command: 'start', value: 1 }, 'start takes no value'],
    ['value in bounds', { command: 'set_current_limit', value: 6 }, null],
    ['upper bound', { command: 'set_current_limit', value: 32 }, null],
    ['above bounds', { command: 'set_current_limit', value: 32.5 }, 'outside 6..32'],
    ['below bounds', { command: 'set_current_limit', value: 5 }, 'outside 6..32'],
    ['missing value', { command: 'reserve' }, 'needs a numeric value'],
    ['not in the profile', { command: 'set_energy', value: 1 }, 'has no command "set_energy"'],
  ];
  for (const [name, request, error] of cases)
    it(name, () => {
      const run = () => checkCommand('e1', charger, { deviceId: 'ch1', ...request });
      if (error === null) expect(run).not.toThrow();
      else expect(run).toThrow(error);
    });

  it('an unknown device is GL_DEVICE_UNKNOWN; without a profile only unknown names fail', () => {
    expect(() => checkCommand('e1', undefined, { deviceId: 'x', command: 'start' })).toThrow(
      expect.objectContaining({ code: 'GL_DEVICE_UNKNOWN' }),
    );
    const bare = { deviceId: 'k1' };
    expect(() =>
      checkCommand('e1', bare, { deviceId: 'k1', command: 'set_energy', value: 5 }),
    ).not.toThrow();
    expect(() => checkCommand('e1', bare, { deviceId: 'k1', command: 'explode' })).toThrow(
      expect.objectContaining({ code: 'GL_COMMAND_INVALID' }),
    );
  });

  it('knownDevices: the running config names the profile first, then the newest, then status', () => {
    const map = knownDevices(
      [
        { devices: [{ id: 'a', profile: 'keba-p30' }] },
        { devices: [{ id: 'a', profile: 'x' }, { id: 'b' }] },
      ],
      { devices: [{ deviceId: 'b', profile: 'gridlink-charger' }, { deviceId: 'c' }], bogus: 1 },
    );
    expect([...map.values()]).toEqual([
      { deviceId: 'a', profile: 'keba-p30' },
      { deviceId: 'b', profile: 'gridlink-charger' },
      { deviceId: 'c' },
    ]);
    expect(knownDevices(['not an object'], null).size).toBe(0);
  });
});

describeEachStore('control plane storage', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let control: ControlPlane;
  let now = new Date(T0);
  const published: Array<{ topic: string; payload: string; retain: boolean }> = [];

  beforeAll(async () => {
    database = await store.open();
    await upsertEdgeCredential(database.db, 'e1');
    await upsertEdgeCredential(database.db, 'e2');
    control = new ControlPlane({
      db: database.db,
      // Records what the broker would receive; the real broker path is in the end-to-end test.
      link: {
        publish: async (topic, payload, options) => {
          published.push({ topic, payload, retain: options?.retain ?? false });
        },
      },
      logger: silent,
      now: () => now,
    });
    await control.setDesiredConfig(
      'e1',
      { version: 1, config: { devices: [{ id: 'ch1', profile: 'gridlink-charger' }] } },
      'admin-token',
    );
  });
  afterAll(async () => database?.dispose());

  const result = (edge: string, body: unknown) =>
    control.handleMessage(`gl/v1/edges/${edge}/commands/result`, Buffer.from(JSON.stringify(body)));

  it('expires at exactly the timeout after it was asked for, not before', async () => {
    now = new Date(T0);
    const c = await control.sendCommand('e1', { deviceId: 'ch1', command: 'start' }, 't');
    expect(c.state).toBe('sent');
    expect(published.at(-1)).toEqual({
      topic: 'gl/v1/edges/e1/commands',
      payload: JSON.stringify({ id: c.id, deviceId: 'ch1', command: 'start' }),
      retain: false,
    });
    expect(
      await expireCommands(database.db, { now: new Date(T0 + 59_999), timeoutMs: 60_000 }),
    ).toEqual({
      expired: 0,
    });
    expect(
      await expireCommands(database.db, { now: new Date(T0 + 60_000), timeoutMs: 60_000 }),
    ).toEqual({
      expired: 1,
    });
    expect((await getCommand(database.db, 'e1', c.id))?.state).toBe('expired');
    // The edge answers late: the command did run, so the result lands.
    now = new Date(T0 + 90_000);
    await result('e1', { id: c.id, ok: true, at: T0 + 1000 });
    expect(await getCommand(database.db, 'e1', c.id)).toMatchObject({
      state: 'succeeded',
      result: {
        code: null,
        at: new Date(T0 + 90_000).toISOString(),
        edgeAt: new Date(T0 + 1000).toISOString(),
      },
    });
  });

  it('a result under another edge, or malformed, changes nothing; a failure keeps its code', async () => {
    now = new Date(T0);
    const c = await control.sendCommand(
      'e1',
      { deviceId: 'ch1', command: 'set_current_limit', value: 16 },
      't',
    );
    await result('e2', { id: c.id, ok: true });
    await result('e1', { id: c.id, ok: true, extra: 1 });
    await control.handleMessage('gl/v1/edges/e1/commands/result', Buffer.from('{not json'));
    expect((await getCommand(database.db, 'e1', c.id))?.state).toBe('sent');
    expect(await getCommand(database.db, 'e2', c.id)).toBeUndefined();
    await result('e1', {
      id: c.id,
      ok: false,
      error: { code: 'GL_MODBUS_TIMEOUT', message: 'no answer' },
    });
    expect(await getCommand(database.db, 'e1', c.id)).toMatchObject({
      state: 'failed',
      result: { code: 'GL_MODBUS_TIMEOUT', message: 'no answer' },
    });
  });

  it('desired versions only go up, published retained; applied reports are kept with their reason', async () => {
    expect(await control.setDesiredConfig('e1', { version: 1, config: {} }, 't')).toEqual({
      stale: 1,
    });
    const racing = await Promise.all([
      control.setDesiredConfig('e1', { version: 2, config: {} }, 't'),
      control.setDesiredConfig('e1', { version: 2, config: { statusIntervalMs: 5000 } }, 't'),
    ]);
    expect(racing.filter((r) => 'stale' in r)).toHaveLength(1);
    expect(published.filter((p) => p.topic === 'gl/v1/edges/e1/config' && p.retain).length).toBe(2);
    await control.handleMessage(
      'gl/v1/edges/e1/config/applied',
      Buffer.from(
        JSON.stringify({
          version: 2,
          ok: false,
          running: 1,
          error: { code: 'GL_CONFIG_INVALID', message: 'devices.0.host: required' },
        }),
      ),
    );
    const ok = racing.find((r) => 'view' in r);
    expect(ok && 'view' in ok && ok.view.desired?.version).toBe(2);
    published.length = 0;
    expect(await control.republishDesired()).toBe(1);
    expect(published).toEqual([
      {
        topic: 'gl/v1/edges/e1/config',
        payload: expect.stringContaining('"version":2'),
        retain: true,
      },
    ]);
  });
});

describeEachStore('POST /api/v1/tokens', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let app: ReturnType<typeof createApp>;
  let admin: string;
  let operator: string;
  beforeAll(async () => {
    database = await store.open();
    app = createApp({
      db: database.db,
      logger: silent,
      metrics: new (await import('prom-client')).Registry(),
    });
    admin = await mintToken(database.db, { role: 'admin' });
    operator = await mintToken(database.db, { role: 'operator' });
  });
  afterAll(async () => database?.dispose());

  const post = (token: string, body: unknown) =>
    app.request('/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('an admin creates service and driver tokens that work, shown once and stored hashed', async () => {
    const res = await post(admin, { role: 'service', label: 'exporter', expiresInSeconds: 3600 });
    expect(res.status).toBe(201);
    const made = (await res.json()) as {
      id: string;
      token: string;
      role: string;
      expiresAt: string;
    };
    expect(made).toMatchObject({ role: 'service', label: 'exporter', subject: null });
    const row = await database.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', made.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(made.token.slice(21));
    expect(row.token_hash).toMatch(/^sha256:/);
    const whoami = await app.request('/api/v1/meters', {
      headers: { authorization: `Bearer ${made.token}` },
    });
    expect(whoami.status).toBe(403); // authenticated as a service, which no route admits yet
    const driver = await post(admin, { role: 'driver', subject: 'd-1' });
    expect(driver.status).toBe(201);
    const list = await app.request('/api/v1/tokens', {
      headers: { authorization: `Bearer ${admin}` },
    });
    const ids = ((await list.json()) as { items: Array<{ id: string; role: string }> }).items;
    expect(ids.map((t) => t.role)).toEqual(expect.arrayContaining(['service', 'driver']));
    expect(JSON.stringify(ids)).not.toContain(made.token.slice(21));
  });

  it('refuses other roles, bad bodies and non-admins with a code, storing nothing', async () => {
    const before = (await database.db.selectFrom('api_tokens').select('id').execute()).length;
    const cases: Array<[string, unknown, number, string]> = [
      [operator, { role: 'operator' }, 403, 'GL_FORBIDDEN'],
      [admin, { role: 'customer' }, 400, 'GL_VALIDATION'],
      [admin, { role: 'driver' }, 400, 'GL_VALIDATION'],
      [admin, { role: 'operator', subject: 'x' }, 400, 'GL_VALIDATION'],
      [admin, { role: 'operator', expiresInSeconds: 10 }, 400, 'GL_VALIDATION'],
      [admin, { role: 'operator', extra: true }, 400, 'GL_VALIDATION'],
    ];
    for (const [token, body, status, code] of cases) {
      const r = await post(token, body);
      expect({
        body,
        status: r.status,
        code: ((await r.json()) as { error: { code: string } }).error.code,
      }).toEqual({
        body,
        status,
        code,
      });
    }
    expect((await database.db.selectFrom('api_tokens').select('id').execute()).length).toBe(before);
  });
});
