import { errorCatalog, GridlinkError } from '@gridlink/shared';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeBillingPeriod } from '../src/billing/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { consumptionHistory } from '../src/metering/index.js';
import type { Database } from '../src/storage/index.js';
import { CPF_A, CPF_B } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Domain services, called as a job or another service would (no HTTP in sight), refuse with the
 * transport-neutral catalog codes; the status the HTTP layer will answer is the catalog's.
 */
async function refusal(work: Promise<unknown>): Promise<{ code: string; status: number }> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GridlinkError);
  const { code } = err as GridlinkError;
  return { code, status: errorCatalog[code].status };
}

describeEachStore('domain services throw transport-neutral codes', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let meterId: number;
  let ana: number;
  let bia: number;
  beforeAll(async () => {
    database = await store.open();
    const ids = await readingFeeder(
      database.db,
      'edge-d',
    )([{ deviceId: 'm1', at: '2024-01-01T00:00:00Z', values: { energy_import: 1 } }]);
    meterId = ids.get('m1') as number;
    ana = (await createCustomer(database.db, { document: CPF_A, name: 'Ana' })).id;
    bia = (await createCustomer(database.db, { document: CPF_B, name: 'Bia' })).id;
    await bindMeter(database.db, ana, { meterId });
  });
  afterAll(() => database.dispose());

  it.each([
    [
      'a second customer with the same document',
      () => createCustomer(database.db, { document: CPF_A, name: 'Ana again' }),
      { code: 'GL_CONFLICT', status: 409 },
    ],
    [
      "binding another customer's meter",
      () => bindMeter(database.db, bia, { meterId }),
      { code: 'GL_CONFLICT', status: 409 },
    ],
    [
      'binding a meter that does not exist',
      () => bindMeter(database.db, bia, { meterId: 999_999 }),
      { code: 'GL_NOT_FOUND', status: 404 },
    ],
    [
      'binding to a customer that does not exist',
      () => bindMeter(database.db, 999_999, { meterId }),
      { code: 'GL_NOT_FOUND', status: 404 },
    ],
    [
      'a customer in an unknown zone',
      () => createCustomer(database.db, { document: CPF_B, name: 'X', timeZone: 'Mars/Base' }),
      { code: 'GL_VALIDATION', status: 400 },
    ],
    [
      'a history range that ends before it starts',
      () =>
        consumptionHistory(database.db, {
          meterIds: [meterId],
          timeZone: 'America/Bahia',
          granularity: 'day',
          range: { from: '2024-02-01', to: '2024-01-01' },
          now: new Date('2024-03-01T00:00:00Z'),
        }),
      { code: 'GL_VALIDATION', status: 400 },
    ],
    [
      'closing a month that is not YYYY-MM',
      () => closeBillingPeriod(database.db, { period: '2024-13', now: new Date() }),
      { code: 'GL_VALIDATION', status: 400 },
    ],
  ])('%s', async (_label, work, expected) => {
    expect(await refusal(work())).toEqual(expected);
  });
});
