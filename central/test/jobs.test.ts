import { FakeClock } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { closeBillingPeriod, dueDate } from '../src/billing/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import {
  claimSlot,
  clockScheduler,
  type Jobs,
  type JobsOptions,
  nextFire,
  parseCron,
  pruneJob,
  startJobs,
} from '../src/jobs/index.js';
import { type Database, openDatabase, type Schema } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, CPF_B, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore, freshPostgres } from './helpers/stores.js';

const silent = pino({ level: 'silent' });
/** Once a year: keeps the other built-in jobs out of a billing test's way. */
const RARE = '0 0 1 1 *';
const BILLING = 'billing.close-period';
/** 1 February 2024, 03:17:40 in Bahia (UTC−3): the default daily billing fire. */
const FEB_FIRE = Date.parse('2024-02-01T06:17:40Z');

function jobsOn(db: Kysely<Schema>, clock: FakeClock, more: Partial<JobsOptions> = {}): Jobs {
  return startJobs({
    db,
    logger: silent,
    clock,
    billing: { dueDays: 10 },
    rollup: { cron: RARE },
    alarms: { cron: RARE },
    prune: { cron: RARE },
    runtime: {
      leaseMs: 60_000,
      pollMs: 10_000,
      retryBaseMs: 60_000,
      retryMaxMs: 600_000,
      stopTimeoutMs: 5_000,
    },
    ...more,
  });
}

/** A fault switch inside the database: while on, inserting an invoice fails (a real error). */
async function installInvoiceFault(db: Kysely<Schema>) {
  await sql`CREATE TABLE IF NOT EXISTS test_faults (name text PRIMARY KEY)`.execute(db);
  await sql`CREATE OR REPLACE FUNCTION test_invoice_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM test_faults WHERE name = 'invoices') THEN
        RAISE EXCEPTION 'injected fault: invoices unavailable';
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER test_invoice_fault BEFORE INSERT ON invoices
    FOR EACH ROW EXECUTE FUNCTION test_invoice_fault()`.execute(db);
  return {
    on: () => sql`INSERT INTO test_faults VALUES ('invoices') ON CONFLICT DO NOTHING`.execute(db),
    off: () => sql`DELETE FROM test_faults`.execute(db),
  };
}

/** `n` customers on flat tariffs, each with a meter read on the 1st of Jan, Feb and Mar 2024. */
async function billableMeters(db: Kysely<Schema>, edge: string, n = 1): Promise<number[]> {
  const feed = readingFeeder(db, edge);
  const devices = Array.from({ length: n }, (_, i) => `d${i + 1}`);
  const ids = await feed(
    devices.flatMap((d, i) => [
      { deviceId: d, at: '2024-01-01T03:00:00Z', values: { energy_import: 100 } },
      { deviceId: d, at: '2024-02-01T03:00:00Z', values: { energy_import: 110 + i } },
      { deviceId: d, at: '2024-03-01T03:00:00Z', values: { energy_import: 130 + i } },
    ]),
  );
  const docs = [CPF_A, CPF_B, CNPJ_C];
  const meters: number[] = [];
  for (const [i, d] of devices.entries()) {
    const c = await createCustomer(db, {
      document: docs[i % docs.length] as string,
      name: `c${i + 1}`,
      tariff: {
        id: 'flat',
        energy: { model: 'flat', pricePerKwh: '1.00' },
        minimumAvailabilityKwh: false,
      },
    });
    const meterId = ids.get(d) as number;
    await bindMeter(db, c.id, { meterId });
    meters.push(meterId);
  }
  return meters;
}

const runsOf = (db: Kysely<Schema>, job = BILLING) =>
  db.selectFrom('job_runs').selectAll().where('job', '=', job).orderBy('slot').execute();

const invoicesOf = (db: Kysely<Schema>) =>
  db
    .selectFrom('invoices')
    .select(['meter_id', 'number', sql<string>`period_start::text`.as('period')])
    .orderBy('number')
    .execute();

const closeAlarm = (db: Kysely<Schema>) =>
  db
    .selectFrom('alarms')
    .select(['state', 'details', 'occurrences'])
    .where('type', '=', 'billing.close-failed')
    .orderBy('id', 'desc')
    .executeTakeFirst();

