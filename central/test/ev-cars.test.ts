import { seededRandom } from '@gridlink/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { nameProblem } from '../src/broker/index.js';
import { isPlate, parseCarReport, recordCarReport } from '../src/ev/cars/index.js';
import type { Database } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, CPF_B, testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const LIMITS = { maxPayloadBytes: 4096, maxFutureSkewMs: 300_000 };
const AT = new Date('2026-01-15T12:00:00Z');
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const STATUS = { placa: 'RBA4E21', nivel_bateria: 50, em_carregamento: false };
/** What the simulator's car sends on `bateria` (firmware-sim car-device.test.ts). */
const BATERIA = {
  ...STATUS,
  modelo: 'Nissan Leaf',
  capacidade_bateria: 40,
  energia_kwh: 20,
  autonomia_km: 117.6,
  taxa_descarga: 0.17,
  potencia_kw: 0,
  timestamp: '2026-01-15T11:59:00.000Z',
};

describe('car reports (seed A carros/{placa}/status and /bateria), parsed purely', () => {
  it('takes the seed status and the simulator bateria; the time is bateria timestamp, else receipt', () => {
    const s = parseCarReport('carros/RBA4E21/status', bytes(STATUS), AT, LIMITS);
    expect(s).toMatchObject({
      ok: true,
      report: { plate: 'RBA4E21', source: 'status', at: AT, batteryPct: 50, charging: false },
    });
    const b = parseCarReport('carros/RBA4E21/bateria', bytes(BATERIA), AT, LIMITS);
    expect(b).toMatchObject({
      ok: true,
      report: {
        source: 'bateria',
        at: new Date('2026-01-15T11:59:00Z'),
        receivedAt: AT,
        energyKwh: 20,
        rangeKm: 117.6,
        model: 'Nissan Leaf',
        batteryKwh: 40,
        consumptionKwhPerKm: 0.17,
      },
    });
  });

  it.each([
    ['carros/RBA4E21/status', '{"placa":', 'GL_PAYLOAD_INVALID_JSON'],
    ['carros/RBA4E21/status', Buffer.from([0xff, 0xfe, 0x7b]), 'GL_PAYLOAD_INVALID_JSON'],
    ['carros/RBA4E21/status', { ...STATUS, placa: 'ABC1234' }, 'GL_EV_PLATE_MISMATCH'],
    ['carros/RBA4E21/status', { ...STATUS, nivel_bateria: 100.5 }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', { ...STATUS, nivel_bateria: -1 }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', { ...STATUS, nivel_bateria: '50' }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', { ...STATUS, em_carregamento: 'false' }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', { ...STATUS, extra: 1 }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', { placa: 'RBA4E21', nivel_bateria: 50 }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/status', [STATUS], 'GL_PAYLOAD_SCHEMA'],
    [
      'carros/RBA4E21/status',
      '{"__proto__":{"x":1},"placa":"RBA4E21","nivel_bateria":1,"em_carregamento":true}',
      'GL_PAYLOAD_SCHEMA',
    ],
    [
      'carros/RBA4E21/bateria',
      { ...BATERIA, timestamp: '2026-01-15T12:06:00Z' },
      'GL_PAYLOAD_SCHEMA',
    ],
    ['carros/RBA4E21/bateria', { ...BATERIA, timestamp: 'yesterday' }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/RBA4E21/bateria', { ...BATERIA, capacidade_bateria: 0 }, 'GL_PAYLOAD_SCHEMA'],
    ['carros/rba4e21/status', { ...STATUS, placa: 'rba4e21' }, 'GL_TOPIC_INVALID'],
    ['carros/RBA4E21/status', 'x'.repeat(5000), 'GL_PAYLOAD_TOO_LARGE'],
  ])('bad report %# on %s: refused with its code, nothing to store', (topic, payload, code) => {
    const payloadBytes = Buffer.isBuffer(payload) ? payload : bytes(payload);
    expect(parseCarReport(topic, payloadBytes, AT, LIMITS)).toMatchObject({ ok: false, code });
  });

  it('the plate rule agrees with the broker (a car principal is named by the same plates)', () => {
    const random = seededRandom(5);
    const alphabet = 'ABCXYZ0189-a ';
    const samples = [
      'ABC1234',
      'ABC1D23',
      'abc1d23',
      'AB1234',
      'ABCD123',
      'ABC12345',
      'ABC-1234',
      '',
    ];
    for (let i = 0; i < 2000; i++)
      samples.push(
        Array.from({ length: 6 + Math.floor(random() * 3) }, () =>
          alphabet.charAt(Math.floor(random() * alphabet.length)),
        ).join(''),
      );
    for (const s of samples)
      expect([s, isPlate(s)]).toEqual([s, nameProblem('car', s) === undefined]);
    expect(samples.filter(isPlate).length).toBeGreaterThan(2);
  });

  it('500 mutated payloads: each is refused with a code or is a report within its ranges; none throws', () => {
    const random = seededRandom(17);
    const good = JSON.stringify(BATERIA);
    let refused = 0;
    for (let i = 0; i < 500; i++) {
      const chars = [...good];
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        if (op < 0.4) chars[at] = String.fromCharCode(32 + Math.floor(random() * 95));
        else if (op < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, String.fromCharCode(32 + Math.floor(random() * 95)));
      }
      const r = parseCarReport('carros/RBA4E21/bateria', Buffer.from(chars.join('')), AT, LIMITS);
      if (!r.ok) {
        refused += 1;
        expect(r.code).toMatch(/^GL_(PAYLOAD_INVALID_JSON|PAYLOAD_SCHEMA|EV_PLATE_MISMATCH)$/);
        continue;
      }
      expect(r.report.plate).toBe('RBA4E21');
      expect(r.report.batteryPct).toBeGreaterThanOrEqual(0);
      expect(r.report.batteryPct).toBeLessThanOrEqual(100);
      expect(typeof r.report.charging).toBe('boolean');
      expect(r.report.at.getTime()).toBeLessThanOrEqual(AT.getTime() + LIMITS.maxFutureSkewMs);
    }
    // Not vacuous: most mutations break the JSON or the shape.
    expect(refused).toBeGreaterThan(400);
  });
});

