import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/** What an attacker puts where an id, a cursor or a number belongs. */
const HOSTILE_IDS = ['2147483648', '99999999999999999999', '-1', 'abc', '1e3', '0', '0x10', ' 1'];
const b64 = (s: string) => Buffer.from(s).toString('base64url');

/**
 * Hostile parameters and bodies against the real app on a real database: each one is answered
 * 400 with a stable code and the parameter named, never 500, and nothing is stored.
 */
describeEachStore('HTTP parsing of hostile input', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let admin: string;
  let meterId: number;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    admin = await mintToken(database.db, { role: 'admin' });
    const feed = readingFeeder(database.db, 'edge-p');
    const ids = await feed([
      { deviceId: 'm1', at: '2026-01-15T10:00:00Z', values: { energy_import: 1 } },
      { deviceId: 'm1', at: '2026-01-15T10:01:00Z', values: { energy_import: 2 } },
    ]);
    meterId = ids.get('m1') as number;
    const created = await api.call('POST', '/api/v1/customers', {
      token: admin,
      body: { document: CPF_A, name: 'Ana' },
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => database.dispose());

  const expect400 = async (
    method: string,
    path: string,
    named: string,
    body?: unknown,
    code = 'GL_VALIDATION',
  ) => {
    const r = await api.call(method, path, { token: admin, body });
    expect(r.status, `${method} ${path}`).toBe(400);
    expect(r.body.error.code, `${method} ${path}`).toBe(code);
    expect(r.body.error.message, `${method} ${path}`).toContain(named);
  };

  it('path ids beyond int4, negative, fractional or not decimal are 400 naming the id', async () => {
    for (const bad of HOSTILE_IDS) {
      await expect400('GET', `/api/v1/meters/${encodeURIComponent(bad)}/readings`, 'id');
      await expect400('GET', `/api/v1/customers/${encodeURIComponent(bad)}`, 'id');
      await expect400('GET', `/api/v1/alarms/${encodeURIComponent(bad)}`, 'id');
      await expect400('GET', `/api/v1/invoices/${encodeURIComponent(bad)}`, 'id');
      await expect400('DELETE', `/api/v1/customers/1/meters/${encodeURIComponent(bad)}`, 'meterId');
    }
    // The largest int4 is a valid id of no object: 404, not 400 or 500.
    const max = await api.call('GET', '/api/v1/meters/2147483647/readings', { token: admin });
    expect(max.status).toBe(404);
  });

  it('ids in query strings and bodies are bounded the same way', async () => {
    await expect400('GET', '/api/v1/invoices?meterId=2147483648', 'meterId');
    await expect400('GET', '/api/v1/invoices?customerId=99999999999999999999', 'customerId');
    await expect400('GET', '/api/v1/alarms?customerId=2147483648', 'customerId');
    await expect400('POST', '/api/v1/customers/1/meters', 'meterId', { meterId: 2147483648 });
  });

  it('list cursors are bounded decimal ids', async () => {
    for (const path of ['meters', 'customers', 'alarms', 'invoices', 'customers/1/meters']) {
      for (const bad of ['2147483648', '99999999999999999999', '-1', 'abc', '1e3', '1.5']) {
        await expect400('GET', `/api/v1/${path}?cursor=${bad}`, 'cursor');
      }
    }
  });

  it('readings cursors: every field in the range of its column', async () => {
    const base = `/api/v1/meters/${meterId}/readings?from=2026-01-15T00:00:00Z`;
    for (const bad of [
      b64('99999999999999999999:1:1'), // ts beyond bigint
      b64('1768471200000000:2147483648:1'), // stream beyond int4
      b64('1768471200000000:1:99999999999999999999'), // seq beyond bigint
      b64('9999999999999999999:1:1'), // ts in bigint, beyond any timestamp
      b64('1:1'),
      '!!!',
    ]) {
      await expect400('GET', `${base}&cursor=${bad}`, 'cursor');
    }
    // The cursor the API hands out still works.
    const p1 = await api.call('GET', `${base}&limit=1`, { token: admin });
    expect(p1.status).toBe(200);
    const p2 = await api.call('GET', `${base}&limit=1&cursor=${p1.body.next}`, { token: admin });
    expect(p2.status).toBe(200);
    expect(p2.body.items.map((r: { values: object }) => r.values)).toEqual([{ energy_import: 2 }]);
  });

  it('dates must exist on the calendar and fit the database', async () => {
    const history = `/api/v1/meters/${meterId}/consumption`;
    await expect400('GET', `${history}?from=2024-02-30&to=2024-03-02`, 'from');
    await expect400('GET', `${history}?from=2023-02-29&to=2023-03-02`, 'from');
    await expect400('GET', `${history}?from=2024-03-01&to=2024-13-01`, 'to');
    await expect400('GET', `${history}?from=2024-03-01T24:00&to=2024-03-02`, 'from');
    await expect400('GET', `${history}?from=0000-01-01&to=2024-03-02`, 'from');
    const readings = `/api/v1/meters/${meterId}/readings`;
    await expect400('GET', `${readings}?from=2024-02-30T00:00:00Z`, 'from');
    await expect400('GET', `${readings}?from=0000-01-01T00:00:00Z`, 'from');
    await expect400('GET', `${readings}?to=2024-01-01T00:00:00%2B99:00`, 'to');
    await expect400('GET', '/api/v1/invoices?period=0000-01', 'period');
    await expect400('POST', '/api/v1/billing/close', 'period', { period: '0000-12' });
    // A leap day is a date.
    const leap = await api.call('GET', `${history}?from=2024-02-29&to=2024-03-01`, {
      token: admin,
    });
    expect(leap.status).toBe(200);
  });

  it('NUL (U+0000) anywhere in a JSON body or query is refused; nothing is stored', async () => {
    await expect400('POST', '/api/v1/customers', 'name', { document: CPF_B, name: 'a\u0000b' });
    await expect400('PATCH', '/api/v1/customers/1', 'tariff', {
      tariff: { id: 't', note: 'x\u0000' },
    });
    await expect400('PATCH', '/api/v1/customers/1', 'tariff', {
      tariff: { 'key\u0000': 1 },
    });
    await expect400('GET', '/api/v1/alarms?type=a%00b', 'type');
    // A lone surrogate cannot be stored as jsonb either.
    const lone = await api.call('PATCH', '/api/v1/customers/1', {
      token: admin,
      body: { tariff: { id: '\ud800' } },
    });
    expect(lone.status).toBe(400);
    const rows = await database.db.selectFrom('customers').select(['document', 'name']).execute();
    expect(rows).toEqual([{ document: '52998224725', name: 'Ana' }]);
  });

  it('bodies nested deeper than 64 levels are refused before they are parsed', async () => {
    const deep = (n: number) => `{"tariff":${'['.repeat(n)}${']'.repeat(n)}}`;
    const send = (text: string) =>
      api.app.request('/api/v1/customers/1', {
        method: 'PATCH',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: text,
      });
    for (const text of [
      deep(5_000),
      `{"tariff":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      // Unbalanced: the scan counts depth, it does not wait for the closing brackets.
      `{"tariff":${'['.repeat(100_000)}`,
    ]) {
      const r = await send(text);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe(
        'GL_PAYLOAD_TOO_DEEP',
      );
    }
    // Brackets inside strings (escaped quotes too) do not count.
    const inString = await send(JSON.stringify({ name: `${'['.repeat(90)}"\\${'{'.repeat(90)}` }));
    expect(inString.status).toBe(200);
    // 64 levels in all (the body object is level 1) is the limit; 65 is refused.
    const at = (levels: number) =>
      send(`{"tariff":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`);
    expect((await at(64)).status).toBe(400); // an array is not a tariff: a schema error
    expect(((await (await at(64)).json()) as { error: { code: string } }).error.code).toBe(
      'GL_VALIDATION',
    );
    expect(((await (await at(65)).json()) as { error: { code: string } }).error.code).toBe(
      'GL_PAYLOAD_TOO_DEEP',
    );
  });

  it('malformed JSON is GL_PAYLOAD_INVALID_JSON', async () => {
    for (const text of ['{"name":', '{name:1}', "{'a':1}", '{"a":1}}', '\u0000{}', '']) {
      const r = await api.app.request('/api/v1/customers', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: text,
      });
      expect(r.status, JSON.stringify(text)).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code, text).toBe(
        'GL_PAYLOAD_INVALID_JSON',
      );
    }
    const login = await api.app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"document":',
    });
    expect(login.status).toBe(400);
    expect(((await login.json()) as { error: { code: string } }).error.code).toBe(
      'GL_PAYLOAD_INVALID_JSON',
    );
  });

  it('amounts that do not fit the database are 400', async () => {
    await expect400('PATCH', '/api/v1/customers/1', 'monthlyLimitKwh', {
      monthlyLimitKwh: 1e300,
    });
    await expect400('PATCH', '/api/v1/customers/1', 'monthlyLimitKwh', {
      monthlyLimitKwh: '9'.repeat(400),
    });
  });
});

