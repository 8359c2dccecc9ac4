import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { closeBillingPeriod } from '../src/billing/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { csvCell, csvRecord, csvStream, wantsCsv } from '../src/export/index.js';
import { rollupMeters } from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        field += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') {
          field += '"';
          i += 1;
        } else break;
      }
    } else {
      const end = text.slice(i).search(/[,\r]/);
      if (end < 0) throw new Error('record not ended by CRLF');
      field = text.slice(i, i + end);
      if (field.includes('"') || field.includes('\n')) throw new Error(`bare quote/LF: ${field}`);
      i += end;
    }
    row.push(field);
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
    if (i === text.length) return rows;
  }
}

describe('CSV encoding (RFC 4180, formula-safe)', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['comma → quoted', 'a,b', '"a,b"'],
    ['quote doubled', 'say "oi"', '"say ""oi"""'],
    ['CR LF → quoted', 'l1\r\nl2', '"l1\r\nl2"'],
    ['UTF-8 text as is', 'Conceição', 'Conceição'],
    ['= formula → text', '=1+1', "'=1+1"],
    ['+ formula → text', '+55 71', "'+55 71"],
    ['- formula → text', '-2+3', "'-2+3"],
    ['@ formula → text', '@SUM(A1)', "'@SUM(A1)"],
    ['tab start → text', '\tx', "'\tx"],
    [
      'formula with comma: prefixed, then quoted',
      '=HYPERLINK("http://x","y")',
      `"'=HYPERLINK(""http://x"",""y"")"`,
    ],
    ['a negative number stays a number', -3.5, '-3.5'],
    ['null → empty', null, ''],
    ['not finite → empty', Number.NaN, ''],
  ])('%s', (_name, value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('records end with CRLF and read back to the same values', () => {
    const values = ['a,b', 'x"y', 'l1\nl2', '=cmd', 'ç'];
    expect(parseCsv(csvRecord(values))).toEqual([['a,b', 'x"y', 'l1\nl2', "'=cmd", 'ç']]);
  });

  it.each([
    [undefined, 'text/csv', true],
    [undefined, 'application/json', false],
    [undefined, undefined, false],
    [undefined, '*/*', false],
    [undefined, 'text/csv, application/json', true],
    [undefined, 'application/json, text/csv', false],
    [undefined, 'application/json;q=0.5, text/csv', true],
    [undefined, 'text/csv;q=0', false],
    ['csv', 'application/json', true],
    ['json', 'text/csv', false],
  ])('format %s, Accept %s → csv %s', (format, accept, csv) => {
    expect(wantsCsv(format, accept)).toBe(csv);
  });

  it('streams: a page is read only when the previous one was consumed', async () => {
    const pulled: number[] = [];
    async function* pages() {
      for (let p = 0; p < 3; p++) {
        pulled.push(p);
        yield [[p, `row ${p}`]];
      }
    }
    const reader = csvStream(['n', 'text'], pages()).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('n,text\r\n');
    expect(decoder.decode((await reader.read()).value)).toBe('0,row 0\r\n');
    // Nothing is read ahead of the consumer beyond the stream's one-chunk high-water mark.
    expect(pulled.length).toBeLessThanOrEqual(2);
    await reader.cancel();
    expect(pulled.length).toBeLessThan(3);
  });
});

