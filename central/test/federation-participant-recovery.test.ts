import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EvEvents } from '../src/ev/events.js';
import { ReservationEngine, reservationsConfigSchema } from '../src/ev/reservations/index.js';
import {
  branchKey,
  createParticipant,
  federationConfigSchema,
  type ParticipantRuntime,
} from '../src/federation/index.js';
import { aedesLink } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { seedNetwork, statusBroker } from './ev-reservations-fixture.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * The participant asks a coordinator before a hold lapses (docs/FEDERATION.md) and confirms or
 * cancels on its decision. The coordinator here is a real HTTP server on port 0 that answers the
 * contract's GET /api/v1/federation/transactions/{txId} from a table (the real coordinator is
 * another engineer's and is exercised by the three-process fault tests).
 */

const T0 = Date.parse('2027-01-04T12:00:00Z');
const MINUTE = 60_000;
const TOKEN = 'glt_issued-by-company-a-to-us';

describeEachStore('federation participant recovery', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let broker: Awaited<ReturnType<typeof statusBroker>>;
  let engine: ReservationEngine;
  let rt: ParticipantRuntime;
  let server: Server;
  let point: number;
  const clock = new FakeClock(T0);
  /** The coordinator's decisions by txId (absent: 404). */
  const decisions = new Map<string, string>();
  const asked: Array<{ path: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    database = await store.open();
    point = (await seedNetwork(database, 1)).pointIds[0] as number;
    broker = await statusBroker();
    engine = new ReservationEngine({
      db: database.db,
      clock,
      config: reservationsConfigSchema.parse({}),
      events: new EvEvents(),
      link: aedesLink(broker.aedes),
      logger: pino({ level: 'silent' }),
    });
    server = createServer((req, res) => {
      asked.push({ path: req.url ?? '', headers: req.headers });
      const tx = /\/api\/v1\/federation\/transactions\/([^/]+)$/.exec(req.url ?? '')?.[1] ?? '';
      const state = decisions.get(tx);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) res.writeHead(401).end('{}');
      else if (!state) res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      else
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            txId: tx,
            tripId: null,
            state,
            holdUntil: new Date(T0 + 10 * MINUTE).toISOString(),
            decidedAt: null,
            finishedAt: null,
            reason: null,
            branches: [],
          }),
        );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    rt = createParticipant({
      db: database.db,
      clock,
      reservations: engine,
      config: federationConfigSchema.parse({
        name: 'company-b',
        peers: [
          { name: 'company-a', url: `http://127.0.0.1:${port}`, token: TOKEN },
          // Nothing listens on port 9 (discard): unreachable.
          { name: 'gone', url: 'http://127.0.0.1:9', token: 'glt_never-answered-anyway' },
        ],
      }),
      defaultPointPowerKw: 50,
      logger: pino({ level: 'silent' }),
      recovery: { leadMs: 30_000 },
    });
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
    await engine?.idle();
    await broker?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await database?.dispose();
  });

  const tryAt = async (coordinator: string, tx: string, hour: number, holdSeconds: number) => {
    const start = new Date(T0 + (24 + hour) * 60 * MINUTE);
    const out = await rt.participant.try(branchKey(coordinator, tx, '1'), {
      pointId: point,
      start: start.toISOString(),
      end: new Date(start.getTime() + 60 * MINUTE).toISOString(),
      plate: 'ABC1D23',
      holdSeconds,
      trip: { tripId: 1, stops: 1 },
    });
    return out.branch;
  };
  const state = async (coordinator: string, tx: string) =>
    (await rt.participant.get(branchKey(coordinator, tx, '1'))).state;
  const reservationState = async (id: number | null) =>
    (
      await sql<{ state: string }>`SELECT state FROM ev_reservations WHERE id = ${id}`.execute(
        database.db,
      )
    ).rows[0]?.state;

  it('asks each coordinator about holds about to lapse, and confirms or cancels on its decision', async () => {
    const confirmTx = randomUUID();
    const cancelTx = randomUUID();
    const tryingTx = randomUUID();
    const unknownTx = randomUUID();
    const goneTx = randomUUID();
    const laterTx = randomUUID();
    decisions.set(confirmTx, 'confirming');
    decisions.set(cancelTx, 'canceled');
    decisions.set(tryingTx, 'trying');
    decisions.set(laterTx, 'confirmed');
    const c = await tryAt('company-a', confirmTx, 0, 120);
    const x = await tryAt('company-a', cancelTx, 1, 120);
    await tryAt('company-a', tryingTx, 2, 120);
    const u = await tryAt('company-a', unknownTx, 3, 120);
    await tryAt('gone', goneTx, 4, 120);
    // Its hold ends 10 min from now: not yet asked.
    await tryAt('company-a', laterTx, 5, 600);

    // Nothing is within 30 s of lapsing yet.
    expect(await rt.recovery.runOnce()).toEqual({ asked: 0, confirmed: 0, canceled: 0, left: 0 });
    clock.set(T0 + 100_000);
    const pass = await rt.recovery.runOnce();
    expect(pass).toEqual({ asked: 5, confirmed: 1, canceled: 2, left: 2 });
    expect(await state('company-a', confirmTx)).toBe('committed');
    expect(await reservationState(c.reservationId)).toBe('RESERVED');
    expect(await state('company-a', cancelTx)).toBe('rolled_back');
    expect(await reservationState(x.reservationId)).toBe('CANCELED');
    // The coordinator has not decided: the hold is left to lapse by itself.
    expect(await state('company-a', tryingTx)).toBe('tried');
    // The coordinator never logged it: canceled.
    expect(await state('company-a', unknownTx)).toBe('rolled_back');
    expect(await reservationState(u.reservationId)).toBe('CANCELED');
    // Unreachable: left as is.
    expect(await state('gone', goneTx)).toBe('tried');
    expect(await state('company-a', laterTx)).toBe('tried');

    // Each call carried the token the coordinator issued to us and OCPI's headers.
    const call = asked.find((a) => a.path.endsWith(confirmTx));
    expect(call?.path).toBe(`/api/v1/federation/transactions/${confirmTx}`);
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'x-correlation-id': confirmTx,
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(asked.some((a) => a.path.endsWith(laterTx))).toBe(false);

    // A second pass acts only on what is still tried and near its end (idempotent besides).
    expect(await rt.recovery.runOnce()).toMatchObject({ asked: 2, confirmed: 0, canceled: 0 });
  });

  it('start() runs passes on the clock, one at a time, until close()', async () => {
    const tx = randomUUID();
    decisions.set(tx, 'confirmed');
    clock.set(T0 + 20 * MINUTE);
    await tryAt('company-a', tx, 8, 60);
    // 25 s before the hold lapses; the first pass is due 5 s after start().
    clock.set(T0 + 20 * MINUTE + 35_000);
    rt.start();
    await clock.advanceAsync(5_000);
    await expect.poll(() => state('company-a', tx)).toBe('committed');
    await rt.close();
  });
});