describe('cron on the injected clock', () => {
  it('parses 5 and 6 fields, names, lists, ranges and steps; refuses with a reason', () => {
    expect(parseCron('40 17 3 * * *')).toMatchObject({ dayRestricted: false });
    expect(typeof parseCron('*/10 * * * * *')).toBe('object');
    expect(typeof parseCron('0 3 1 jan-mar mon,fri')).toBe('object');
    expect(parseCron('0 3 1 *')).toMatch(/expected 5 fields/);
    expect(parseCron('61 * * * *')).toMatch(/minute: '61' is outside 0-59/);
    expect(parseCron('0 0 30 2 *')).toMatch(/no month has such a day/);
    expect(parseCron('0 */0 * * *')).toMatch(/zero step/);
  });

  it('computes the next fire in a zone, seconds included', () => {
    const zone = 'America/Bahia';
    const next = (cron: string, after: string) =>
      new Date(nextFire(parseCron(cron) as never, Date.parse(after), zone)).toISOString();
    expect(next('40 17 3 * * *', '2024-01-31T12:00:00Z')).toBe('2024-02-01T06:17:40.000Z');
    expect(next('0 3 1 * *', '2024-02-01T06:00:00Z')).toBe('2024-03-01T06:00:00.000Z');
    expect(next('*/10 * * * * *', '2024-02-01T06:00:05Z')).toBe('2024-02-01T06:00:10.000Z');
    expect(next('0 0 * * mon', '2024-02-01T06:00:00Z')).toBe('2024-02-05T03:00:00.000Z');
    // Both day fields restricted: either matches (Vixie cron).
    expect(next('0 0 15 * sun', '2024-02-01T06:00:00Z')).toBe('2024-02-04T03:00:00.000Z');
    // São Paulo kept summer time in 2018: midnight local was 02:00Z on 1 December.
    expect(
      new Date(
        nextFire(
          parseCron('0 0 1 * *') as never,
          Date.parse('2018-11-15T00:00:00Z'),
          'America/Sao_Paulo',
        ),
      ).toISOString(),
    ).toBe('2018-12-01T02:00:00.000Z');
  });

  it('clockScheduler fires on FakeClock time, every 10 s for a sub-minute sweep', async () => {
    const clock = new FakeClock(Date.parse('2024-02-01T06:00:01Z'));
    const fired: string[] = [];
    const handle = clockScheduler(clock).schedule(
      '*/10 * * * * *',
      { name: 'sweep', timeZone: 'America/Bahia' },
      async (at) => {
        fired.push(at.toISOString().slice(11, 19));
      },
    );
    await clock.advanceAsync(30_000);
    expect(fired).toEqual(['06:00:10', '06:00:20', '06:00:30']);
    handle.stop();
    await clock.advanceAsync(60_000);
    expect(fired).toHaveLength(3);
  });

  it('a monthly schedule waits past the 24.8-day timer limit in steps and fires on time', async () => {
    const clock = new FakeClock(Date.parse('2024-01-01T12:00:00Z'));
    const fired: string[] = [];
    clockScheduler(clock).schedule('0 3 1 * *', { name: 'm', timeZone: 'UTC' }, async (at) => {
      fired.push(at.toISOString());
    });
    await clock.advanceAsync(62 * 86_400_000);
    expect(fired).toEqual(['2024-02-01T03:00:00.000Z', '2024-03-01T03:00:00.000Z']);
  });
});

describe('jobs config', () => {
  it('a bad cron fails at parse with its key path and reason', () => {
    expect(() => parseCentralConfig({ jobs: { billingClose: { cron: '0 3 1 *' } } })).toThrow(
      /jobs\.billingClose\.cron.*not a valid cron expression: expected 5 fields/,
    );
    expect(() => parseCentralConfig({ jobs: { prune: { cron: '0 25 * * *' } } })).toThrow(
      /jobs\.prune\.cron/,
    );
    expect(() => parseCentralConfig({ jobs: { leaseMs: 5000, retryMaxMs: 1000 } })).toThrow(
      /jobs\.retryMaxMs/,
    );
    expect(() => parseCentralConfig({ jobs: { lease: 1 } })).toThrow(/jobs/);
  });

  it('billing.cron still works, but not together with jobs.billingClose.cron', () => {
    expect(parseCentralConfig({ billing: { cron: '0 3 1 * *' } }).billing.cron).toBe('0 3 1 * *');
    expect(() =>
      parseCentralConfig({
        billing: { cron: '0 3 1 * *' },
        jobs: { billingClose: { cron: '0 4 1 * *' } },
      }),
    ).toThrow(/billing\.cron: also set as jobs\.billingClose\.cron/);
  });
});

