import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import {
  closeBillingPeriod,
  decodePix,
  hasValidPixCrc,
  type PixSettings,
  previousMonth,
} from '../src/billing/index.js';
import { bindMeter, createCustomer, updateCustomer } from '../src/customers/index.js';
import { type Scheduler, startJobs } from '../src/jobs/index.js';
import type { Database } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

const PIX: PixSettings = {
  key: '123e4567-e12b-12d1-a456-426655440000',
  merchantName: 'GridLink Energia',
  merchantCity: 'Salvador',
};

/** A scheduler that records tasks; the test fires them with the instant cron would pass. */
function manualScheduler() {
  const tasks = new Map<
    string,
    { expression: string; zone: string; fire: (at: Date) => Promise<void> }
  >();
  const scheduler: Scheduler = {
    schedule(expression, options, task) {
      tasks.set(options.name, { expression, zone: options.timeZone, fire: task });
      return { stop: () => tasks.delete(options.name) };
    },
  };
  return { scheduler, tasks };
}

describeEachStore('invoices: closing a billing period', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  const t: Record<string, string> = {};
  const customers: Record<string, number> = {};
  let ids: Map<string, number>;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database, { billing: { pix: PIX, dueDays: 10 } });
    api.clock.now = new Date('2024-02-20T12:00:00Z');
    const feed = readingFeeder(database.db, 'edge-b');
    // Bahia is UTC−3: 03:00Z is local midnight.
    ids = await feed([
      // ana/m1: 250.500 kWh in January, 50.000 in February.
      { deviceId: 'm1', at: '2024-01-01T03:00:00Z', values: { energy_import: 1000 } },
      { deviceId: 'm1', at: '2024-01-15T03:00:00Z', values: { energy_import: 1100 } },
      { deviceId: 'm1', at: '2024-02-01T03:00:00Z', values: { energy_import: 1250.5 } },
      { deviceId: 'm1', at: '2024-03-01T03:00:00Z', values: { energy_import: 1300.5 } },
      // bia/m2: 60 kWh in January, below the three-phase minimum of 100 kWh.
      { deviceId: 'm2', at: '2024-01-01T03:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm2', at: '2024-02-01T03:00:00Z', values: { energy_import: 70 } },
      // padaria/m3: Wed 10 Jan, 17:00–18:00 local 1 kWh (intermediário), 18:00–21:00 3 kWh (ponta).
      { deviceId: 'm3', at: '2024-01-10T20:00:00Z', values: { energy_import: 0 } },
      { deviceId: 'm3', at: '2024-01-10T21:00:00Z', values: { energy_import: 1 } },
      { deviceId: 'm3', at: '2024-01-11T00:00:00Z', values: { energy_import: 4 } },
      // carla/m4: no tariff yet.
      { deviceId: 'm4', at: '2024-01-11T00:00:00Z', values: { energy_import: 4 } },
    ]);
    const mk = async (
      key: string,
      document: string,
      meter: string,
      extra: Parameters<typeof createCustomer>[1] extends infer T ? Partial<T> : never,
    ) => {
      const c = await createCustomer(database.db, { document, name: key, ...extra });
      customers[key] = c.id;
      await bindMeter(database.db, c.id, { meterId: ids.get(meter) as number });
      t[key] = await mintToken(database.db, { role: 'customer', subject: String(c.id) });
    };
    await mk('ana', CPF_A, 'm1', {
      tariff: {
        id: 'sistema-d',
        energy: { model: 'flat', pricePerKwh: '1.07' },
        minimumAvailabilityKwh: false,
      },
    });
    await mk('bia', CPF_B, 'm2', {
      connection: 'three-phase',
      tariff: { id: 'sistema-e', energy: { model: 'flat', pricePerKwh: '0.40' } },
    });
    await mk('padaria', CNPJ_C, 'm3', {
      tariff: {
        id: 'branca',
        energy: {
          model: 'time-of-use',
          prices: { ponta: '2.00', intermediario: '1.00', foraDePonta: '0.50' },
        },
        minimumAvailabilityKwh: false,
      },
    });
    await mk('carla', '39053344705', 'm4', {});
    t.admin = await mintToken(database.db, { role: 'admin' });
    t.operator = await mintToken(database.db, { role: 'operator' });
  });
  afterAll(() => database.dispose());

  it('a period that has not ended is not billed', async () => {
    const r = await closeBillingPeriod(database.db, {
      period: '2024-02',
      now: new Date('2024-02-20T12:00:00Z'),
      pix: PIX,
    });
    expect(r.issued).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual([
      'period-open',
      'period-open',
      'period-open',
      'no-tariff',
    ]);
  });

  it('the admin closes January: one invoice per meter, priced from the rollups', async () => {
    expect(
      (
        await api.call('POST', '/api/v1/billing/close', {
          token: t.operator,
          body: { period: '2024-01' },
        })
      ).status,
    ).toBe(403);
    const r = await api.call('POST', '/api/v1/billing/close', {
      token: t.admin,
      body: { period: '2024-01' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ period: '2024-01', existing: 0 });
    expect(r.body.issued).toHaveLength(3);
    expect(r.body.skipped).toEqual([{ meterId: ids.get('m4'), reason: 'no-tariff' }]);

    const all = await api.call('GET', '/api/v1/invoices?period=2024-01', { token: t.admin });
    const byMeter = new Map(all.body.items.map((i: { meterId: number }) => [i.meterId, i]));
    // 250.500 kWh × R$ 1,07 = R$ 268,035 → 26803.5 centavos → half to even → 26804.
    expect(byMeter.get(ids.get('m1'))).toMatchObject({
      consumptionKwh: '250.500',
      billedKwh: '250.500',
      totalCentavos: 26804,
      period: { start: '2024-01-01', end: '2024-02-01', timeZone: 'America/Bahia' },
      // Closed late, on 20 February: 10 days counting the issue date (docs/BILLING.md, "Due date").
      dueDate: '2024-02-29',
      status: 'open',
    });
    // 60 kWh × 0,40 = 24,00 + availability (100 − 60) × 0,40 = 16,00 → R$ 40,00.
    expect(byMeter.get(ids.get('m2'))).toMatchObject({
      consumptionKwh: '60.000',
      billedKwh: '100.000',
      totalCentavos: 4000,
    });
    // Tarifa Branca: 1 kWh × 1,00 (intermediário) + 3 kWh × 2,00 (ponta) = R$ 7,00.
    const tou = byMeter.get(ids.get('m3')) as {
      totalCentavos: number;
      lines: Array<{ code: string; amount: number }>;
    };
    expect(tou.totalCentavos).toBe(700);
    expect(tou.lines.map((l) => [l.code, l.amount])).toEqual(
      expect.arrayContaining([
        ['energy.ponta', 600],
        ['energy.intermediario', 100],
      ]),
    );
  });

  it('each invoice carries a valid Pix BR Code with its amount and a txid from its id', async () => {
    const all = await api.call('GET', '/api/v1/invoices', { token: t.admin });
    for (const inv of all.body.items as Array<{
      id: number;
      pixPayload: string;
      totalCentavos: number;
    }>) {
      expect(hasValidPixCrc(inv.pixPayload)).toBe(true);
      const pix = decodePix(inv.pixPayload);
      expect(pix).toMatchObject({
        key: PIX.key,
        merchantName: 'GridLink Energia',
        merchantCity: 'Salvador',
        amount: inv.totalCentavos,
        txid: `GLINV${String(inv.id).padStart(10, '0')}`,
      });
    }
  });

  it('closing again, even concurrently, issues nothing new and changes nothing', async () => {
    const before = await database.db.selectFrom('invoices').selectAll().orderBy('id').execute();
    await updateCustomer(database.db, customers.ana as number, {
      tariff: { id: 'changed', energy: { model: 'flat', pricePerKwh: '9.99' } },
    });
    const runs = await Promise.all(
      [1, 2, 3].map(() =>
        closeBillingPeriod(database.db, {
          period: '2024-01',
          now: new Date('2024-02-20T12:00:00Z'),
          pix: PIX,
        }),
      ),
    );
    for (const r of runs) expect(r.issued).toEqual([]);
    const after = await database.db.selectFrom('invoices').selectAll().orderBy('id').execute();
    expect(after).toEqual(before);
  });

  it('customers see only their own invoices; other ids are 404', async () => {
    const mine = await api.call('GET', '/api/v1/invoices', { token: t.ana });
    expect(mine.body.items.map((i: { customerId: number }) => i.customerId)).toEqual([
      customers.ana,
    ]);
    const biaInvoice = (await api.call('GET', '/api/v1/invoices', { token: t.bia })).body.items[0];
    for (const path of [
      `/api/v1/invoices/${biaInvoice.id}`,
      `/api/v1/invoices/${biaInvoice.id}/html`,
      `/api/v1/invoices/${biaInvoice.id}/pix.svg`,
    ]) {
      expect((await api.call('GET', path, { token: t.ana })).status).toBe(404);
    }
    expect(
      (await api.call('GET', `/api/v1/invoices/${biaInvoice.id}`, { token: t.bia })).status,
    ).toBe(200);
    const filtered = await api.call('GET', `/api/v1/invoices?customerId=${customers.bia}`, {
      token: t.ana,
    });
    expect(filtered.body.items).toEqual([]);
  });

  it('the printable invoice shows lines, total, due date, Pix code and QR; HTML is escaped', async () => {
    await updateCustomer(database.db, customers.ana as number, { name: 'Ana <b>&</b>' });
    const inv = (await api.call('GET', '/api/v1/invoices', { token: t.ana })).body.items[0];
    const page = await api.call('GET', `/api/v1/invoices/${inv.id}/html`, { token: t.ana });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('R$\u00a0268,04');
    expect(page.text).toContain('Vencimento: 29/02/2024');
    expect(page.text).toContain('529.982.247-25');
    expect(page.text).toContain(inv.pixPayload);
    expect(page.text).toContain('<svg');
    expect(page.text).toContain('Ana &lt;b&gt;&amp;&lt;/b&gt;');
    const svg = await api.call('GET', `/api/v1/invoices/${inv.id}/pix.svg`, { token: t.ana });
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(svg.text).toMatch(/^<svg/);
  });

  it('the monthly cron job closes the previous month once, however many instances fire', async () => {
    // February is closed by the job fired on 1 March, 03:00 in Bahia.
    const a = manualScheduler();
    const b = manualScheduler();
    const logger = pino({ level: 'silent' });
    const opts = { db: database.db, logger, billing: { pix: PIX } };
    const jobsA = startJobs({ ...opts, scheduler: a.scheduler });
    const jobsB = startJobs({ ...opts, scheduler: b.scheduler });
    const billing = a.tasks.get('billing.close-period');
    expect(billing).toMatchObject({ expression: '40 17 3 * * *', zone: 'America/Bahia' });
    expect(a.tasks.get('metering.rollup')?.expression).toBe('20 */5 * * * *');
    const at = new Date('2024-03-01T06:00:00Z');
    expect(previousMonth(at, 'America/Bahia')).toBe('2024-02');
    await Promise.all([billing?.fire(at), b.tasks.get('billing.close-period')?.fire(at)]);
    const runs = await database.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', 'billing.close-period')
      .execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.slot).toBe('2024-03-01T06:00:00.000Z');
    const feb = await api.call('GET', '/api/v1/invoices?period=2024-02', { token: t.admin });
    // ana (now on the changed tariff: 50 kWh × 9,99), bia and padaria; carla has no tariff.
    expect(feb.body.items).toHaveLength(3);
    const ana = feb.body.items.find((i: { customerId: number }) => i.customerId === customers.ana);
    expect(ana).toMatchObject({ consumptionKwh: '50.000', totalCentavos: 49950 });
    await Promise.all([jobsA.stop(), jobsB.stop()]);
    expect(a.tasks.size).toBe(0);
  });
});

