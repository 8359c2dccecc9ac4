import { FakeClock, type GridlinkError, seededRandom } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { EvEvents } from '../src/ev/events.js';
import type { EvRuntime } from '../src/ev/index.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2027-01-04T12:00:00Z');
const MIN = 60_000;
const ATTEMPTS = 1_000;

/** Live bookings of one point that overlap: must be none, whatever happened. */
const AUDIT = sql<{ n: string | number }>`
  SELECT count(*) AS n FROM ev_reservations a JOIN ev_reservations b
    ON a.point_id = b.point_id AND a.id < b.id AND a.period && b.period
  WHERE a.state IN ('PENDING', 'RESERVED', 'FULFILLED')
    AND b.state IN ('PENDING', 'RESERVED', 'FULFILLED')`;

describeEachStore('ev reservations under 1,000 concurrent bookings', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let engine: ReservationEngine;
  let points: number[];

  beforeAll(async () => {
    database = await store.open();
    points = (await seedNetwork(database, 10)).pointIds;
    broker = await statusBroker();
    engine = new ReservationEngine({
      db: database.db,
      clock: new FakeClock(T0),
      config: reservationsConfigSchema.parse({}),
      events: new EvEvents(),
      link: aedesLink(broker.aedes),
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
  });

  it('random overlapping slots on 10 points, half through HTTP and half through the engine, all at once: zero overlaps, every refusal a 409 GL_EV_SLOT_TAKEN', async () => {
    // The HTTP half goes through the real app with the real engine (the other EV modules are
    // not part of this test).
    const ev = { reservations: engine } as unknown as EvRuntime;
    const { call } = testApi(database, { ev });
    const token = await mintToken(database.db, { role: 'admin' });
    const random = seededRandom(17);
    const attempts = Array.from({ length: ATTEMPTS }, (_, i) => {
      const pointId = points[Math.floor(random() * points.length)] as number;
      // Slots on a quarter-hour grid over one day, 15 min to 4 h long: heavy overlap.
      const start = T0 + 15 * MIN * (1 + Math.floor(random() * 96));
      const end = start + 15 * MIN * (1 + Math.floor(random() * 16));
      return { i, pointId, start: new Date(start), end: new Date(end) };
    });
    type Outcome =
      | { ok: true; id: number }
      | { ok: false; status: number; code: string; nextFree: unknown };
    const outcomes: Outcome[] = await Promise.all(
      attempts.map(async (a): Promise<Outcome> => {
        if (a.i % 2 === 0) {
          const res = await call('POST', '/api/v1/reservations', {
            token,
            body: {
              pointId: a.pointId,
              plate: 'ABC1D23',
              start: a.start.toISOString(),
              end: a.end.toISOString(),
            },
          });
          if (res.status === 201) return { ok: true, id: res.body.id };
          return {
            ok: false,
            status: res.status,
            code: res.body?.error?.code,
            nextFree: res.body?.error?.details?.nextFree,
          };
        }
        try {
          const v = await engine.book({
            pointId: a.pointId,
            plate: 'XYZ9A87',
            start: a.start,
            end: a.end,
          });
          return { ok: true, id: v.id };
        } catch (err) {
          const e = err as GridlinkError;
          return {
            ok: false,
            status: e.status,
            code: e.code,
            nextFree: (e.details as { nextFree?: unknown })?.nextFree,
          };
        }
      }),
    );
    const booked = outcomes.filter((o) => o.ok);
    const refused = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    // Not vacuous: both outcomes happen, through both paths.
    expect(booked.length).toBeGreaterThan(50);
    expect(refused.length).toBeGreaterThan(300);
    expect(new Set(refused.map((r) => `${r.status} ${r.code}`))).toEqual(
      new Set(['409 GL_EV_SLOT_TAKEN']),
    );
    expect(refused.every((r) => Array.isArray(r.nextFree))).toBe(true);
    expect(outcomes.filter((o, i) => i % 2 === 0 && !o.ok).length).toBeGreaterThan(0);
    expect(outcomes.filter((o, i) => i % 2 === 1 && !o.ok).length).toBeGreaterThan(0);
    const audit = await AUDIT.execute(database.db);
    expect(Number(audit.rows[0]?.n)).toBe(0);
    const stored = await sql<{
      n: string | number;
    }>`SELECT count(*) AS n FROM ev_reservations`.execute(database.db);
    expect(Number(stored.rows[0]?.n)).toBe(booked.length);
    // Every booking has its audit row, nothing else.
    const audited = await sql<{
      n: string | number;
    }>`SELECT count(*) AS n FROM ev_reservation_transitions`.execute(database.db);
    expect(Number(audited.rows[0]?.n)).toBe(booked.length);
  }, 300_000);
  it('two centrals on one database tick at once: every due booking moves once, is audited once and announced by one of them', async () => {
    const clock = new FakeClock(T0);
    const announced: number[] = [];
    const engines = [0, 1].map(() => {
      const events = new EvEvents();
      events.on('reservation.status', (e) => {
        if (e.to === 'NO_SHOW') announced.push(e.reservationId);
      });
      return new ReservationEngine({
        db: database.db,
        clock,
        config: reservationsConfigSchema.parse({}),
        events,
        link: aedesLink(broker.aedes),
        logger: pino({ level: 'silent' }),
      });
    });
    // 40 bookings on a day the first test left free, 30 minutes each.
    const day = T0 + 2 * 86_400_000;
    const ids: number[] = [];
    for (let n = 0; n < 40; n++) {
      const start = new Date(day + n * 30 * MIN);
      const v = await (engines[n % 2] as ReservationEngine).book({
        pointId: points[n % points.length] as number,
        plate: 'ABC1D23',
        start,
        end: new Date(start.getTime() + 30 * MIN),
      });
      ids.push(v.id);
    }
    clock.set(day + 40 * 30 * MIN);
    await Promise.all([...engines.map((e) => e.tick()), ...engines.map((e) => e.tick())]);
    // The first test's bookings are due too: each booking is announced once, ours among them.
    expect(new Set(announced).size).toBe(announced.length);
    expect(announced.filter((id) => ids.includes(id)).sort((a, b) => a - b)).toEqual(ids);
    const moves = await sql<{
      n: string | number;
    }>`SELECT count(*) AS n FROM ev_reservation_transitions
      WHERE to_state = 'NO_SHOW' AND reservation_id IN (${sql.join(ids)})`.execute(database.db);
    expect(Number(moves.rows[0]?.n)).toBe(ids.length);
    for (const e of engines) await e.idle();
  }, 120_000);
});