describe('due date of a late close', () => {
  it('counts from the issue date when the period is closed late', () => {
    // October closed on 1 November: day 10 counting 1 November is 10 November.
    expect(dueDate('2024-11-01', '2024-11-01', 10)).toBe('2024-11-10');
    // October closed on 6 December: 10 days counting 6 December, not 10 November (born overdue).
    expect(dueDate('2024-11-01', '2024-12-06', 10)).toBe('2024-12-15');
    // Closed early (a manual close on the last day, UTC ahead of the zone): from the period end.
    expect(dueDate('2024-11-01', '2024-10-31', 10)).toBe('2024-11-10');
  });
});

describeEachStore('jobs: retry, catch-up, take-over', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('a close that fails is retried with backoff, raises and then clears billing.close-failed', async () => {
    const db = database.db;
    await billableMeters(db, 'edge-retry');
    const fault = await installInvoiceFault(db);
    await fault.on();
    const clock = new FakeClock(FEB_FIRE - 60_000);
    const jobs = jobsOn(db, clock);
    try {
      clock.advance(60_000);
      await expect
        .poll(async () => (await runsOf(db))[0])
        .toMatchObject({ status: 'failed', attempts: 1 });
      const [first] = await runsOf(db);
      expect(new Date(first?.next_attempt_at as Date).getTime()).toBe(FEB_FIRE + 60_000);
      expect(first?.result).toMatchObject({ error: expect.stringContaining('injected fault') });
      await expect.poll(() => closeAlarm(db)).toMatchObject({ state: 'ACTIVE_UNACK' });
      expect((await closeAlarm(db))?.details).toMatchObject({ slot: '2024-02-01T06:17:40.000Z' });

      // Still failing: the second attempt backs off twice as long.
      clock.advance(70_000);
      await expect
        .poll(async () => (await runsOf(db))[0])
        .toMatchObject({ status: 'failed', attempts: 2 });
      const [second] = await runsOf(db);
      expect(new Date(second?.next_attempt_at as Date).getTime()).toBe(FEB_FIRE + 70_000 + 120_000);

      await fault.off();
      clock.advance(120_000);
      await expect
        .poll(async () => (await runsOf(db))[0])
        .toMatchObject({ status: 'done', attempts: 3, owner: null });
      expect(await invoicesOf(db)).toEqual([
        expect.objectContaining({ period: '2024-01-01', number: '2024-000001' }),
      ]);
      await expect.poll(() => closeAlarm(db)).toMatchObject({ state: 'CLEARED_UNACK' });
      expect((await runsOf(db)).length).toBe(1);
    } finally {
      await jobs.stop();
    }
  });
});

