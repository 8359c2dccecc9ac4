import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Principal, Role } from '../src/access/index.js';
import { findAlarm, listAlarms, raiseAlarm, transitionAlarm } from '../src/alarms/index.js';
import { closeBillingPeriod, findInvoice, listInvoices } from '../src/billing/index.js';
import { bindMeter, createCustomer, findCustomer, listCustomers } from '../src/customers/index.js';
import { findMeter, listMeters } from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

const NOW = new Date('2024-02-20T12:00:00Z');
const who = (role: Role, subject: string | null = null): Principal => ({
  role,
  subject,
  tokenId: '0000000000000000',
});

/** The stores scope every query with access/ownerFilter: what each principal sees of each. */
describeEachStore('access: the stores scope by owner', (store) => {
  let database: Database & { dispose(): Promise<void> };
  const own = { ana: 0, bia: 0, anaMeter: 0, biaMeter: 0, anaInvoice: 0, biaInvoice: 0 };
  const alarms = { ana: 0, bia: 0 };

  beforeAll(async () => {
    database = await store.open();
    const db = database.db;
    const meters = await readingFeeder(
      db,
      'edge-s',
    )([
      { deviceId: 'm1', at: '2024-01-01T03:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm2', at: '2024-01-01T03:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm1', at: '2024-02-01T03:00:00Z', values: { energy_import: 40 } },
      { deviceId: 'm2', at: '2024-02-01T03:00:00Z', values: { energy_import: 70 } },
    ]);
    const tariff = { id: 'flat', energy: { model: 'flat' as const, pricePerKwh: '0.50' } };
    const ana = await createCustomer(db, { document: CPF_A, name: 'Ana', tariff });
    const bia = await createCustomer(db, { document: CPF_B, name: 'Bia', tariff });
    own.ana = ana.id;
    own.bia = bia.id;
    own.anaMeter = meters.get('m1') as number;
    own.biaMeter = meters.get('m2') as number;
    await bindMeter(db, ana.id, { meterId: own.anaMeter });
    await bindMeter(db, bia.id, { meterId: own.biaMeter });
    await closeBillingPeriod(db, { period: '2024-01', now: NOW });
    const invoices = await db.selectFrom('invoices').select(['id', 'customer_id']).execute();
    own.anaInvoice = invoices.find((i) => i.customer_id === ana.id)?.id ?? 0;
    own.biaInvoice = invoices.find((i) => i.customer_id === bia.id)?.id ?? 0;
    for (const [key, customerId] of [
      ['ana', ana.id],
      ['bia', bia.id],
    ] as const) {
      const { alarm } = await raiseAlarm(
        db,
        {
          source: `meter:${key}`,
          type: 'meter.tamper',
          severity: 'CRITICAL',
          customerId,
          details: {},
        },
        NOW,
      );
      alarms[key] = alarm.id;
    }
  });
  afterAll(async () => database?.dispose());

  /** Everything `p` sees, by kind, as ids. */
  async function seen(p: Principal) {
    const db = database.db;
    const page = { limit: 50 };
    const ids = (items: { id: number }[]) => items.map((i) => i.id).sort((a, b) => a - b);
    return {
      customers: ids((await listCustomers(db, p, page)).items),
      meters: ids((await listMeters(db, p, page)).items),
      invoices: ids((await listInvoices(db, p, {}, page)).items),
      alarms: ids((await listAlarms(db, p, {}, page)).items),
      found: {
        customer: (await findCustomer(db, p, own.bia)) !== undefined,
        meter: (await findMeter(db, p, own.biaMeter)) !== undefined,
        invoice: (await findInvoice(db, p, own.biaInvoice)) !== undefined,
        alarm: (await findAlarm(db, p, alarms.bia)) !== undefined,
      },
    };
  }

  it('a customer sees only its own customer, meters, invoices and alarms', async () => {
    expect(own.anaInvoice).toBeGreaterThan(0);
    expect(own.biaInvoice).toBeGreaterThan(0);
    expect(await seen(who('customer', String(own.ana)))).toEqual({
      customers: [own.ana],
      meters: [own.anaMeter],
      invoices: [own.anaInvoice],
      alarms: [alarms.ana],
      found: { customer: false, meter: false, invoice: false, alarm: false },
    });
  });

  it('staff see everyone', async () => {
    for (const role of ['admin', 'operator'] as const)
      expect(await seen(who(role))).toEqual({
        customers: [own.ana, own.bia].sort((a, b) => a - b),
        meters: [own.anaMeter, own.biaMeter].sort((a, b) => a - b),
        invoices: [own.anaInvoice, own.biaInvoice].sort((a, b) => a - b),
        alarms: [alarms.ana, alarms.bia].sort((a, b) => a - b),
        found: { customer: true, meter: true, invoice: true, alarm: true },
      });
  });

  // A subject that is not a serial id once reached the meters query as NaN (a database error);
  // the other stores guarded it. One ownerFilter: nobody, in every store, without an error.
  it.each([
    ['customer', 'abc'],
    ['customer', ''],
    ['customer', '1.5'],
    ['customer', null],
    ['driver', 'driver-1'],
    ['service', null],
    ['peer', null],
  ] as const)('%s with subject %j sees nothing and nothing fails', async (role, subject) => {
    expect(await seen(who(role, subject))).toEqual({
      customers: [],
      meters: [],
      invoices: [],
      alarms: [],
      found: { customer: false, meter: false, invoice: false, alarm: false },
    });
  });

  it("a customer cannot acknowledge another's alarm, nor clear its own; staff can", async () => {
    const db = database.db;
    const ana = who('customer', String(own.ana));
    expect(await transitionAlarm(db, ana, alarms.bia, 'ack', NOW)).toBeUndefined();
    expect(await transitionAlarm(db, ana, alarms.ana, 'clear', NOW)).toBeUndefined();
    expect((await findAlarm(db, who('admin'), alarms.bia))?.state).toBe('ACTIVE_UNACK');
    expect((await findAlarm(db, who('admin'), alarms.ana))?.state).toBe('ACTIVE_UNACK');
    expect((await transitionAlarm(db, ana, alarms.ana, 'ack', NOW))?.state).toBe('ACTIVE_ACK');
    expect((await transitionAlarm(db, who('operator'), alarms.bia, 'clear', NOW))?.state).toBe(
      'CLEARED_UNACK',
    );
  });
});
