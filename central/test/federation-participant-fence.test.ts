import { randomUUID } from 'node:crypto';
import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvEvents } from '../src/ev/events.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import { branchKey, FederationParticipant } from '../src/federation/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';
import { requirePostgres, scratchPostgres } from '../src/testing/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';

/**
 * The fence log with two participants on one database (docs/FEDERATION.md): two centrals of one
 * company on one PostgreSQL (each its own pool and reservation engine), or two on one PGlite.
 * Duplicates and opposite messages delivered to both at once must leave one answer and at most
 * one live reservation per branch.
 */

const T0 = Date.parse('2027-01-04T12:00:00Z');
const HOUR = 3_600_000;

const stores = [
  {
    name: 'pglite',
    open: async () => {
      const db = await openDatabase({ kind: 'pglite' });
      return { dbs: [db, db], dispose: () => db.close() };
    },
  },
  {
    name: 'postgres',
    open: async () => {
      if (!(await requirePostgres('the PostgreSQL half of the federation fence suite')))
        return undefined;
      const fresh = await scratchPostgres('gl_fed_fence');
      const a = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
      const b = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 4 });
      return {
        dbs: [a, b],
        dispose: async () => {
          await a.close();
          await b.close();
          await fresh.drop();
        },
      };
    },
  },
];

for (const store of stores) {
  describe(`federation fence, two participants on one database [${store.name}]`, async () => {
    const opened = await store.open();
    if (!opened) return;
    const clock = new FakeClock(T0);
    let broker: Awaited<ReturnType<typeof statusBroker>>;
    const engines: ReservationEngine[] = [];
    const parts: FederationParticipant[] = [];
    let point: number;

    beforeAll(async () => {
      point = (await seedNetwork(opened.dbs[0] as Database, 1)).pointIds[0] as number;
      broker = await statusBroker();
      for (const database of opened.dbs) {
        const engine = new ReservationEngine({
          db: database.db,
          clock,
          config: reservationsConfigSchema.parse({}),
          events: new EvEvents(),
          link: aedesLink(broker.aedes),
          logger: pino({ level: 'silent' }),
        });
        engines.push(engine);
        parts.push(
          new FederationParticipant({
            db: database.db,
            clock,
            reservations: engine,
            maxHoldMinutes: 15,
            logger: pino({ level: 'silent' }),
          }),
        );
      }
    }, 60_000);
    afterAll(async () => {
      for (const e of engines) await e.idle();
      await broker?.close();
      await opened.dispose();
    });

    const body = (hour: number) => {
      const start = T0 + (24 + hour) * HOUR;
      return {
        pointId: point,
        start: new Date(start).toISOString(),
        end: new Date(start + HOUR).toISOString(),
        holdSeconds: 300,
        trip: { tripId: 1, stops: 1 },
      };
    };
    const live = async (tx: string) =>
      Number(
        (
          await sql<{ n: string | number }>`SELECT count(*) AS n FROM ev_reservations
            WHERE request_id LIKE ${`fed:company-a:${tx}:%`}
              AND state IN ('PENDING', 'RESERVED')`.execute((opened.dbs[0] as Database).db)
        ).rows[0]?.n,
      );
    const settled = <T>(ps: Promise<T>[]) => Promise.allSettled(ps);

    it('the same try on both centrals at once (x3 each): one created, one reservation; then both confirm', async () => {
      const tx = randomUUID();
      const key = branchKey('company-a', tx, '1');
      const tries = await Promise.all(
        [0, 1, 0, 1, 0, 1].map((i) => (parts[i] as FederationParticipant).try(key, body(0))),
      );
      expect(tries.filter((t) => t.created)).toHaveLength(1);
      expect(new Set(tries.map((t) => t.branch.reservationId)).size).toBe(1);
      expect(await live(tx)).toBe(1);
      const confirms = await Promise.all(
        [0, 1, 0, 1].map((i) => (parts[i] as FederationParticipant).confirm(key)),
      );
      expect(confirms.map((c) => c.state)).toEqual(Array(4).fill('committed'));
      expect(await live(tx)).toBe(1);
    });

    it('a try on one central and its cancel on the other, at once: rolled back or suspended, never held', async () => {
      for (let i = 0; i < 6; i++) {
        const tx = randomUUID();
        const key = branchKey('company-a', tx, '1');
        const [t, c] = await settled<unknown>([
          (parts[i % 2] as FederationParticipant).try(key, body(2 + i)),
          (parts[(i + 1) % 2] as FederationParticipant).cancel(key),
        ]);
        expect(c?.status).toBe('fulfilled');
        const state = (c as PromiseFulfilledResult<{ state: string }>).value.state;
        expect(['rolled_back', 'suspended']).toContain(state);
        if (state === 'suspended') expect(t?.status).toBe('rejected');
        else expect(t?.status).toBe('fulfilled');
        expect(await live(tx)).toBe(0);
        expect((await (parts[0] as FederationParticipant).get(key)).state).toBe(state);
      }
    });

    it('a confirm on one central and a compensating cancel on the other: compensated or refused, one answer', async () => {
      const tx = randomUUID();
      const key = branchKey('company-a', tx, '1');
      await (parts[0] as FederationParticipant).try(key, body(10));
      await (parts[1] as FederationParticipant).confirm(key);
      const results = await settled([
        (parts[0] as FederationParticipant).cancel(key, { compensate: true }),
        (parts[1] as FederationParticipant).cancel(key, { compensate: true }),
        (parts[0] as FederationParticipant).confirm(key),
      ]);
      expect(results[0]?.status).toBe('fulfilled');
      expect(results[1]?.status).toBe('fulfilled');
      expect((await (parts[1] as FederationParticipant).get(key)).state).toBe('compensated');
      expect(await live(tx)).toBe(0);
    });
  });
}