describeEachStore(
  'jobs: a month missed while down is billed at the next run, oldest first',
  (store) => {
    let database: Database & { dispose(): Promise<void> };
    beforeAll(async () => {
      database = await store.open();
    });
    afterAll(() => database.dispose());

    it('January failed on 1 February and the central was down till March: both months billed in order', async () => {
      const db = database.db;
      await billableMeters(db, 'edge-catch-up');
      const fault = await installInvoiceFault(db);
      await fault.on();
      const clock = new FakeClock(FEB_FIRE - 1_000);
      const first = jobsOn(db, clock);
      clock.advance(1_000);
      await expect.poll(async () => (await runsOf(db))[0]?.status).toBe('failed');
      await first.stop();
      await fault.off();

      // A month later another instance starts shortly before the daily fire.
      clock.set(Date.parse('2024-03-01T06:17:00Z'));
      // No retry poll in this minute: the scheduled fire alone must catch up, oldest first.
      const second = jobsOn(db, clock, {
        runtime: {
          leaseMs: 60_000,
          pollMs: 3_600_000,
          retryBaseMs: 60_000,
          retryMaxMs: 600_000,
          stopTimeoutMs: 5_000,
        },
      });
      try {
        clock.advance(60_000);
        await expect
          .poll(async () => (await db.selectFrom('billing_closes').selectAll().execute()).length)
          .toBe(2);
        await expect
          .poll(async () =>
            (await db.selectFrom('billing_closes').select('closed_at').execute()).every(
              (r) => r.closed_at !== null,
            ),
          )
          .toBe(true);
        await second.idle();
        expect(await invoicesOf(db)).toEqual([
          expect.objectContaining({ period: '2024-01-01', number: '2024-000001' }),
          expect.objectContaining({ period: '2024-02-01', number: '2024-000002' }),
        ]);
        // Over the API: January is billed, due 10 days from its (late) issue on 1 March.
        const api = testApi(database);
        const admin = await mintToken(db, { role: 'admin' });
        const jan = await api.call('GET', '/api/v1/invoices?period=2024-01', { token: admin });
        expect(jan.body.items).toEqual([
          expect.objectContaining({ number: '2024-000001', dueDate: '2024-03-10', status: 'open' }),
        ]);
        // The failed February slot is covered by March's successful run, not retried forever.
        await expect
          .poll(async () => (await runsOf(db)).map((r) => r.status))
          .toEqual(['superseded', 'done']);
      } finally {
        await second.stop();
      }
    });
  },
);

describeEachStore('jobs: a slot whose instance died mid-close is taken over', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('after the lease expires another instance finishes the close: one invoice per meter, numbers gapless', async () => {
    const db = database.db;
    const meters = await billableMeters(db, 'edge-dead', 3);
    // The dead instance: claimed the slot, made January due, issued one invoice, then vanished.
    const slot = new Date(FEB_FIRE).toISOString();
    expect(await claimSlot(db, BILLING, slot, 'dead-instance', new Date(FEB_FIRE), 60_000)).toEqual(
      { job: BILLING, slot, attempts: 1 },
    );
    await db
      .insertInto('billing_closes')
      .values({ period: '2024-01', due_at: new Date(FEB_FIRE) })
      .execute();
    await closeBillingPeriod(db, {
      period: '2024-01',
      now: new Date(FEB_FIRE),
      meterIds: [meters[0] as number],
    });

    const clock = new FakeClock(FEB_FIRE + 5_000);
    const jobs = jobsOn(db, clock);
    try {
      // Before the lease expires nobody touches it.
      clock.advance(50_000);
      await jobs.poll();
      expect((await runsOf(db))[0]).toMatchObject({ status: 'running', owner: 'dead-instance' });
      clock.advance(10_000);
      await expect
        .poll(async () => (await runsOf(db))[0])
        .toMatchObject({ status: 'done', attempts: 2, owner: null });
      const invoices = await invoicesOf(db);
      expect(invoices.map((i) => i.meter_id).sort()).toEqual([...meters].sort());
      expect(invoices.map((i) => i.number)).toEqual(['2024-000001', '2024-000002', '2024-000003']);
    } finally {
      await jobs.stop();
    }
  });
});

describeEachStore('jobs: a job failing at every fire', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('retries only its latest failed slot; the earlier ones are superseded', async () => {
    const db = database.db;
    const at = Date.parse('2024-02-01T12:00:00Z');
    let runs = 0;
    const failing = {
      name: 'test.fails',
      cron: RARE,
      run: async () => {
        runs += 1;
        throw new Error('still broken');
      },
    };
    // Five slots, ten seconds apart, all failed and due again.
    await db
      .insertInto('job_runs')
      .values(
        [0, 1, 2, 3, 4].map((i) => ({
          job: failing.name,
          slot: new Date(at + i * 10_000).toISOString(),
          started_at: new Date(at + i * 10_000),
          status: 'failed',
          next_attempt_at: new Date(at + 60_000),
        })),
      )
      .execute();
    const clock = new FakeClock(at + 60_000);
    const jobs = jobsOn(db, clock, { extra: [failing] });
    try {
      await jobs.poll();
      expect(runs).toBe(1);
      expect((await runsOf(db, failing.name)).map((r) => [r.status, r.attempts])).toEqual([
        ['superseded', 1],
        ['superseded', 1],
        ['superseded', 1],
        ['superseded', 1],
        ['failed', 2],
      ]);
    } finally {
      await jobs.stop();
    }
  });
});