describeEachStore('EV cars and drivers (store and API)', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let admin: string;
  const ids = { ana: 0, bia: 0 };
  const tokens = { ana: '', bia: '' };

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    admin = await mintToken(database.db, { role: 'admin' });
    const ana = await api.call('POST', '/api/v1/drivers', {
      token: admin,
      body: { document: CPF_A, name: 'Ana', email: 'ana@example.com', password: 'ana-password-1' },
    });
    expect(ana.status).toBe(201);
    const bia = await api.call('POST', '/api/v1/drivers', {
      token: admin,
      body: { document: CNPJ_C, name: 'Bia Transportes', password: 'bia-password-1' },
    });
    ids.ana = ana.body.id;
    ids.bia = bia.body.id;
    for (const [who, document, password] of [
      ['ana', CPF_A, 'ana-password-1'],
      ['bia', CNPJ_C, 'bia-password-1'],
    ] as const) {
      const login = await api.call('POST', '/api/v1/auth/driver-login', {
        body: { document, password },
      });
      expect(login.status).toBe(200);
      expect(login.body.driverId).toBe(ids[who]);
      tokens[who] = login.body.token;
    }
  });
  afterAll(async () => database?.dispose());

  it('drivers: created by staff (document unique, formatted back), sign in, read only themselves', async () => {
    const again = await api.call('POST', '/api/v1/drivers', {
      token: admin,
      body: { document: '52998224725', name: 'Ana de novo', password: 'whatever-1' },
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'GL_CONFLICT' } } });
    const bad = await api.call('POST', '/api/v1/drivers', {
      token: admin,
      body: { document: '529.982.247-26', name: 'X', password: 'whatever-1' },
    });
    expect(bad.body.error).toMatchObject({
      code: 'GL_VALIDATION',
      message: 'document: not a valid CPF or CNPJ',
    });
    const self = await api.call('GET', `/api/v1/drivers/${ids.ana}`, { token: tokens.ana });
    expect(self.body).toMatchObject({ id: ids.ana, document: '529.982.247-25', name: 'Ana' });
    expect(self.body).not.toHaveProperty('password_hash');
    expect(
      (await api.call('GET', `/api/v1/drivers/${ids.bia}`, { token: tokens.ana })).status,
    ).toBe(404);
    expect(
      (await api.call('POST', '/api/v1/drivers', { token: tokens.ana, body: {} })).status,
    ).toBe(403);
    const wrong = await api.call('POST', '/api/v1/auth/driver-login', {
      body: { document: CPF_A, password: 'not-it' },
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'GL_UNAUTHORIZED' } } });
    // A customer's sign-in does not know drivers.
    const asCustomer = await api.call('POST', '/api/v1/auth/login', {
      body: { document: CPF_A, password: 'ana-password-1' },
    });
    expect(asCustomer.status).toBe(401);
  });

  it('a driver changes its own password only with the current one; its other sessions end', async () => {
    const other = await api.call('POST', '/api/v1/auth/driver-login', {
      body: { document: CNPJ_C, password: 'bia-password-1' },
    });
    const noCurrent = await api.call('PATCH', `/api/v1/drivers/${ids.bia}`, {
      token: tokens.bia,
      body: { password: 'bia-password-2' },
    });
    expect(noCurrent.body.error.code).toBe('GL_VALIDATION');
    const wrongCurrent = await api.call('PATCH', `/api/v1/drivers/${ids.bia}`, {
      token: tokens.bia,
      body: { password: 'bia-password-2', currentPassword: 'nope' },
    });
    expect(wrongCurrent.body.error.code).toBe('GL_FORBIDDEN');
    const ok = await api.call('PATCH', `/api/v1/drivers/${ids.bia}`, {
      token: tokens.bia,
      body: { password: 'bia-password-2', currentPassword: 'bia-password-1' },
    });
    expect(ok).toMatchObject({ status: 200, body: { revokedTokens: 1 } });
    expect((await api.call('GET', '/api/v1/cars', { token: other.body.token })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/cars', { token: tokens.bia })).status).toBe(200);
  });

  it('cars: a driver registers its own (seed model fills the numbers); another driver sees 404', async () => {
    const made = await api.call('POST', '/api/v1/cars', {
      token: tokens.ana,
      body: { plate: 'rba-4e21', model: 'Nissan Leaf' },
    });
    expect(made).toMatchObject({
      status: 201,
      body: {
        plate: 'RBA4E21',
        driverId: ids.ana,
        model: 'Nissan Leaf',
        batteryKwh: 40,
        consumptionKwhPerKm: 0.17,
        mqttUsername: 'car@RBA4E21',
        last: null,
      },
    });
    const taken = await api.call('POST', '/api/v1/cars', {
      token: tokens.bia,
      body: { plate: 'RBA4E21' },
    });
    expect(taken.status).toBe(409);
    const notForOthers = await api.call('POST', '/api/v1/cars', {
      token: tokens.bia,
      body: { plate: 'ABC1234', driverId: ids.ana },
    });
    expect(notForOthers.body.error.code).toBe('GL_VALIDATION');
    expect(
      (await api.call('POST', '/api/v1/cars', { token: tokens.bia, body: { plate: 'ABC1234' } }))
        .status,
    ).toBe(201);
    for (const [method, path] of [
      ['GET', '/api/v1/cars/RBA4E21'],
      ['PATCH', '/api/v1/cars/RBA4E21'],
      ['DELETE', '/api/v1/cars/RBA4E21'],
      ['POST', '/api/v1/cars/RBA4E21/mqtt-credential'],
      ['GET', '/api/v1/cars/RBA4E21/states'],
    ] as const) {
      const r = await api.call(method, path, {
        token: tokens.bia,
        ...(method === 'PATCH' ? { body: { model: 'Tesla Model 3' } } : {}),
      });
      expect([method, path, r.status]).toEqual([method, path, 404]);
    }
    const anaList = await api.call('GET', '/api/v1/cars', { token: tokens.ana });
    expect(anaList.body.items.map((c: { plate: string }) => c.plate)).toEqual(['RBA4E21']);
    const all = await api.call('GET', '/api/v1/cars?limit=1', { token: admin });
    expect(all.body).toMatchObject({ items: [{ plate: 'ABC1234' }], next: 'ABC1234' });
    const page2 = await api.call('GET', '/api/v1/cars?limit=1&cursor=ABC1234', { token: admin });
    expect(page2.body).toMatchObject({ items: [{ plate: 'RBA4E21' }], next: null });
    const moved = await api.call('PATCH', '/api/v1/cars/ABC1234', {
      token: tokens.bia,
      body: { driverId: ids.ana },
    });
    expect(moved.body.error.code).toBe('GL_VALIDATION');
    // The car survives Bia's attempts untouched.
    const still = await api.call('GET', '/api/v1/cars/RBA4E21', { token: tokens.ana });
    expect(still.body).toMatchObject({ driverId: ids.ana, model: 'Nissan Leaf' });
  });

  it('reports: last state and history; a late report keeps the newer last state; unknown plates', async () => {
    const db = database.db;
    const report = (source: 'status' | 'bateria', payload: object, at: Date) => {
      const r = parseCarReport(`carros/RBA4E21/${source}`, bytes(payload), at, LIMITS);
      if (!r.ok) throw new Error(r.message);
      return r.report;
    };
    const t1 = new Date('2026-01-15T12:00:00Z');
    expect(
      await recordCarReport(db, report('status', { ...STATUS, nivel_bateria: 61.5 }, t1), {
        createUnknown: false,
      }),
    ).toEqual({ stored: true, created: false, newest: true });
    // A bateria whose car clock says 11:59: history, but not the last state.
    expect(
      await recordCarReport(
        db,
        report('bateria', { ...BATERIA, timestamp: '2026-01-15T11:59:00Z' }, t1),
        { createUnknown: false },
      ),
    ).toEqual({ stored: true, created: false, newest: false });
    api.clock.now = new Date('2026-01-15T12:30:00Z');
    const car = await api.call('GET', '/api/v1/cars/RBA4E21', { token: tokens.ana });
    expect(car.body.last).toEqual({
      batteryPct: 61.5,
      charging: false,
      at: '2026-01-15T12:00:00.000Z',
    });
    const states = await api.call('GET', '/api/v1/cars/RBA4E21/states', { token: tokens.ana });
    expect(states.body.items).toEqual([
      expect.objectContaining({
        at: '2026-01-15T11:59:00.000Z',
        source: 'bateria',
        batteryPct: 50,
        energyKwh: 20,
      }),
      expect.objectContaining({
        at: '2026-01-15T12:00:00.000Z',
        source: 'status',
        batteryPct: 61.5,
        energyKwh: null,
      }),
    ]);
    const window = await api.call(
      'GET',
      '/api/v1/cars/RBA4E21/states?from=2026-01-15T11:59:30Z&to=2026-01-15T13:00:00Z',
      { token: tokens.ana },
    );
    expect(window.body.items).toHaveLength(1);
    const backwards = await api.call(
      'GET',
      '/api/v1/cars/RBA4E21/states?from=2026-01-15T13:00:00Z&to=2026-01-15T12:00:00Z',
      { token: tokens.ana },
    );
    expect(backwards.body.error.code).toBe('GL_VALIDATION');
    // An unknown plate: dropped, or registered unowned (then staff assign it).
    const unknown = parseCarReport(
      'carros/QWE1R23/status',
      bytes({ ...STATUS, placa: 'QWE1R23' }),
      t1,
      LIMITS,
    );
    if (!unknown.ok) throw new Error(unknown.message);
    expect(await recordCarReport(db, unknown.report, { createUnknown: false })).toEqual({
      stored: false,
      reason: 'unknown-plate',
    });
    expect(
      await db.selectFrom('ev_car_states').select('id').where('plate', '=', 'QWE1R23').execute(),
    ).toEqual([]);
    expect(await recordCarReport(db, unknown.report, { createUnknown: true })).toMatchObject({
      stored: true,
      created: true,
    });
    const unowned = await api.call('GET', '/api/v1/cars/QWE1R23', { token: admin });
    expect(unowned.body).toMatchObject({ driverId: null, last: { batteryPct: 50 } });
    // A driver cannot claim a car that is already known; staff assign it.
    expect(
      (await api.call('POST', '/api/v1/cars', { token: tokens.bia, body: { plate: 'QWE1R23' } }))
        .status,
    ).toBe(409);
    const assigned = await api.call('PATCH', '/api/v1/cars/QWE1R23', {
      token: admin,
      body: { driverId: ids.bia },
    });
    expect(assigned.body.driverId).toBe(ids.bia);
  });

  it('the MQTT credential: shown once, stored hashed, rotated; deleting the car revokes it', async () => {
    const first = await api.call('POST', '/api/v1/cars/RBA4E21/mqtt-credential', {
      token: tokens.ana,
    });
    expect(first).toMatchObject({
      status: 201,
      body: { plate: 'RBA4E21', username: 'car@RBA4E21', created: true },
    });
    api.clock.now = new Date('2026-01-15T13:00:00Z');
    const second = await api.call('POST', '/api/v1/cars/RBA4E21/mqtt-credential', {
      token: tokens.ana,
    });
    expect(second.body.created).toBe(false);
    expect(second.body.secret).not.toBe(first.body.secret);
    const row = await database.db
      .selectFrom('mqtt_credentials')
      .select('secret_hash')
      .where('kind', '=', 'car')
      .where('name', '=', 'RBA4E21')
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(second.body.secret);
    expect((await api.call('DELETE', '/api/v1/cars/RBA4E21', { token: tokens.ana })).status).toBe(
      204,
    );
    const left = await database.db
      .selectFrom('mqtt_credentials')
      .select('name')
      .where('name', '=', 'RBA4E21')
      .execute();
    expect(left).toEqual([]);
    expect(
      await database.db
        .selectFrom('ev_car_states')
        .select('id')
        .where('plate', '=', 'RBA4E21')
        .execute(),
    ).toEqual([]);
    expect((await api.call('GET', '/api/v1/cars/RBA4E21', { token: tokens.ana })).status).toBe(404);
  });

  it('a driver token naming no driver owns nothing (404), never a 500', async () => {
    const ghost = await mintToken(database.db, { role: 'driver', subject: '999999' });
    const r = await api.call('POST', '/api/v1/cars', { token: ghost, body: { plate: 'ZZZ9Z99' } });
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'GL_NOT_FOUND' } } });
    const named = await mintToken(database.db, { role: 'driver', subject: 'driver-1' });
    expect(
      (await api.call('POST', '/api/v1/cars', { token: named, body: { plate: 'ZZZ9Z99' } })).status,
    ).toBe(404);
    expect((await api.call('GET', '/api/v1/cars', { token: named })).body).toEqual({
      items: [],
      next: null,
    });
    // Customers have no cars.
    expect(CPF_B).toBeTruthy();
  });
});