describeEachStore('invoices: the close rolls up on its own clock', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('a period later than the wall clock is billed from its readings (rollup horizon = now + 1 h)', async () => {
    // The close's `now` is the clock (a scheduled instant, or a fake clock years ahead). Rolled up
    // on the wall clock instead, these readings would lie past the horizon: nothing rolled up, and
    // a watermark left by a rollup on the same clock would be taken for a future-dated reading and
    // the meter's rollup thrown away.
    const feed = readingFeeder(database.db, 'edge-future');
    const ids = await feed([
      { deviceId: 'f1', at: '2040-01-01T03:00:00Z', values: { energy_import: 100 } },
      { deviceId: 'f1', at: '2040-02-01T03:00:00Z', values: { energy_import: 142.5 } },
    ]);
    const c = await createCustomer(database.db, {
      document: CPF_A,
      name: 'future',
      tariff: {
        id: 'flat',
        energy: { model: 'flat', pricePerKwh: '1.00' },
        minimumAvailabilityKwh: false,
      },
    });
    await bindMeter(database.db, c.id, { meterId: ids.get('f1') as number });
    const r = await closeBillingPeriod(database.db, {
      period: '2040-01',
      now: new Date('2040-02-20T12:00:00Z'),
      pix: PIX,
    });
    expect(r.issued).toHaveLength(1);
    const inv = await database.db
      .selectFrom('invoices')
      .select(['consumption_wh', 'total_centavos'])
      .executeTakeFirstOrThrow();
    // 42.500 kWh × R$ 1,00 = R$ 42,50.
    expect(Number(inv.consumption_wh)).toBe(42_500);
    expect(Number(inv.total_centavos)).toBe(4250);
  });
});
