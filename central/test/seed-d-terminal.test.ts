import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepAlarms } from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { configView } from '../src/control/index.js';
import { updateCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type Central, startCentral } from '../src/index.js';
import { ManualReadings } from '../src/legacy/index.js';

/**
 * Seed D's terminal client, as its source builds requests: the body is
 * `json.dumps(obj, separators=(',',':'), indent='\t')` (ASCII only), the request one string
 * `METHOD /route HTTP/1.1` + its five headers + the body, written on a fresh TCP connection; the
 * reply is read from the same socket. Nothing here is GridLink-specific but the extra headers the
 * secured modes add (Authorization), and the local address the test connects from.
 */
function pythonJson(obj: Record<string, unknown>): string {
  const ascii = (s: string) =>
    s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const lines = Object.entries(obj).map(
    ([k, v]) => `\t${ascii(JSON.stringify(k))}:${ascii(JSON.stringify(v))}`,
  );
  return `{\n${lines.join(',\n')}\n}`;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function rawExchange(
  port: number,
  bytes: string | Buffer,
  localAddress = '127.0.0.1',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c) => chunks.push(c));
    // A server that answers before reading the whole request (413, 431) may reset the
    // connection after its answer: what arrived is the answer.
    socket.on('error', (err) => {
      if (chunks.length === 0) reject(err);
    });
    socket.on('close', () => {
      if (chunks.length === 0) return;
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split).split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head[0] ?? '')?.[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: text.slice(split + 4) });
    });
  });
}

function terminal(port: number, options: { from?: string; authorization?: string } = {}) {
  const request = (method: 'GET' | 'POST', route: string, obj: Record<string, unknown>) => {
    const json = pythonJson(obj);
    const auth = options.authorization ? `Authorization: ${options.authorization}\r\n` : '';
    const req = `${method} /${route} HTTP/1.1\r\nHost: localhost:${port}\r\nUser-Agent: EsquivelWindows10NT/2022.7.5\r\nContent-Type: application/json\r\n${auth}Accept: */*\r\nContent-Length: ${json.length}\r\n\r\n${json}`;
    return rawExchange(port, req, options.from);
  };
  return {
    cadUser: (id: string, name: string) => request('POST', 'cadCliente', { id, name }),
    cadMedidor: (id: string) => request('POST', 'cadMedidor', { id }),
    postConsumo: (id: string, medidor: string, valor: number, timestamp: number) =>
      request('POST', 'postConsumo', { id, id_medidor: medidor, valor, timestamp }),
    getHistorico: (id: string, medidor: string, kind: string, periodo: number) =>
      request('GET', 'getConsumoHist', { id, id_medidor: medidor, kind, periodo }),
    getFatura: (id: string) => request('GET', 'getFatura', { id }),
    getAlarm: (id: string) => request('GET', 'getAlarme', { id }),
    request,
  };
}

const CPF_ANA = '52998224725';
const CPF_BIA = '11144477735';
const EDGE = 'edge-seed-d';
/** Epoch seconds of a Bahia (UTC−3) wall time, as the meter's `time.time()` would send it. */
const at = (local: string) => Date.parse(`${local}-03:00`) / 1000;

