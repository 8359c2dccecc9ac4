import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { hashPassword, verifyPassword } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { MeterDirectory } from '../src/ingest/index.js';
import type { Database } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, CPF_B, testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

describe('customer passwords (scrypt)', () => {
  it('verifies the right password only, with a fresh salt per hash', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'sha256:abc')).toBe(false);
  });
});

describeEachStore('customers and meters API', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  const t: Record<string, string> = {};
  let meterIds: Map<string, number>;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    await upsertEdgeCredential(database.db, 'edge-c');
    meterIds = await new MeterDirectory(database.db).resolve('edge-c', ['m1', 'm2', 'm3']);
    t.admin = await mintToken(database.db, { role: 'admin' });
    t.operator = await mintToken(database.db, { role: 'operator' });
    t.driver = await mintToken(database.db, { role: 'driver', subject: 'd1' });
  });
  afterAll(() => database.dispose());

  it('staff create customers; documents are validated and normalized', async () => {
    const a = await api.call('POST', '/api/v1/customers', {
      token: t.admin,
      body: { document: CPF_A, name: 'Ana', password: 'senha-da-ana', monthlyLimitKwh: 300 },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      id: 1,
      document: '52998224725',
      documentKind: 'cpf',
      name: 'Ana',
      timeZone: 'America/Bahia',
      connection: 'single-phase',
      monthlyLimitKwh: '300.000',
      canSignIn: true,
    });
    expect(JSON.stringify(a.body)).not.toContain('scrypt');
    const b = await api.call('POST', '/api/v1/customers', {
      token: t.operator,
      body: {
        document: CNPJ_C,
        name: 'Padaria Bom Pão',
        connection: 'three-phase',
        timeZone: 'America/Sao_Paulo',
        tariff: { id: 'flat-107', energy: { model: 'flat', pricePerKwh: '1.07' } },
        password: 'senha-da-padaria',
      },
    });
    expect(b.status).toBe(201);
    expect(b.body).toMatchObject({ id: 2, document: '11222333000181', documentKind: 'cnpj' });
  });

  it.each([
    ['bad check digits', { document: '529.982.247-24', name: 'X' }, 400, 'GL_DOCUMENT_INVALID'],
    ['repeated digits', { document: '111.111.111-11', name: 'X' }, 400, 'GL_DOCUMENT_INVALID'],
    ['duplicate document', { document: '52998224725', name: 'X' }, 409, 'GL_CONFLICT'],
    ['unknown zone', { document: CPF_B, name: 'X', timeZone: 'Mars/Base' }, 400, 'GL_VALIDATION'],
    [
      'bad tariff',
      { document: CPF_B, name: 'X', tariff: { id: 't', energy: { model: 'flat' } } },
      400,
      'GL_VALIDATION',
    ],
  ])('rejects %s', async (_label, body, status, code) => {
    const r = await api.call('POST', '/api/v1/customers', { token: t.admin, body });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    // A document number is personal data: never echoed in errors.
    expect(r.text).not.toContain('52998224724');
  });

  it('binds meters by id and by (edgeId, deviceId); another customer’s meter is a conflict', async () => {
    const m1 = meterIds.get('m1');
    const r1 = await api.call('POST', '/api/v1/customers/1/meters', {
      token: t.admin,
      body: { meterId: m1 },
    });
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ id: m1, edgeId: 'edge-c', deviceId: 'm1', customerId: 1 });
    // A device the edge has not reported yet is registered on bind.
    const r2 = await api.call('POST', '/api/v1/customers/2/meters', {
      token: t.operator,
      body: { edgeId: 'edge-c', deviceId: 'm9' },
    });
    expect(r2.status).toBe(200);
    expect(r2.body).toMatchObject({ edgeId: 'edge-c', deviceId: 'm9', customerId: 2 });
    const again = await api.call('POST', '/api/v1/customers/1/meters', {
      token: t.admin,
      body: { meterId: m1 },
    });
    expect(again.status).toBe(200);
    const conflict = await api.call('POST', '/api/v1/customers/2/meters', {
      token: t.admin,
      body: { meterId: m1 },
    });
    expect(conflict.status).toBe(409);
    const noEdge = await api.call('POST', '/api/v1/customers/2/meters', {
      token: t.admin,
      body: { edgeId: 'nope', deviceId: 'm1' },
    });
    expect(noEdge.body.error.code).toBe('GL_EDGE_UNKNOWN');
    const noMeter = await api.call('POST', '/api/v1/customers/2/meters', {
      token: t.admin,
      body: { meterId: 99_999 },
    });
    expect(noMeter.status).toBe(404);
    const noCustomer = await api.call('POST', '/api/v1/customers/99/meters', {
      token: t.admin,
      body: { meterId: meterIds.get('m2') },
    });
    expect(noCustomer.status).toBe(404);
  });

  it('customers sign in with document + password and get an opaque, expiring session', async () => {
    const ok = await api.call('POST', '/api/v1/auth/login', {
      body: { document: '529.982.247-25', password: 'senha-da-ana' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.token).toMatch(/^glt_/);
    expect(ok.body.customerId).toBe(1);
    expect(ok.body.expiresAt).toBe('2026-01-16T00:00:00.000Z');
    t.ana = ok.body.token;
    const padaria = await api.call('POST', '/api/v1/auth/login', {
      body: { document: '11222333000181', password: 'senha-da-padaria' },
    });
    t.padaria = padaria.body.token;
    for (const body of [
      { document: CPF_A, password: 'wrong-password' },
      { document: CPF_B, password: 'senha-da-ana' },
      { document: '123', password: 'senha-da-ana' },
    ]) {
      const bad = await api.call('POST', '/api/v1/auth/login', { body });
      expect(bad.status).toBe(401);
      expect(bad.body.error).toEqual({
        code: 'GL_UNAUTHORIZED',
        message: 'document or password is wrong',
      });
    }
    expect((await api.call('GET', '/api/v1/customers/1', { token: t.ana })).status).toBe(200);
    // The session ends after its TTL (12 h), on the injected clock.
    api.clock.now = new Date('2026-01-16T00:00:00Z');
    expect((await api.call('GET', '/api/v1/customers/1', { token: t.ana })).status).toBe(401);
    api.clock.now = new Date('2026-01-15T12:00:00Z');
  });

  it('a customer sees only itself and its own meters; other ids are 404', async () => {
    const list = await api.call('GET', '/api/v1/customers', { token: t.ana });
    expect(list.body.items.map((c: { id: number }) => c.id)).toEqual([1]);
    expect((await api.call('GET', '/api/v1/customers/2', { token: t.ana })).status).toBe(404);
    expect((await api.call('GET', '/api/v1/customers/2/meters', { token: t.ana })).status).toBe(
      404,
    );
    const mine = await api.call('GET', '/api/v1/customers/1/meters', { token: t.ana });
    expect(mine.body.items.map((m: { deviceId: string }) => m.deviceId)).toEqual(['m1']);
    const meters = await api.call('GET', '/api/v1/meters', { token: t.padaria });
    expect(meters.body.items.map((m: { deviceId: string }) => m.deviceId)).toEqual(['m9']);
    const other = await api.call('GET', `/api/v1/meters/${meterIds.get('m1')}/readings`, {
      token: t.padaria,
    });
    expect(other.status).toBe(404);
  });

  it('only staff create, change and bind; drivers see nothing', async () => {
    const create = await api.call('POST', '/api/v1/customers', {
      token: t.ana,
      body: { document: CPF_B, name: 'Eve' },
    });
    expect(create.status).toBe(403);
    const patch = await api.call('PATCH', '/api/v1/customers/1', {
      token: t.ana,
      body: { monthlyLimitKwh: 1_000_000 },
    });
    expect(patch.status).toBe(403);
    const bind = await api.call('POST', '/api/v1/customers/1/meters', {
      token: t.ana,
      body: { meterId: meterIds.get('m2') },
    });
    expect(bind.status).toBe(403);
    const unbind = await api.call('DELETE', `/api/v1/customers/1/meters/${meterIds.get('m1')}`, {
      token: t.ana,
    });
    expect(unbind.status).toBe(403);
    expect((await api.call('GET', '/api/v1/customers', { token: t.driver })).status).toBe(403);
  });

  it('staff change a customer and unbind a meter', async () => {
    const r = await api.call('PATCH', '/api/v1/customers/1', {
      token: t.operator,
      body: { name: 'Ana Souza', connection: 'two-phase', monthlyLimitKwh: null },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Ana Souza',
      connection: 'two-phase',
      monthlyLimitKwh: null,
    });
    const m1 = meterIds.get('m1');
    expect(
      (await api.call('DELETE', `/api/v1/customers/1/meters/${m1}`, { token: t.admin })).status,
    ).toBe(204);
    expect(
      (await api.call('DELETE', `/api/v1/customers/1/meters/${m1}`, { token: t.admin })).status,
    ).toBe(404);
    const mine = await api.call('GET', '/api/v1/customers/1/meters', { token: t.ana });
    expect(mine.body.items).toEqual([]);
  });

  it('customer routes are in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/customers',
        '/api/v1/customers/{id}',
        '/api/v1/customers/{id}/meters',
      ]),
    );
  });
});
