import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { ControlPlane } from '../src/control/index.js';
import { createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';
import { testApi } from './helpers/api.js';

type Param = { name: string; in: string; schema?: { type?: string; pattern?: string } };
type Doc = { paths: Record<string, Record<string, { parameters?: Param[] }>> };

/** Values that are not ids: each must be 400 or 404 wherever an id is taken, never 500. */
const NOT_IDS = [
  '39053344705', // a CPF (issue 19: was 500 on GET /customers/{id})
  '11222333000181', // a CNPJ
  '99999999999999999999999', // over-long
  '2147483648', // int4 + 1
  'abc',
  '1e3',
  '-1',
  '0',
  '1.5',
  '0x10',
  '%20',
];

/** Good values for the other path parameters, so only the id is wrong. */
const OTHER: Record<string, string> = {
  edgeId: 'e1',
  deviceId: 'm1',
  key: 'udp-meter:52998224725:1',
  commandId: '7a0c3f5e-8a4b-4c1d-9e2f-0b1c2d3e4f50',
  tokenId: '0123456789abcdef',
  kind: 'car',
  name: 'ABC1D23',
};

describe('ids never 500: every route with an id parameter, from /openapi.json', () => {
  let database: Database;
  let call: ReturnType<typeof testApi>['call'];
  let app: ReturnType<typeof testApi>['app'];
  let admin: string;
  let ana: number;
  let anaToken: string;

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite' });
    await upsertEdgeCredential(database.db, 'e1');
    const control = new ControlPlane({
      db: database.db,
      link: { publish: async () => {} },
      logger: pino({ level: 'silent' }),
    });
    ({ call, app } = testApi(database, { control }));
    admin = await mintToken(database.db, { role: 'admin' });
    ana = (await createCustomer(database.db, { document: '52998224725', name: 'Ana' })).id;
    await createCustomer(database.db, { document: '11222333000181', name: 'Bia Ltda' });
    anaToken = await mintToken(database.db, { role: 'customer', subject: String(ana) });
  });
  afterAll(async () => database?.close());

  /** Every (method, path, parameter) where an id goes: path and query parameters alike. */
  async function idParameters() {
    const doc = (await (await app.request('/openapi.json')).json()) as Doc;
    const out: Array<{ method: string; path: string; param: Param }> = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const param of op.parameters ?? [])
          if (
            (param.in === 'path' && (param.name === 'id' || /Id$/.test(param.name))) ||
            (param.in === 'query' &&
              param.schema?.type === 'integer' &&
              /(^id|Id)$/.test(param.name))
          )
            if (!(param.name in OTHER)) out.push({ method, path, param });
    return out;
  }

  it('finds the id parameters of every prefix (the walk is not vacuous)', async () => {
    const params = await idParameters();
    const prefixes = new Set(params.map((p) => p.path.split('/')[3]));
    for (const prefix of ['customers', 'meters', 'invoices', 'alarms'])
      expect([...prefixes]).toContain(prefix);
    expect(params.length).toBeGreaterThanOrEqual(15);
  });

  it('a CPF, a CNPJ, an over-long or a non-numeric id is 400 or 404, never 500', async () => {
    const failures: string[] = [];
    let requests = 0;
    for (const { method, path, param } of await idParameters())
      for (const bad of NOT_IDS) {
        let url = path.replace(/\{(\w+)\}/g, (_, p: string) =>
          p === param.name && param.in === 'path' ? bad : (OTHER[p] ?? '1'),
        );
        if (param.in === 'query') url += `?${param.name}=${bad}`;
        const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined;
        const r = await call(method.toUpperCase(), url, { token: admin, body });
        requests++;
        // GET /customers/{id} takes a CPF/CNPJ as the customer's (tested below).
        const documentLookup = method === 'get' && path === '/api/v1/customers/{id}';
        const allowed = documentLookup && /^\d{11}$|^\d{14}$/.test(bad) ? [200, 404] : [400, 404];
        if (!allowed.includes(r.status) || !/^GL_|^$/.test(r.body?.error?.code ?? ''))
          failures.push(`${method} ${url}: ${r.status} ${r.body?.error?.code}`);
      }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(100);
  });

  it('GET /customers/{id} takes the customer CPF or CNPJ (digits) as its id, scoped like the id', async () => {
    const byCpf = await call('GET', '/api/v1/customers/52998224725', { token: admin });
    expect([byCpf.status, byCpf.body.id, byCpf.body.name]).toEqual([200, ana, 'Ana']);
    const byCnpj = await call('GET', '/api/v1/customers/11222333000181', { token: admin });
    expect([byCnpj.status, byCnpj.body.name]).toEqual([200, 'Bia Ltda']);
    // A valid CPF nobody holds: 404; an 11-digit number that is not a CPF: 400.
    const nobody = await call('GET', '/api/v1/customers/39053344705', { token: admin });
    expect([nobody.status, nobody.body.error.code]).toEqual([404, 'GL_NOT_FOUND']);
    const notCpf = await call('GET', '/api/v1/customers/52998224700', { token: admin });
    expect([notCpf.status, notCpf.body.error.code]).toEqual([400, 'GL_VALIDATION']);
    // A customer reads itself by its CPF, and not another one by theirs.
    const own = await call('GET', '/api/v1/customers/52998224725', { token: anaToken });
    expect([own.status, own.body.id]).toEqual([200, ana]);
    // Another's document and a document nobody holds answer alike: nothing to learn.
    const other = await call('GET', '/api/v1/customers/11222333000181', { token: anaToken });
    const none = await call('GET', '/api/v1/customers/39053344705', { token: anaToken });
    expect([other.status, other.body]).toEqual([404, none.body]);
    // Formatted documents are not ids (a CNPJ's slash is a path separator): 400.
    const dotted = await call('GET', '/api/v1/customers/529.982.247-25', { token: admin });
    expect(dotted.status).toBe(400);
  });
});
