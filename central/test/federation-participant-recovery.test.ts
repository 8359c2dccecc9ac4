import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import type { Central } from '../src/central.js';
import { EvEvents } from '../src/ev/events.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import {
  branchKey,
  createParticipant,
  type FedTransactionState,
  federationConfigSchema,
  type ParticipantRuntime,
  type TxLog,
} from '../src/federation/index.js';
import { startCentral } from '../src/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * The participant asks its coordinator before a hold lapses (docs/FEDERATION.md) and confirms or
 * cancels on the decision. The coordinator is a real central (company A, PGlite, real HTTP on
 * port 0) whose log is put in each state through its own TxLog; the participant (company B) runs
 * on PGlite and PostgreSQL, on the same fake clock. A cannot reach B (B's URL in A's config has
 * nothing listening), so only B's own recovery can move B's branches. The unreachable case closes
 * A for real.
 */

const T0 = Date.parse('2027-01-04T12:00:00Z');
const MINUTE = 60_000;

/** A port nothing listens on (taken and released at once). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describeEachStore('federation participant recovery against a real coordinator', (store) => {
  const clock = new FakeClock(T0);
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let engine: ReservationEngine;
  let rt: ParticipantRuntime;
  let coordinator: Central | undefined;
  let coordinatorDir = '';
  let station = 0;
  let point = 0;
  /** The peer token A issued to B (B's Bearer when it asks A). */
  let issued = '';
  /** A's log lines (the federation request lines show what B sent). */
  const lines: Array<Record<string, unknown>> = [];
  /** Slots at B's one point, an hour apart, so no two branches collide. */
  let nextHour = 0;

  beforeAll(async () => {
    coordinatorDir = await mkdtemp(join(tmpdir(), 'gl-fed-recovery-a-'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    coordinator = await startCentral(
      {
        dataDir: coordinatorDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        federation: {
          name: 'company-a',
          peers: [
            {
              name: 'company-b',
              url: `http://127.0.0.1:${await closedPort()}`,
              token: 'glt_never-sent-anywhere-reachable',
            },
          ],
          // A's own recovery would cancel a `trying` older than this: longer than any hold here.
          tryTimeoutMs: 120_000,
        },
      },
      { clock, scheduler: false, logger: pino({ level: 'info' }, sink) },
    );
    // As `gridlink-central token create --role peer --subject company-b` on A.
    issued = await mintToken(coordinator.database.db, { role: 'peer', subject: 'company-b' });

    database = await store.open();
    const net = await seedNetwork(database, 1);
    station = net.stationId;
    point = net.pointIds[0] as number;
    broker = await statusBroker();
    engine = new ReservationEngine({
      db: database.db,
      clock,
      config: reservationsConfigSchema.parse({}),
      events: new EvEvents(),
      link: aedesLink(broker.aedes),
      logger: pino({ level: 'silent' }),
    });
    rt = createParticipant({
      db: database.db,
      clock,
      reservations: engine,
      config: federationConfigSchema.parse({
        name: 'company-b',
        peers: [{ name: 'company-a', url: coordinator.http.url, token: issued }],
      }),
      defaultPointPowerKw: 50,
      logger: pino({ level: 'silent' }),
      recovery: { leadMs: 30_000 },
    });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
    await engine?.idle();
    await broker?.close();
    await database?.dispose();
    await coordinator?.close();
    if (coordinatorDir) await rm(coordinatorDir, { recursive: true, force: true });
  });

  const log = (): TxLog => {
    const f = coordinator?.federationCoordinator;
    if (!f) throw new Error('A runs no coordinator');
    return f.coordinator.log;
  };

  /**
   * A tried branch at B (as A's PUT would leave it) and, unless `path` is null, A's log of that
   * transaction walked along `path` (trying → … → the state B will read).
   */
  const held = async (path: readonly FedTransactionState[] | null, holdSeconds: number) => {
    const txId = randomUUID();
    const start = new Date(T0 + (24 + nextHour++) * 60 * MINUTE);
    const end = new Date(start.getTime() + 60 * MINUTE);
    const now = new Date(clock.now());
    if (path) {
      await log().create({
        id: txId,
        tripId: null,
        holdUntil: new Date(now.getTime() + holdSeconds * 1000),
        createdBy: 'test',
        now,
        branches: [
          {
            branchId: '1',
            peer: 'company-b',
            companyId: 'feira',
            stationId: station,
            pointId: point,
            start,
            end,
          },
        ],
      });
      for (let i = 1; i < path.length; i++)
        expect(
          await log().move(
            txId,
            [path[i - 1] as FedTransactionState],
            path[i] as FedTransactionState,
            now,
          ),
        ).toBe(true);
      expect((await log().get(txId))?.state).toBe(path.at(-1));
    }
    const out = await rt.participant.try(branchKey('company-a', txId, '1'), {
      pointId: point,
      start: start.toISOString(),
      end: end.toISOString(),
      plate: 'ABC1D23',
      holdSeconds,
      trip: { tripId: 1, stops: 1 },
    });
    expect(out.branch.state).toBe('tried');
    return { txId, reservationId: out.branch.reservationId };
  };
  const branch = (txId: string) => rt.participant.get(branchKey('company-a', txId, '1'));
  const reservationState = async (id: number | null) =>
    (
      await sql<{ state: string }>`SELECT state FROM ev_reservations WHERE id = ${id}`.execute(
        database.db,
      )
    ).rows[0]?.state;
  /** A's line for each time B asked about `txId` (the participant routes' header log). */
  const askedAtA = (txId: string) =>
    lines.filter((l) => l.msg === 'federation request' && l.correlationId === txId);

  it("acts on the coordinator's logged decision: confirming/confirmed confirm, canceling/canceled/compensating/failed and 404 cancel, trying is left to lapse", async () => {
    clock.set(T0);
    const confirm = {
      confirming: await held(['trying', 'confirming'], 120),
      confirmed: await held(['trying', 'confirming', 'confirmed'], 120),
    };
    const cancel = {
      canceling: await held(['trying', 'canceling'], 120),
      canceled: await held(['trying', 'canceling', 'canceled'], 120),
      compensating: await held(['trying', 'confirming', 'compensating'], 120),
      failed: await held(['trying', 'confirming', 'compensating', 'failed'], 120),
      // A never logged it (its tries crashed before the log, say): 404.
      unknown: await held(null, 120),
    };
    const trying = await held(['trying'], 120);
    // Decided, but its hold ends 10 min from now: not asked yet.
    const later = await held(['trying', 'confirming', 'confirmed'], 600);

    // Nothing is within 30 s of lapsing yet.
    expect(await rt.recovery.runOnce()).toEqual({ asked: 0, confirmed: 0, canceled: 0, left: 0 });
    clock.set(T0 + 100_000);
    expect(await rt.recovery.runOnce()).toEqual({ asked: 8, confirmed: 2, canceled: 5, left: 1 });
    for (const [state, h] of Object.entries(confirm)) {
      expect((await branch(h.txId)).state, state).toBe('committed');
      expect(await reservationState(h.reservationId), state).toBe('RESERVED');
    }
    for (const [state, h] of Object.entries(cancel)) {
      expect((await branch(h.txId)).state, state).toBe('rolled_back');
      expect(await reservationState(h.reservationId), state).toBe('CANCELED');
    }
    // Undecided: left as is, still held.
    expect((await branch(trying.txId)).state).toBe('tried');
    expect(await reservationState(trying.reservationId)).toBe('PENDING');
    expect((await branch(later.txId)).state).toBe('tried');

    // A saw each question with the token it issued to B (its id in A's line, role peer), B's
    // X-Correlation-ID (the txId) and a fresh X-Request-ID; 404 only for the one it never logged.
    const tokenId = issued.split('_')[1];
    for (const h of [...Object.values(confirm), ...Object.values(cancel), trying]) {
      expect(askedAtA(h.txId)).toEqual([
        expect.objectContaining({
          route: '/api/v1/federation/transactions/:txId',
          method: 'GET',
          status: h === cancel.unknown ? 404 : 200,
          tokenId,
          role: 'peer',
          requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        }),
      ]);
    }
    expect(askedAtA(later.txId)).toEqual([]);

    // A second pass asks only about what is still tried and near its end.
    expect(await rt.recovery.runOnce()).toEqual({ asked: 1, confirmed: 0, canceled: 0, left: 1 });
    expect(askedAtA(trying.txId)).toHaveLength(2);
    // Its hold lapses by itself (the engine's monitor), and the branch reads rolled back.
    clock.set(T0 + 121_000);
    await engine.tick();
    expect(await reservationState(trying.reservationId)).toBe('EXPIRED');
    expect(await branch(trying.txId)).toMatchObject({ state: 'rolled_back' });
  });

  it('start() runs passes on the clock, one at a time, until close()', async () => {
    clock.set(T0 + 20 * MINUTE);
    const h = await held(['trying', 'confirming', 'confirmed'], 60);
    // 25 s before the hold lapses; the first pass is due 5 s after start().
    clock.set(T0 + 20 * MINUTE + 35_000);
    rt.start();
    await clock.advanceAsync(5_000);
    await expect.poll(async () => (await branch(h.txId)).state).toBe('committed');
    await rt.close();
  });

  it('a coordinator that is down (its HTTP server closed) is no answer: the hold lapses by itself', async () => {
    clock.set(T0 + 40 * MINUTE);
    // A decided confirm, but B cannot learn it.
    const h = await held(['trying', 'confirming'], 60);
    await coordinator?.close();
    coordinator = undefined;
    clock.set(T0 + 40 * MINUTE + 35_000);
    expect(await rt.recovery.runOnce()).toEqual({ asked: 1, confirmed: 0, canceled: 0, left: 1 });
    expect((await branch(h.txId)).state).toBe('tried');
    expect(await reservationState(h.reservationId)).toBe('PENDING');
    clock.set(T0 + 40 * MINUTE + 61_000);
    await engine.tick();
    expect(await reservationState(h.reservationId)).toBe('EXPIRED');
    expect(await branch(h.txId)).toMatchObject({ state: 'rolled_back' });
  });
});