describeEachStore('jobs: pruning', (store) => {
  let database: Database & { dispose(): Promise<void> };
  beforeAll(async () => {
    database = await store.open();
  });
  afterAll(() => database.dispose());

  it('deletes finished ledger rows and dead tokens older than the kept days; keeps the rest', async () => {
    const db = database.db;
    const now = new Date('2024-06-30T12:00:00Z');
    const day = 86_400_000;
    const ago = (d: number) => new Date(now.getTime() - d * day);
    await db
      .insertInto('job_runs')
      .values([
        { job: 'a', slot: 'old-done', started_at: ago(40), status: 'done' },
        { job: 'a', slot: 'old-superseded', started_at: ago(40), status: 'superseded' },
        { job: 'a', slot: 'old-failed', started_at: ago(40), status: 'failed' },
        { job: 'a', slot: 'recent-done', started_at: ago(5), status: 'done' },
      ])
      .execute();
    const token = (id: string, extra: { expires_at?: Date; revoked_at?: Date }) => ({
      id,
      token_hash: 'x',
      role: 'operator',
      ...extra,
    });
    await db
      .insertInto('api_tokens')
      .values([
        token('expired-long-ago', { expires_at: ago(40) }),
        token('revoked-long-ago', { revoked_at: ago(31) }),
        token('expired-recently', { expires_at: ago(3) }),
        token('valid', { expires_at: new Date(now.getTime() + day) }),
        token('forever', {}),
      ])
      .execute();
    const job = pruneJob({ db, logger: silent, prune: { keepDays: 30, tokenKeepDays: 30 } });
    expect(await job.run(now)).toEqual({ jobRuns: 2, apiTokens: 2 });
    expect(
      (await db.selectFrom('job_runs').select('slot').orderBy('slot').execute()).map((r) => r.slot),
    ).toEqual(['old-failed', 'recent-done']);
    expect(
      (await db.selectFrom('api_tokens').select('id').orderBy('id').execute()).map((r) => r.id),
    ).toEqual(['expired-recently', 'forever', 'valid']);
  });
});