describeEachStore('CSV export over HTTP', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  const t: Record<string, string> = {};
  let m1: number;
  let m2: number;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    api.clock.now = new Date('2024-03-10T12:00:00Z');
    const feed = readingFeeder(database.db, 'edge-csv');
    // m1: 1,500 readings a minute apart from 2024-01-01T03:00Z (two export pages of 1,000),
    // each with two registers; a register whose name a spreadsheet would run as a formula.
    const start = Date.parse('2024-01-01T03:00:00Z');
    const ids = await feed(
      Array.from({ length: 1500 }, (_, i) => ({
        deviceId: 'm1',
        at: new Date(start + i * 60_000).toISOString(),
        values: { energy_import: 1000 + i / 100, voltage_l1: 220 },
      })),
    );
    m1 = ids.get('m1') as number;
    const more = await feed([
      { deviceId: 'm1', at: '2024-02-01T03:00:00Z', values: { energy_import: 1100 } },
      { deviceId: 'm2', at: '2024-01-01T03:00:00Z', values: { energy_import: 10, '=1+1': -2 } },
      { deviceId: 'm2', at: '2024-02-01T03:00:00Z', values: { energy_import: 20 } },
    ]);
    m2 = more.get('m2') as number;
    const tariff = { id: 'flat', energy: { model: 'flat', pricePerKwh: '1.00' } } as const;
    const ana = await createCustomer(database.db, { document: CPF_A, name: 'Ana', tariff });
    const bia = await createCustomer(database.db, { document: CPF_B, name: 'Bia', tariff });
    await bindMeter(database.db, ana.id, { meterId: m1 });
    await bindMeter(database.db, bia.id, { meterId: m2 });
    await rollupMeters(database.db, undefined, { now: api.clock.now });
    await closeBillingPeriod(database.db, { period: '2024-01', now: api.clock.now });
    t.admin = await mintToken(database.db, { role: 'admin' });
    t.ana = await mintToken(database.db, { role: 'customer', subject: String(ana.id) });
    t.bia = await mintToken(database.db, { role: 'customer', subject: String(bia.id) });
  });
  afterAll(() => database.dispose());

  const get = async (path: string, token: string, accept?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (accept) headers.accept = accept;
    const res = await api.app.request(path, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const range = 'from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z';

  it('readings: every reading of the range, across pages, by ?format=csv and by Accept', async () => {
    const r = await get(
      `/api/v1/meters/${m1}/readings?${range}&format=csv&limit=5`,
      t.ana as string,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.type).toBe('text/csv; charset=utf-8; header=present');
    const rows = parseCsv(r.text);
    expect(rows[0]).toEqual(['ts', 'quality', 'register', 'value']);
    // 1,501 readings × 2 or 1 registers: limit and cursor do not page a CSV export.
    expect(rows.length - 1).toBe(1500 * 2 + 1);
    expect(rows[1]).toEqual(['2024-01-01T03:00:00.000Z', 'good', 'energy_import', '1000']);
    expect(rows[2]).toEqual(['2024-01-01T03:00:00.000Z', 'good', 'voltage_l1', '220']);
    expect(rows.at(-1)).toEqual(['2024-02-01T03:00:00.000Z', 'good', 'energy_import', '1100']);
    const byAccept = await get(
      `/api/v1/meters/${m1}/readings?${range}`,
      t.ana as string,
      'text/csv',
    );
    expect(byAccept.text).toBe(r.text);
    // JSON stays the default.
    const json = await get(`/api/v1/meters/${m1}/readings?${range}&limit=5`, t.ana as string);
    expect(json.type).toMatch(/^application\/json/);
  });

  it('a device-chosen register name cannot become a spreadsheet formula', async () => {
    const r = await get(`/api/v1/meters/${m2}/readings?${range}&format=csv`, t.admin as string);
    expect(r.status, r.text).toBe(200);
    const rows = parseCsv(r.text);
    expect(rows).toContainEqual(['2024-01-01T03:00:00.000Z', 'good', "'=1+1", '-2']);
  });

  it('same authorization and ownership as JSON', async () => {
    expect((await get(`/api/v1/meters/${m1}/readings?format=csv`, t.bia as string)).status).toBe(
      404,
    );
    expect((await get(`/api/v1/meters/${m1}/consumption?format=csv`, t.bia as string)).status).toBe(
      404,
    );
    const res = await api.app.request(`/api/v1/meters/${m1}/readings?format=csv`);
    expect(res.status).toBe(401);
    const bia = parseCsv((await get('/api/v1/invoices?format=csv', t.bia as string)).text);
    expect(bia.slice(1).map((r) => r[3])).toEqual(bia.slice(1).map(() => bia[1]?.[3]));
    expect(bia.length).toBe(2);
    const all = parseCsv((await get('/api/v1/invoices?format=csv', t.admin as string)).text);
    expect(all.length).toBe(3);
  });

  it('consumption and invoices', async () => {
    const c = await get(
      `/api/v1/meters/${m1}/consumption?from=2024-01-01&to=2024-03-01&granularity=month`,
      t.ana as string,
      'text/csv',
    );
    expect(c.status, c.text).toBe(200);
    expect(parseCsv(c.text)).toEqual([
      ['start', 'startsAt', 'wh', 'kwh', 'timeZone'],
      ['2024-01', '2024-01-01T03:00:00.000Z', '100000', '100.000', 'America/Bahia'],
      ['2024-02', '2024-02-01T03:00:00.000Z', '0', '0.000', 'America/Bahia'],
    ]);
    const inv = await get('/api/v1/invoices?format=csv', t.admin as string);
    expect(inv.status, inv.text).toBe(200);
    const rows = parseCsv(inv.text);
    const header = rows[0] as string[];
    expect(header.slice(0, 4)).toEqual(['id', 'number', 'meterId', 'customerId']);
    const json = await api.call('GET', '/api/v1/invoices', { token: t.admin });
    expect(rows.length - 1).toBe(json.body.items.length);
    const first = Object.fromEntries(header.map((h, i) => [h, rows[1]?.[i]]));
    const j = json.body.items[0];
    expect(first).toMatchObject({
      id: String(j.id),
      meterId: String(j.meterId),
      periodStart: j.period.start,
      totalCentavos: String(j.totalCentavos),
      status: j.status,
      dueDate: j.dueDate,
    });
  });
});