describe('seed D terminal interface (original client over raw HTTP/1.1)', () => {
  let central: Central;
  let dataDir: string;
  let port: number;
  // 1 December 2026, 10:00 in Bahia: yesterday (30 November) is in the previous month.
  const clock = new FakeClock(Date.parse('2026-12-01T10:00:00-03:00'));
  // The original client, unchanged, from the address the operator listed for anonymous use.
  const listed = () => terminal(port, { from: '127.0.0.2' });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-seed-d-'));
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        log: { level: 'silent' },
        legacy: {
          seedD: {
            enabled: true,
            port: 0,
            edgeId: EDGE,
            maxBodyBytes: 2048,
            anonymous: {
              enabled: true,
              sources: ['127.0.0.2'],
              routes: [
                'cadCliente',
                'cadMedidor',
                'postConsumo',
                'getConsumoHist',
                'getFatura',
                'getAlarme',
              ],
            },
          },
        },
      },
      { logger: pino({ level: 'silent' }), scheduler: false, clock },
    );
    port = central.legacy.seedD?.port ?? 0;
    await upsertEdgeCredential(central.database.db, EDGE);
  });
  afterAll(async () => {
    await central?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses the uncredentialed client from an address the operator did not list', async () => {
    const r = await terminal(port).cadUser(CPF_ANA, 'Ana');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toMatch(/^Basic/);
    expect(JSON.parse(r.body)['errors:']).toMatch(/operator/);
    const read = await terminal(port).getFatura(CPF_ANA);
    expect(read.status).toBe(401);
  });

  it('registers customers and numbers their meters 1, 2, … provisioned for the seed D edge', async () => {
    const t = listed();
    expect(await t.cadUser(CPF_ANA, 'Ana Conceição')).toMatchObject({
      status: 201,
      body: 'Criado',
    });
    const again = await t.cadUser(CPF_ANA, 'Ana');
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toEqual({ 'errors:': 'Cliente já está cadastrado!' });
    expect((await t.cadUser(CPF_BIA, 'Bia')).status).toBe(201);
    expect(await t.cadMedidor(CPF_ANA)).toMatchObject({ status: 201, body: 'Criado' });
    expect(await t.cadMedidor(CPF_ANA)).toMatchObject({ status: 201, body: 'Criado' });
    expect((await t.cadMedidor(CPF_BIA)).status).toBe(201);
    expect(await t.cadMedidor('39053344705')).toMatchObject({ status: 404, body: 'Not Found' });

    const view = await configView(central.database.db, EDGE);
    const provisioned = (view?.desired?.config as { provisioned?: unknown[] } | undefined)
      ?.provisioned;
    expect(provisioned).toEqual([
      { id: `d-${CPF_ANA}-1`, driver: 'udp-meter', meterId: '1', cpf: CPF_ANA },
      { id: `d-${CPF_ANA}-2`, driver: 'udp-meter', meterId: '2', cpf: CPF_ANA },
      { id: `d-${CPF_BIA}-1`, driver: 'udp-meter', meterId: '1', cpf: CPF_BIA },
    ]);
    const customer = await central.database.db
      .selectFrom('customers')
      .select(['name', 'tariff', 'monthly_limit_wh'])
      .where('document', '=', CPF_ANA)
      .executeTakeFirstOrThrow();
    expect(customer.name).toBe('Ana Conceição');
    expect(customer.tariff).toMatchObject({ energy: { model: 'flat', pricePerKwh: '1.07' } });
    expect(Number(customer.monthly_limit_wh)).toBe(1_000_000);
  });

  it('stores posted readings once each, and serves history by day, month and year across a month boundary', async () => {
    const t = listed();
    const posts: Array<[string, string, number, number]> = [
      [CPF_ANA, '1', 100, at('2026-11-10T10:00:00')],
      // 23:30 on 30 November in Bahia is already 1 December in UTC: November here.
      [CPF_ANA, '1', 250.5, at('2026-11-30T23:30:00')],
      [CPF_ANA, '1', 12.25, at('2026-12-01T08:00:00.5')],
      // 31 October 23:30 local is 1 November UTC: October here.
      [CPF_ANA, '1', 7, at('2026-10-31T23:30:00')],
      [CPF_ANA, '2', 40, at('2026-11-15T12:00:00')],
      [CPF_ANA, '2', 30, at('2026-12-01T09:00:00')],
      [CPF_BIA, '1', 999, at('2026-12-01T09:00:00')],
    ];
    for (const [cpf, m, v, ts] of posts)
      expect(await t.postConsumo(cpf, m, v, ts)).toMatchObject({ status: 201, body: 'Criado' });
    expect(await t.postConsumo(CPF_ANA, '3', 1, at('2026-12-01T09:00:00'))).toMatchObject({
      status: 404,
      body: 'N achei',
    });
    const future = await t.postConsumo(CPF_ANA, '1', 1, at('2026-12-01T20:00:00'));
    expect(future.status).toBe(400);

    const stored = await central.database.db
      .selectFrom('readings')
      .select(['seq', 'values'])
      .orderBy('seq')
      .execute();
    expect(stored.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The posted readings are GridLink's: the API shows them with their exact values and times.
    const meter = await central.database.db
      .selectFrom('meters')
      .select('id')
      .where('device_id', '=', `d-${CPF_ANA}-1`)
      .executeTakeFirstOrThrow();
    const admin = await mintToken(central.database.db, { role: 'operator', label: 'check' });
    const api = await fetch(
      `${central.http.url}/api/v1/meters/${meter.id}/readings?from=2026-10-01T00:00:00Z&to=2026-12-02T00:00:00Z`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(api.status).toBe(200);
    const page = (await api.json()) as { items: Array<{ ts: string; values: unknown }> };
    expect(page.items.map((r) => [r.ts, r.values])).toEqual([
      ['2026-11-01T02:30:00.000Z', { energy_interval: 7 }],
      ['2026-11-10T13:00:00.000Z', { energy_interval: 100 }],
      ['2026-12-01T02:30:00.000Z', { energy_interval: 250.5 }],
      ['2026-12-01T11:00:00.500Z', { energy_interval: 12.25 }],
    ]);

    const hist = async (m: string, kind: string, periodo: number) => {
      const r = await t.getHistorico(CPF_ANA, m, kind, periodo);
      expect(r.status).toBe(200);
      expect(Buffer.byteLength(r.body)).toBeLessThan(1024);
      return JSON.parse(r.body);
    };
    expect(await hist('1', 'M', 1)).toEqual({
      id: CPF_ANA,
      soma: 350.5,
      consumo: [
        ['timestamp', 'value'],
        ['10/11/2026 10:00', 100],
        ['30/11/2026 23:30', 250.5],
      ],
    });
    expect(await hist('2', 'M', 1)).toMatchObject({ soma: 40 });
    expect(await hist('1', 'M', 2)).toEqual({
      id: CPF_ANA,
      soma: 7,
      consumo: [
        ['timestamp', 'value'],
        ['31/10/2026 23:30', 7],
      ],
    });
    expect(await hist('1', 'M', 0)).toMatchObject({ soma: 12.25 });
    expect(await hist('1', 'D', 0)).toMatchObject({ soma: 12.25 });
    expect(await hist('1', 'D', 1)).toMatchObject({ soma: 250.5 });
    expect(await hist('1', 'Y', 0)).toMatchObject({ soma: 369.75 });
    expect(await hist('1', 'Y', 1)).toEqual({
      id: CPF_ANA,
      soma: 0,
      consumo: [['timestamp', 'value']],
    });
  });

  it('invoices the month as the sum × R$ 1,07 and keeps customers apart', async () => {
    const t = listed();
    // December: 12.25 + 30 = 42.25 kWh × 1.07 = R$ 45,2075 → 45,21 (half-even on centavos).
    const ana = await t.getFatura(CPF_ANA);
    expect(ana.status).toBe(200);
    expect(JSON.parse(ana.body)).toEqual([45.21, 42.25]);
    // 999 kWh × 1.07 = 1068.93
    expect(JSON.parse((await t.getFatura(CPF_BIA)).body)).toEqual([1068.93, 999]);
    expect(await t.getFatura('39053344705')).toMatchObject({ status: 404, body: 'Not Found' });
  });

  it('raises the excess alarm above 1000 kWh and the client polls it', async () => {
    const t = listed();
    expect(JSON.parse((await t.getAlarm(CPF_ANA)).body)).toEqual({ alarme: 'Ok!' });
    expect((await t.postConsumo(CPF_ANA, '2', 1500, at('2026-12-01T09:30:00'))).status).toBe(201);
    await sweepAlarms(central.database.db, { now: new Date(clock.now()) });
    expect(JSON.parse((await t.getAlarm(CPF_ANA)).body)).toEqual({ alarme: 'Excesso!' });
    // 999 kWh this month, no single reading above 1000: no excess.
    expect(JSON.parse((await t.getAlarm(CPF_BIA)).body)).toEqual({ alarme: 'Ok!' });
    expect(await t.getAlarm('39053344705')).toMatchObject({ status: 404, body: 'Not Client' });
  });

  it('stores concurrent posts once each, also when two centrals race for the same seq', async () => {
    const db = central.database.db;
    const bia = await db
      .selectFrom('meters')
      .select('id')
      .where('device_id', '=', `d-${CPF_BIA}-1`)
      .executeTakeFirstOrThrow();
    // Another central on the same database has its own ManualReadings: both read the same mark.
    const other = new ManualReadings(db);
    const t = listed();
    const base = at('2026-12-01T07:00:00');
    const results = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => t.postConsumo(CPF_BIA, '1', 0.5, base + i)),
      ...Array.from({ length: 8 }, (_, i) =>
        other.store({
          edgeId: EDGE,
          deviceId: `d-${CPF_BIA}-1`,
          meterRowId: bia.id,
          ts: (base + 100 + i) * 1000,
          kwh: 0.25,
        }),
      ),
    ]);
    expect(results.slice(0, 8).every((r) => (r as Reply).status === 201)).toBe(true);
    const rows = await db
      .selectFrom('readings')
      .select(['seq'])
      .where('meter_id', '=', bia.id)
      .orderBy('seq')
      .execute();
    // 999 kWh posted before, then 16 more: one row each, seqs distinct.
    expect(rows).toHaveLength(17);
    expect(new Set(rows.map((r) => String(r.seq))).size).toBe(17);
    // 999 + 8 × 0.5 + 8 × 0.25 = 1005 kWh × 1.07 = 1075.35
    expect(JSON.parse((await t.getFatura(CPF_BIA)).body)).toEqual([1075.35, 1005]);
    // The seed's other excess rule: the month's sum above 1000 kWh, no reading above it.
    await sweepAlarms(db, { now: new Date(clock.now()) });
    expect(JSON.parse((await t.getAlarm(CPF_BIA)).body)).toEqual({ alarme: 'Excesso!' });
  });

  it('authenticates staff by token and customers by CPF:password, each to its own data', async () => {
    const db = central.database.db;
    const operator = await mintToken(db, { role: 'operator', label: 'desk' });
    const staff = terminal(port, { authorization: `Bearer ${operator}` });
    expect((await staff.cadUser('39053344705', 'Caio')).status).toBe(201);
    expect((await staff.getFatura(CPF_BIA)).status).toBe(200);

    const ana = await db
      .selectFrom('customers')
      .select('id')
      .where('document', '=', CPF_ANA)
      .executeTakeFirstOrThrow();
    await updateCustomer(
      db,
      ana.id,
      { password: 'correct horse battery' },
      { now: new Date(clock.now()) },
    );
    const basic = (cpf: string, pw: string) =>
      terminal(port, { authorization: `Basic ${Buffer.from(`${cpf}:${pw}`).toString('base64')}` });
    const own = await basic(CPF_ANA, 'correct horse battery').getFatura(CPF_ANA);
    expect(JSON.parse(own.body)).toEqual([1650.21, 1542.25]);
    // Another customer's CPF looks absent, exactly like one nobody has.
    expect(await basic(CPF_ANA, 'correct horse battery').getFatura(CPF_BIA)).toMatchObject({
      status: 404,
      body: 'Not Found',
    });
    expect((await basic(CPF_ANA, 'wrong').getFatura(CPF_ANA)).status).toBe(401);
    expect((await basic(CPF_ANA, 'correct horse battery').cadMedidor(CPF_ANA)).status).toBe(403);
    const customerToken = await mintToken(db, { role: 'customer', subject: String(ana.id) });
    expect(
      (await terminal(port, { authorization: `Bearer ${customerToken}` }).cadMedidor(CPF_ANA))
        .status,
    ).toBe(403);
  });

  it('answers hostile input with 4xx in the original style and keeps serving', async () => {
    const t = listed();
    // One after the other: each is sent only when the one before was answered.
    const cases: Array<[string, () => Promise<Reply>, number]> = [
      [
        'garbage bytes',
        () => rawExchange(port, Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]), '127.0.0.2'),
        400,
      ],
      [
        'malformed JSON',
        () =>
          rawExchange(
            port,
            'POST /cadCliente HTTP/1.1\r\nContent-Length: 8\r\n\r\n{"id":"5',
            '127.0.0.2',
          ),
        400,
      ],
      [
        'a JSON array',
        () =>
          rawExchange(
            port,
            'POST /cadCliente HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]',
            '127.0.0.2',
          ),
        400,
      ],
      ['wrong field types', () => t.request('POST', 'cadCliente', { id: [1], name: {} }), 400],
      ['missing fields', () => t.request('POST', 'cadCliente', { id: CPF_ANA }), 400],
      ['invalid CPF', () => t.cadUser('12345678900', 'X'), 400],
      ['over-long CPF', () => t.cadUser('1'.repeat(500), 'X'), 400],
      ['over-long name', () => t.cadUser('39053344705', 'n'.repeat(121)), 400],
      ['body over the limit', () => t.cadUser('39053344705', 'n'.repeat(3000)), 413],
      ['wrong kind', () => t.getHistorico(CPF_ANA, '1', 'W', 0), 400],
      ['negative period', () => t.getHistorico(CPF_ANA, '1', 'M', -1), 400],
      ['meter 0', () => t.postConsumo(CPF_ANA, '0', 1, at('2026-12-01T09:00:00')), 400],
      [
        'NaN-like value',
        () =>
          t.request('POST', 'postConsumo', {
            id: CPF_ANA,
            id_medidor: '1',
            valor: 'lots',
            timestamp: 1,
          }),
        400,
      ],
      ['wrong method', () => t.request('GET', 'cadCliente', { id: CPF_ANA, name: 'A' }), 404],
      ['unknown route', () => t.request('GET', 'api/v1/customers/39053344705', {}), 404],
      [
        'header overflow',
        () =>
          rawExchange(
            port,
            `GET /getFatura HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
            '127.0.0.2',
          ),
        431,
      ],
    ];
    for (const [name, reply, status] of cases) {
      const r = await reply();
      expect({ name, status: r.status }).toEqual({ name, status });
      if (status === 400) expect(JSON.parse(r.body)).toHaveProperty(['errors:']);
    }
    const detail = await t.cadUser('12345678900', 'X');
    expect(JSON.parse(detail.body)['errors:']).toMatch(/id: not a valid CPF/);
    // Still serving.
    expect((await t.getFatura(CPF_BIA)).status).toBe(200);
  });
});

describe('legacy.seedD config', () => {
  it('is off by default, on the original port, anonymous off and read-only when on', () => {
    const c = parseCentralConfig({});
    expect(c.legacy.seedD).toMatchObject({
      enabled: false,
      port: 8888,
      host: '127.0.0.1',
      pricePerKwh: '1.07',
      excessKwh: 1000,
      anonymous: {
        enabled: false,
        sources: ['127.0.0.1', '::1'],
        routes: ['getConsumoHist', 'getFatura', 'getAlarme'],
      },
    });
  });

  it('names the key path of a bad or unknown value', () => {
    expect(() => parseCentralConfig({ legacy: { seedD: { prot: 1 } } })).toThrow(/legacy\.seedD/);
    expect(() =>
      parseCentralConfig({ legacy: { seedD: { anonymous: { sources: ['localhost'] } } } }),
    ).toThrow(/legacy\.seedD\.anonymous\.sources\.0/);
    expect(() =>
      parseCentralConfig({ legacy: { seedD: { anonymous: { routes: ['getEverything'] } } } }),
    ).toThrow(/legacy\.seedD\.anonymous\.routes\.0/);
    expect(() => parseCentralConfig({ legacy: { seedD: { pricePerKwh: 'R$ 1,07' } } })).toThrow(
      /legacy\.seedD\.pricePerKwh/,
    );
  });
});