describe('jobs on one PostgreSQL shared by several centrals', async () => {
  // Several centrals need one server they share: without PostgreSQL this fails under CI=true and
  // is skipped loudly elsewhere (requirePostgres).
  const { requirePostgres } = await import('../src/testing/index.js');
  if (!(await requirePostgres('the several-centrals jobs suite'))) {
    it.skip('PostgreSQL not reachable (see the notice above)', () => {});
    return;
  }
  let fresh: Awaited<ReturnType<typeof freshPostgres>>;
  let a: Database;
  let b: Database;
  beforeAll(async () => {
    fresh = await freshPostgres();
    a = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
    b = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await fresh.drop();
  });

  it('two centrals firing the same slot bill the month once', async () => {
    const meters = await billableMeters(a.db, 'edge-two', 3);
    const clockA = new FakeClock(FEB_FIRE - 1_000);
    const clockB = new FakeClock(FEB_FIRE - 1_000);
    const ja = jobsOn(a.db, clockA);
    const jb = jobsOn(b.db, clockB);
    try {
      clockA.advance(1_000);
      clockB.advance(1_000);
      await expect.poll(async () => (await runsOf(a.db))[0]?.status).toBe('done');
      await Promise.all([ja.idle(), jb.idle()]);
      const runs = await runsOf(a.db);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ attempts: 1 });
      const invoices = await invoicesOf(a.db);
      expect(invoices.map((i) => i.meter_id).sort()).toEqual([...meters].sort());
      expect(invoices.map((i) => i.number)).toEqual(['2024-000001', '2024-000002', '2024-000003']);
    } finally {
      await Promise.all([ja.stop(), jb.stop()]);
    }
  });

  it('invoice numbers stay gapless and unique under concurrent closes on two pools', async () => {
    // February for the same three meters, closed eight times at once over both pools: three
    // invoices, and the losers' numbers are rolled back with their transactions.
    const now = new Date('2024-03-05T12:00:00Z');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        closeBillingPeriod((i % 2 ? a : b).db, { period: '2024-02', now }),
      ),
    );
    const numbers = (await invoicesOf(a.db)).map((i) => i.number);
    expect(numbers).toEqual([
      '2024-000001',
      '2024-000002',
      '2024-000003',
      '2024-000004',
      '2024-000005',
      '2024-000006',
    ]);
  });

  it('stop during a close: waits, then interrupts between invoices and hands the lease back; nothing half-done', async () => {
    await sql`DELETE FROM invoices`.execute(a.db);
    await sql`DELETE FROM billing_closes`.execute(a.db);
    await sql`DELETE FROM job_runs`.execute(a.db);
    await sql`UPDATE invoice_series SET last_number = 0`.execute(a.db);
    // Another session holds the 2024 series row: the first invoice's transaction waits on it.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const blocker = b.db.transaction().execute(async (trx) => {
      await sql`UPDATE invoice_series SET last_number = last_number WHERE series = '2024'`.execute(
        trx,
      );
      await held;
    });
    const clock = new FakeClock(FEB_FIRE - 1_000);
    const jobs = jobsOn(a.db, clock);
    clock.advance(1_000);
    await expect
      .poll(async () => {
        // This database's sessions only: other files' lock waits share the cluster.
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(b.db);
        return rows[0]?.n;
      })
      .toBeGreaterThan(0);
    let stopped = false;
    const stopping = jobs.stop().then(() => {
      stopped = true;
    });
    // The wait (stopTimeoutMs) runs out; the run is told to stop but is inside a transaction.
    clock.advance(5_000);
    expect((await runsOf(a.db))[0]).toMatchObject({ status: 'running' });
    expect(stopped).toBe(false);
    release();
    await blocker;
    await stopping;
    // The invoice in progress committed whole; the run stopped before the next one.
    const invoices = await invoicesOf(a.db);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]?.number).toBe('2024-000001');
    const [run] = await runsOf(a.db);
    expect(run).toMatchObject({ status: 'failed', owner: null, attempts: 1 });
    expect(new Date(run?.next_attempt_at as Date).getTime()).toBe(clock.now());
    // Interrupted is not failed: no alarm.
    expect(await closeAlarm(a.db)).toBeUndefined();

    // The next instance takes the handed-back slot at once and completes the month.
    const next = jobsOn(b.db, clock);
    try {
      clock.advance(10_000);
      await expect
        .poll(async () => (await runsOf(a.db))[0])
        .toMatchObject({ status: 'done', attempts: 2 });
      expect((await invoicesOf(a.db)).map((i) => i.number)).toEqual([
        '2024-000001',
        '2024-000002',
        '2024-000003',
      ]);
    } finally {
      await next.stop();
    }
  });

  it('a slot claimed while stop() is under way is handed back, not run', async () => {
    const fire = FEB_FIRE + 86_400_000;
    const slot = new Date(fire).toISOString();
    // Another session inserts the same slot and keeps it uncommitted: the claim waits on it.
    let rollback!: () => void;
    const held = new Promise<void>((r) => {
      rollback = r;
    });
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => {
      inserted = r;
    });
    const blocker = b.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('job_runs')
          .values({ job: BILLING, slot, started_at: new Date(fire) })
          .execute();
        inserted();
        await held;
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await insertedP;
    const clock = new FakeClock(fire - 1_000);
    const jobs = jobsOn(a.db, clock);
    clock.advance(1_000);
    await expect
      .poll(async () => {
        // This database's sessions only: other files' lock waits share the cluster.
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(b.db);
        return rows[0]?.n;
      })
      .toBeGreaterThan(0);
    const stopping = jobs.stop();
    rollback();
    await blocker;
    await stopping;
    const row = await a.db
      .selectFrom('job_runs')
      .selectAll()
      .where('job', '=', BILLING)
      .where('slot', '=', slot)
      .executeTakeFirst();
    expect(row).toMatchObject({
      status: 'failed',
      owner: null,
      result: { error: 'central stopping' },
    });
  });
});
