import { FakeClock } from '@gridlink/shared';
import { type KyselyPlugin, SelectQueryNode, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordEdgeStatus, upsertEdgeCredential } from '../src/edges/index.js';
import { type Jobs, startJobs } from '../src/jobs/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';

/**
 * The jobs' retry poller and lease renewal tick on the central's clock. A tick that came while
 * the previous one's statement was still out queued another: a FakeClock stepped 6 h fired the
 * 30 s poller 720 times at once, and on PGlite (one connection, statements in turn) an edge's
 * status or a job's claim then waited behind every one of them — the seed end-to-end test saw
 * acks stop after a status and an alarm sweep outlast a minute. Now one query is out at a time,
 * and ticks meanwhile ask for one more.
 */
const HOUR = 3_600_000;
let database: Database;
let jobs: Jobs | undefined;
const clock = new FakeClock(Date.parse('2026-11-01T03:00:00Z'));
/** SELECTs on job_runs: the poller's take-over query (nothing else reads it here). */
let takeOvers = 0;
const counter: KyselyPlugin = {
  transformQuery({ node }) {
    if (SelectQueryNode.is(node) && JSON.stringify(node).includes('"name":"job_runs"'))
      takeOvers += 1;
    return node;
  },
  transformResult: async ({ result }) => result,
};

beforeAll(async () => {
  database = await openDatabase({ kind: 'pglite' });
});

afterAll(async () => {
  await jobs?.stop();
  await database?.close();
});

it('a clock step of many poll periods issues two take-over queries, not one a tick, and an edge status is not queued behind a backlog', async () => {
  const db = database.db.withPlugin(counter);
  const rare = '0 0 1 1 *';
  jobs = startJobs({
    db,
    logger: pino({ level: 'silent' }),
    clock,
    billing: { dueDays: 10, cron: rare },
    rollup: { cron: rare },
    alarms: { cron: rare },
    prune: { cron: rare },
  });
  await upsertEdgeCredential(database.db, 'edge-poll');
  // 6 h in one step: 720 ticks of the default 30 s poller, fired before any query returns.
  clock.advance(6 * HOUR);
  await expect.poll(() => takeOvers).toBeGreaterThan(0);
  // A statement issued now runs after everything queued before it on the one connection.
  await recordEdgeStatus(
    database.db,
    { edgeId: 'edge-poll', at: clock.now(), online: true },
    new Date(clock.now()),
  );
  // The first tick's query, and one more for the 719 ticks that came while it was out (with
  // the clock as it is after the step); then nothing until the next tick.
  await expect.poll(() => takeOvers).toBe(2);
  await sql`SELECT 1`.execute(database.db);
  expect(takeOvers).toBe(2);
  const { rows } = await sql<{ seen: Date | null }>`
    SELECT last_seen_at AS seen FROM edges WHERE id = 'edge-poll'`.execute(database.db);
  expect(rows[0]?.seen).not.toBeNull();
}, 60_000);
