import type { TelemetryBatch } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { createApp } from '../src/http/index.js';
import { MeterDirectory, storeBatch, toDecodedBatch } from '../src/ingest/index.js';
import { createCentralMetrics } from '../src/metrics/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('HTTP API', () => {
  let database: Database;
  let app: ReturnType<typeof createApp>;
  const tokens: Record<string, string> = {};
  const get = (path: string, who?: string) =>
    app.request(path, { headers: who ? { authorization: `Bearer ${tokens[who]}` } : {} });

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite' });
    app = createApp({
      db: database.db,
      logger: pino({ level: 'silent' }),
      metrics: createCentralMetrics().registry,
    });
    await upsertEdgeCredential(database.db, 'edge-h');
    const meters = new MeterDirectory(database.db);
    // Three devices; 30 readings of m1 one minute apart.
    const b: TelemetryBatch = {
      edgeId: 'edge-h',
      epoch: 'epoch-http1',
      firstSeq: 1,
      lastSeq: 32,
      dropped: 0,
      droppedUpTo: 0,
      readings: [
        ...Array.from({ length: 30 }, (_, i) => ({
          seq: i + 1,
          deviceId: 'm1',
          ts: T0 + i * 60_000,
          quality: 'good' as const,
          values: { energy_import: i },
        })),
        { seq: 31, deviceId: 'm2', ts: T0, quality: 'good', values: { energy_import: 1 } },
        { seq: 32, deviceId: 'm3', ts: T0, quality: 'uncertain', values: {} },
      ],
    };
    await storeBatch(
      database.db,
      toDecodedBatch(b),
      await meters.resolve('edge-h', ['m1', 'm2', 'm3']),
    );
    // meters.customer_id references customers (migration 0002): customer 7 must exist.
    await database.db
      .insertInto('customers')
      .values({ id: 7, document: '52998224725', document_kind: 'cpf', name: 'Customer 7' })
      .execute();
    await database.db
      .updateTable('meters')
      .set({ customer_id: 7 })
      .where('device_id', '=', 'm2')
      .execute();
    tokens.admin = await mintToken(database.db, { role: 'admin' });
    tokens.operator = await mintToken(database.db, { role: 'operator' });
    tokens.customer7 = await mintToken(database.db, { role: 'customer', subject: '7' });
    tokens.driver = await mintToken(database.db, { role: 'driver', subject: 'd1' });
    tokens.expired = await mintToken(database.db, { role: 'admin', ttlMs: 1, now: new Date(T0) });
  });
  afterAll(() => database.close());

  it('health and readiness are public', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect(await (await get('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('the API needs a valid bearer token', async () => {
    const none = await get('/api/v1/meters');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.json()).toEqual({
      error: { code: 'GL_UNAUTHORIZED', message: 'a bearer token is required' },
    });
    const forged = await app.request('/api/v1/meters', {
      headers: { authorization: `Bearer ${tokens.admin?.slice(0, -2)}xx` },
    });
    expect(forged.status).toBe(401);
    expect((await get('/api/v1/meters', 'expired')).status).toBe(401);
  });

  it('tokens are stored hashed', async () => {
    const rows = await database.db.selectFrom('api_tokens').select('token_hash').execute();
    const secret = tokens.admin?.split('_').slice(2).join('_') as string;
    expect(
      rows.every((r) => r.token_hash.startsWith('sha256:') && !r.token_hash.includes(secret)),
    ).toBe(true);
  });

  it('roles: a driver may not list meters; edges are staff only; credentials admin only', async () => {
    const r = await get('/api/v1/meters', 'driver');
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GL_FORBIDDEN');
    expect((await get('/api/v1/edges', 'customer7')).status).toBe(403);
    expect((await get('/api/v1/edges', 'operator')).status).toBe(200);
    const put = (who: string) =>
      app.request('/api/v1/edges/edge-new/credential', {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens[who]}` },
      });
    expect((await put('operator')).status).toBe(403);
    const ok = await put('admin');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      edgeId: 'edge-new',
      username: 'edge-new',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('lists meters in keyset pages', async () => {
    const p1 = (await (await get('/api/v1/meters?limit=2', 'admin')).json()) as {
      items: { deviceId: string }[];
      next: string;
    };
    expect(p1.items.map((m) => m.deviceId)).toEqual(['m1', 'm2']);
    const p2 = (await (await get(`/api/v1/meters?limit=2&cursor=${p1.next}`, 'admin')).json()) as {
      items: { deviceId: string }[];
      next: null;
    };
    expect(p2.items.map((m) => m.deviceId)).toEqual(['m3']);
    expect(p2.next).toBeNull();
  });

  it('a customer sees only its own meters; another meter is 404', async () => {
    const mine = (await (await get('/api/v1/meters', 'customer7')).json()) as {
      items: { id: number; deviceId: string }[];
    };
    expect(mine.items.map((m) => m.deviceId)).toEqual(['m2']);
    const own = mine.items[0]?.id as number;
    expect(
      (await get(`/api/v1/meters/${own}/readings?from=2025-12-31T00:00:00Z`, 'customer7')).status,
    ).toBe(200);
    const other = await get(`/api/v1/meters/${own - 1}/readings`, 'customer7');
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('GL_NOT_FOUND');
  });

  it('returns readings in [from, to) and pages through them with a cursor, each exactly once', async () => {
    const from = new Date(T0 + 5 * 60_000).toISOString();
    const to = new Date(T0 + 25 * 60_000).toISOString();
    const seen: number[] = [];
    let cursor = '';
    for (;;) {
      const res = await get(
        `/api/v1/meters/1/readings?from=${from}&to=${to}&limit=7${cursor}`,
        'admin',
      );
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        items: { ts: string; values: { energy_import: number } }[];
        next: string | null;
      };
      seen.push(...page.items.map((r) => r.values.energy_import));
      if (!page.next) break;
      cursor = `&cursor=${page.next}`;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 5));
  });

  it('invalid parameters are 400 with the key named', async () => {
    const cases = [
      '/api/v1/meters/abc/readings',
      '/api/v1/meters/1/readings?from=yesterday',
      '/api/v1/meters/1/readings?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      '/api/v1/meters/1/readings?cursor=!!!',
      '/api/v1/meters?limit=0',
    ];
    for (const path of cases) {
      const res = await get(path, 'admin');
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, path).toBe('GL_VALIDATION');
      expect(body.error.message, path).toMatch(/^(id|from|cursor|limit)/);
    }
  });

  it('unknown routes are 404 in the error format', async () => {
    const res = await get('/api/v2/nothing', 'admin');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('GL_NOT_FOUND');
  });

  it('publishes an OpenAPI 3.1 document generated from the schemas, and local interactive docs', async () => {
    const doc = (await (await get('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/meters',
        '/api/v1/meters/{id}/readings',
        '/api/v1/edges/{edgeId}/credential',
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Meter', 'Reading', 'Error']),
    );
    const html = await (await get('/docs')).text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    const js = await get('/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect((await get('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('metrics need a staff token', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', 'customer7')).status).toBe(403);
    const res = await get('/metrics', 'operator');
    expect(await res.text()).toContain('gridlink_ingest_batches_total');
  });

  it('metrics judge token expiry by the injected clock, as the API does', async () => {
    // Valid for an hour by the system clock; two hours past its expiry by the app's clock.
    const hour = await mintToken(database.db, { role: 'admin', ttlMs: 3_600_000 });
    const later = createApp({
      db: database.db,
      logger: pino({ level: 'silent' }),
      metrics: createCentralMetrics().registry,
      now: () => new Date(Date.now() + 3 * 3_600_000),
    });
    const headers = { authorization: `Bearer ${hour}` };
    expect((await later.request('/api/v1/meters', { headers })).status).toBe(401);
    expect((await later.request('/metrics', { headers })).status).toBe(401);
    expect((await app.request('/metrics', { headers })).status).toBe(200);
  });
});
