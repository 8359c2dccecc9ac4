import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AlarmMessage,
  mqttAlarmPublisher,
  raiseAlarm,
  sweepAlarms,
} from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../src/broker/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { recordEdgeStatus, upsertEdgeCredential } from '../src/edges/index.js';
import { MeterDirectory, storeBatch, toDecodedBatch } from '../src/ingest/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

const NOW = new Date('2024-03-10T12:00:00Z');
const minutesBefore = (m: number) => new Date(NOW.getTime() - m * 60_000);
const DAY = 86_400_000;

/** Collects MQTT messages; `waitFor(n)` resolves once n have arrived (no sleeps). */
function collector(client: MqttClient) {
  const got: Array<{ topic: string; message: AlarmMessage }> = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload) => {
    got.push({ topic, message: JSON.parse(payload.toString()) });
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (n: number) => {
    while (got.length < n) await new Promise<void>((r) => waiters.push(r));
    return got.slice(0, n);
  };
  return { got, waitFor };
}

describeEachStore('alarms: rules, lifecycle, API and MQTT', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let broker: EmbeddedBroker;
  let pub: MqttClient;
  let sub: MqttClient;
  let inbox: ReturnType<typeof collector>;
  let sweep: () => ReturnType<typeof sweepAlarms>;
  const t: Record<string, string> = {};
  const c: Record<string, number> = {};
  let ids: Map<string, number>;

  beforeAll(async () => {
    database = await store.open();
    const db = database.db;
    broker = await startEmbeddedBroker({
      port: 0,
      authenticate: async (u, p) =>
        u === 'svc' && p === 'test-secret' ? { kind: 'service', name: 'alarm' } : undefined,
      maxPayloadBytes: 1 << 20,
      logger: pino({ level: 'silent' }),
    });
    const opts = { username: 'svc', password: 'test-secret', reconnectPeriod: 0 };
    pub = await mqtt.connectAsync(broker.url, { ...opts, clientId: 'alarm-pub' });
    sub = await mqtt.connectAsync(broker.url, { ...opts, clientId: 'alarm-sub' });
    await sub.subscribeAsync(['gl/v1/customers/+/alarms', 'gl/v1/operators/alarms'], { qos: 1 });
    inbox = collector(sub);
    const publisher = mqttAlarmPublisher(pub);
    api = testApi(database, { alarmPublisher: publisher });
    api.clock.now = NOW;
    sweep = () => sweepAlarms(db, { now: api.clock.now, publisher });

    const feed = readingFeeder(db, 'edge-c');
    const m2Days = Array.from({ length: 18 }, (_, i) => ({
      deviceId: 'm2',
      at: new Date(Date.parse('2024-02-20T12:00:00Z') + i * DAY).toISOString(),
      values: { energy_import: 10 * i, voltage_l1: 127.5 },
    }));
    ids = await feed([
      // m1 (ana): 150 kWh this month against a 100 kWh limit; its last reading at 236 V.
      {
        deviceId: 'm1',
        at: '2024-03-01T03:00:00Z',
        values: { energy_import: 1000, voltage_l1: 220 },
      },
      {
        deviceId: 'm1',
        at: '2024-03-10T11:00:00Z',
        values: { energy_import: 1150, voltage_l1: 236 },
      },
      // m2 (bia): 10 kWh a day for 18 days, then 100 kWh in the last 23 hours.
      ...m2Days,
      {
        deviceId: 'm2',
        at: '2024-03-10T11:00:00Z',
        values: { energy_import: 270, voltage_l1: 128 },
      },
      // m3 (bia): the register goes backwards.
      { deviceId: 'm3', at: '2024-03-05T12:00:00Z', values: { energy_import: 500 } },
      { deviceId: 'm3', at: '2024-03-06T12:00:00Z', values: { energy_import: 510 } },
      { deviceId: 'm3', at: '2024-03-07T12:00:00Z', values: { energy_import: 3 } },
    ]);
    const ana = await createCustomer(db, { document: CPF_A, name: 'Ana', monthlyLimitKwh: 100 });
    const bia = await createCustomer(db, { document: CPF_B, name: 'Bia' });
    c.ana = ana.id;
    c.bia = bia.id;
    await bindMeter(db, ana.id, { meterId: ids.get('m1') as number });
    await bindMeter(db, bia.id, { meterId: ids.get('m2') as number });
    await bindMeter(db, bia.id, { meterId: ids.get('m3') as number });
    t.ana = await mintToken(db, { role: 'customer', subject: String(ana.id) });
    t.bia = await mintToken(db, { role: 'customer', subject: String(bia.id) });
    t.operator = await mintToken(db, { role: 'operator' });

    // Invoices: m1 jumps 40 % above the mean of its previous two; m2 rises only 20 %.
    const invoice = (meter: string, customerId: number, month: string, total: number) =>
      db
        .insertInto('invoices')
        .values({
          meter_id: ids.get(meter) as number,
          customer_id: customerId,
          period_start: `${month}-01`,
          period_end: `${month}-28`,
          time_zone: 'America/Bahia',
          tariff_id: 'flat',
          consumption_wh: 0,
          billed_wh: 0,
          lines: '[]',
          totals: '{}',
          total_centavos: total,
          due_date: `${month}-28`,
          issued_at: NOW,
        })
        .execute();
    await invoice('m1', ana.id, '2023-12', 10_000);
    await invoice('m1', ana.id, '2024-01', 10_000);
    await invoice('m1', ana.id, '2024-02', 14_000);
    await invoice('m2', bia.id, '2024-01', 10_000);
    await invoice('m2', bia.id, '2024-02', 12_000);

    // Edges: edge-c online but reporting m2 offline; edge-a silent for 20 min; edge-b's last will.
    const device = (deviceId: string, online: boolean) => ({
      deviceId,
      online,
      lastOkAt: null,
      consecutiveFailures: online ? 0 : 5,
      polls: 10,
      failures: online ? 0 : 5,
      overruns: 0,
      lastError: online ? null : 'GL_MODBUS_TIMEOUT',
    });
    await recordEdgeStatus(
      db,
      { edgeId: 'edge-c', online: true, devices: [device('m1', true), device('m2', false)] },
      minutesBefore(1),
    );
    for (const e of ['edge-a', 'edge-b', 'edge-never-seen']) await upsertEdgeCredential(db, e);
    await recordEdgeStatus(db, { edgeId: 'edge-a', online: true }, minutesBefore(20));
    await recordEdgeStatus(db, { edgeId: 'edge-b', online: false }, minutesBefore(1));
    // edge-c's log overflowed: seqs 1–4 of a new epoch were dropped before they were sent.
    const m9 = await new MeterDirectory(db).resolve('edge-c', ['m9']);
    const out = await storeBatch(
      db,
      toDecodedBatch({
        edgeId: 'edge-c',
        epoch: 'epoch-overflow-1',
        firstSeq: 5,
        lastSeq: 5,
        dropped: 4,
        droppedUpTo: 4,
        readings: [
          { seq: 5, deviceId: 'm9', ts: NOW.getTime() - 60_000, quality: 'good', values: {} },
        ],
      }),
      m9,
    );
    expect(out.kind).toBe('stored');
  });

  afterAll(async () => {
    await Promise.all([pub?.endAsync(), sub?.endAsync()]);
    await broker?.close();
    await database.dispose();
  });

  const meterSource = (m: string) => `meter:${ids.get(m)}`;

  it('one sweep raises every rule once, and publishes each on the owner’s topic', async () => {
    const r = await sweep();
    expect(r).toEqual({ raised: 9, refreshed: 0, cleared: 0 });
    const alarms = await database.db
      .selectFrom('alarms')
      .select(['type', 'source', 'severity', 'state', 'customer_id'])
      .orderBy('type')
      .orderBy('source')
      .execute();
    expect(alarms.map((a) => [a.type, a.source, a.severity, a.customer_id])).toEqual([
      ['consumption.baseline', `customer:${c.bia}`, 'MINOR', c.bia],
      ['consumption.limit', `customer:${c.ana}`, 'MAJOR', c.ana],
      ['device.offline', meterSource('m2'), 'MINOR', c.bia],
      ['edge.offline', 'edge:edge-a', 'MAJOR', null],
      ['edge.offline', 'edge:edge-b', 'MAJOR', null],
      ['edge.readings-dropped', 'edge:edge-c', 'MAJOR', null],
      ['invoice.variation', meterSource('m1'), 'WARNING', c.ana],
      ['meter.tamper', meterSource('m3'), 'CRITICAL', c.bia],
      ['voltage.range', meterSource('m1'), 'MAJOR', c.ana],
    ]);
    expect(alarms.every((a) => a.state === 'ACTIVE_UNACK')).toBe(true);
    const messages = await inbox.waitFor(9);
    const byTopic = (topic: string) =>
      messages
        .filter((m) => m.topic === topic)
        .map((m) => m.message.alarm.type)
        .sort();
    expect(byTopic(`gl/v1/customers/${c.ana}/alarms`)).toEqual([
      'consumption.limit',
      'invoice.variation',
      'voltage.range',
    ]);
    expect(byTopic(`gl/v1/customers/${c.bia}/alarms`)).toEqual([
      'consumption.baseline',
      'device.offline',
      'meter.tamper',
    ]);
    expect(byTopic('gl/v1/operators/alarms')).toEqual([
      'edge.offline',
      'edge.offline',
      'edge.readings-dropped',
    ]);
    expect(messages.every((m) => m.message.transition === 'raised')).toBe(true);
  });

  it('details say why: figures from the rollups, invoices and status', async () => {
    const rows = await database.db.selectFrom('alarms').select(['type', 'details']).execute();
    const d = Object.fromEntries(rows.map((r) => [r.type, r.details]));
    expect(d['consumption.limit']).toEqual({ monthToDateWh: 150_000, limitWh: 100_000 });
    expect(d['invoice.variation']).toMatchObject({
      totalCentavos: 14_000,
      previousMeanCentavos: 10_000,
    });
    expect(d['voltage.range']).toMatchObject({
      phase: 'voltage_l1',
      volts: 236,
      nominal: 220,
      class: 'critical',
    });
    expect(d['meter.tamper']).toMatchObject({ previousWh: 510_000, newWh: 3_000 });
    expect(d['edge.readings-dropped']).toMatchObject({ fromSeq: 1, toSeq: 4, readings: 4 });
    expect(d['device.offline']).toMatchObject({ deviceId: 'm2', lastError: 'GL_MODBUS_TIMEOUT' });
  });

  it('sweeping again refreshes the active alarms: no duplicates, nothing published', async () => {
    const r = await sweep();
    expect(r).toEqual({ raised: 0, refreshed: 7, cleared: 0 });
    const count = await database.db
      .selectFrom('alarms')
      .select(({ fn }) => fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(9);
    expect(inbox.got).toHaveLength(9);
  });

  it('the database allows one active alarm per (source, type)', async () => {
    await expect(
      database.db
        .insertInto('alarms')
        .values({
          source: 'edge:edge-a',
          type: 'edge.offline',
          severity: 'MAJOR',
          state: 'ACTIVE_ACK',
          details: '{}',
          raised_at: NOW,
          last_seen_at: NOW,
        })
        .execute(),
    ).rejects.toThrow();
  });

  it('a condition that ends clears its alarm (CLEARED_UNACK) and publishes it', async () => {
    await recordEdgeStatus(database.db, { edgeId: 'edge-a', online: true }, NOW);
    const r = await sweep();
    expect(r.cleared).toBe(1);
    const [msg] = (await inbox.waitFor(10)).slice(9);
    expect(msg?.topic).toBe('gl/v1/operators/alarms');
    expect(msg?.message).toMatchObject({
      transition: 'cleared',
      alarm: { source: 'edge:edge-a', state: 'CLEARED_UNACK', clearedBy: 'system' },
    });
  });

  it('customers list only their alarms, with filters and paging', async () => {
    const mine = await api.call('GET', '/api/v1/alarms', { token: t.ana });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((a: { type: string }) => a.type).sort()).toEqual([
      'consumption.limit',
      'invoice.variation',
      'voltage.range',
    ]);
    const major = await api.call('GET', '/api/v1/alarms?severity=MAJOR,CRITICAL', { token: t.ana });
    expect(major.body.items.map((a: { type: string }) => a.type).sort()).toEqual([
      'consumption.limit',
      'voltage.range',
    ]);
    const p1 = await api.call('GET', '/api/v1/alarms?limit=2', { token: t.operator });
    expect(p1.body.items).toHaveLength(2);
    const p2 = await api.call('GET', `/api/v1/alarms?limit=2&cursor=${p1.body.next}`, {
      token: t.operator,
    });
    expect(p2.body.items[0].id).toBeLessThan(p1.body.items[1].id);
    const cleared = await api.call('GET', '/api/v1/alarms?active=false', { token: t.operator });
    expect(cleared.body.items.map((a: { source: string }) => a.source)).toEqual(['edge:edge-a']);
    const byType = await api.call('GET', '/api/v1/alarms?type=edge.offline&state=ACTIVE_UNACK', {
      token: t.operator,
    });
    expect(byType.body.items.map((a: { source: string }) => a.source)).toEqual(['edge:edge-b']);
    const bad = await api.call('GET', '/api/v1/alarms?state=FIRING', { token: t.operator });
    expect(bad.status).toBe(400);
  });

  it('ack and clear walk the lifecycle; each transition is published; wrong moves are 409', async () => {
    const list = await api.call('GET', '/api/v1/alarms?type=consumption.limit', { token: t.ana });
    const id = list.body.items[0].id;
    expect((await api.call('GET', `/api/v1/alarms/${id}`, { token: t.bia })).status).toBe(404);
    expect((await api.call('POST', `/api/v1/alarms/${id}/ack`, { token: t.bia })).status).toBe(404);

    const ack = await api.call('POST', `/api/v1/alarms/${id}/ack`, { token: t.ana });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: 'ACTIVE_ACK', ackedBy: `customer:${c.ana}` });
    expect(ack.body.ackedAt).toBe(NOW.toISOString());
    const again = await api.call('POST', `/api/v1/alarms/${id}/ack`, { token: t.ana });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'GL_ALARM_TRANSITION',
      details: { state: 'ACTIVE_ACK', event: 'ack' },
    });
    expect((await api.call('POST', `/api/v1/alarms/${id}/clear`, { token: t.ana })).status).toBe(
      403,
    );
    const clear = await api.call('POST', `/api/v1/alarms/${id}/clear`, { token: t.operator });
    expect(clear.body.state).toBe('CLEARED_ACK');
    expect(
      (await api.call('POST', `/api/v1/alarms/${id}/clear`, { token: t.operator })).status,
    ).toBe(409);

    const msgs = (await inbox.waitFor(12)).slice(10);
    expect(msgs.map((m) => [m.topic, m.message.transition, m.message.alarm.state])).toEqual([
      [`gl/v1/customers/${c.ana}/alarms`, 'acknowledged', 'ACTIVE_ACK'],
      [`gl/v1/customers/${c.ana}/alarms`, 'cleared', 'CLEARED_ACK'],
    ]);
  });

  it('a cleared-unacknowledged alarm can still be acknowledged (CLEARED_ACK)', async () => {
    const row = await database.db
      .selectFrom('alarms')
      .select('id')
      .where('source', '=', 'edge:edge-a')
      .executeTakeFirstOrThrow();
    const ack = await api.call('POST', `/api/v1/alarms/${row.id}/ack`, { token: t.operator });
    expect(ack.body.state).toBe('CLEARED_ACK');
    await inbox.waitFor(13);
  });

  it('a new tamper event refreshes the active alarm; after it is cleared, the next one is new', async () => {
    const tamper = await database.db
      .selectFrom('alarms')
      .select(['id', 'occurrences'])
      .where('type', '=', 'meter.tamper')
      .executeTakeFirstOrThrow();
    // Register events as the rollup writes them.
    await database.db
      .insertInto('meter_register_events')
      .values({ meter_id: ids.get('m3') as number, ts: NOW, previous_wh: 9_000, new_wh: 0 })
      .execute();
    await sweep();
    const refreshed = await database.db
      .selectFrom('alarms')
      .select(['id', 'occurrences'])
      .where('type', '=', 'meter.tamper')
      .execute();
    expect(refreshed).toEqual([{ id: tamper.id, occurrences: 2 }]);
    await api.call('POST', `/api/v1/alarms/${tamper.id}/clear`, { token: t.operator });
    await database.db
      .insertInto('meter_register_events')
      .values({ meter_id: ids.get('m3') as number, ts: NOW, previous_wh: 8_000, new_wh: 0 })
      .execute();
    await sweep();
    const all = await database.db
      .selectFrom('alarms')
      .select(['state'])
      .where('type', '=', 'meter.tamper')
      .orderBy('id')
      .execute();
    expect(all.map((a) => a.state)).toEqual(['CLEARED_UNACK', 'ACTIVE_UNACK']);
  });

  it('raiseAlarm reports whether it created or refreshed', async () => {
    const cond = {
      source: 'edge:edge-x',
      type: 'edge.offline',
      severity: 'MAJOR' as const,
      customerId: null,
      details: {},
    };
    const [a, b] = await Promise.all([
      raiseAlarm(database.db, cond, NOW),
      raiseAlarm(database.db, cond, NOW),
    ]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.alarm.id).toBe(b.alarm.id);
  });
});