describe('every /api/v1 operation with an id or cursor parameter', () => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let admin: string;

  beforeAll(async () => {
    const { openDatabase } = await import('../src/storage/index.js');
    const db = await openDatabase({ kind: 'pglite' });
    database = Object.assign(db, { dispose: () => db.close() });
    api = testApi(database);
    admin = await mintToken(database.db, { role: 'admin' });
  });
  afterAll(() => database.dispose());

  it('answers out-of-range values with 400 or 404, never 500', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string; schema?: { type?: string } }[] }>
      >;
    };
    const tried: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const params = op.parameters ?? [];
        const pathParams = params.filter((p) => p.in === 'path');
        const targets = params.filter(
          (p) =>
            (p.in === 'path' && p.schema?.type === 'integer') ||
            (p.in === 'query' && (p.name === 'cursor' || /Id$/.test(p.name))),
        );
        for (const target of targets) {
          for (const bad of HOSTILE_IDS) {
            let url = path;
            for (const p of pathParams)
              url = url.replace(`{${p.name}}`, p === target ? encodeURIComponent(bad) : '1');
            if (target.in === 'query') url += `?${target.name}=${encodeURIComponent(bad)}`;
            const r = await api.call(method.toUpperCase(), url, {
              token: admin,
              body: method === 'get' || method === 'delete' ? undefined : {},
            });
            tried.push(`${method} ${url}`);
            expect([400, 404], `${method} ${url}: ${r.text}`).toContain(r.status);
          }
        }
      }
    }
    // Not vacuous: the walk reached the id routes of every resource.
    for (const resource of ['meters', 'customers', 'alarms', 'invoices', 'tokens'])
      expect(tried.some((t) => t.includes(`/api/v1/${resource}`))).toBe(true);
    expect(tried.length).toBeGreaterThan(100);
  });
});
