import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  decodeTelemetry,
  MeterDirectory,
  openDatabase,
  storeBatch,
  toDecodedBatch,
  upsertEdgeCredential,
} from '@gridlink/central';
import { type ScratchDatabase, scratchPostgres } from '@gridlink/central/testing';
import { type NewReading, openReadingLog } from '@gridlink/edge';
import type { TelemetryBatch } from '@gridlink/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CentralState,
  check,
  type EdgeLogState,
  readCentral,
  readEdgeLog,
  reconcile,
  type StoredReading,
} from '../reconcile/index.js';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

const E = 'epoch-a';
const edge = (over: Partial<EdgeLogState> = {}): EdgeLogState => ({
  epoch: E,
  lastSeq: 10,
  ackedUpTo: 10,
  dropped: 0,
  droppedUpTo: 0,
  pendingSeqs: [],
  ...over,
});
const row = (seq: number, over: Partial<StoredReading> = {}): StoredReading => ({
  epoch: E,
  seq,
  deviceId: `m${seq % 3}`,
  ts: 1_767_225_600_000 + seq * 1000,
  values: { energy_import: seq / 4, voltage_l1: 220 },
  ...over,
});
const central = (seqs: number[], extra: Partial<CentralState> = {}): CentralState => ({
  streams: [{ epoch: E, upTo: Math.max(0, ...seqs), dropped: 0, quarantined: 0 }],
  readings: seqs.map((s) => row(s)),
  gaps: [],
  quarantined: [],
  ...extra,
});
const setAside = (...seqs: number[]) => seqs.map((seq) => ({ epoch: E, seq, reason: 'schema' }));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('reconcile (hand-made data)', () => {
  it('everything committed stored once: nothing lost or duplicated', () => {
    const { totals } = reconcile(edge(), central(range(1, 10)));
    expect(totals).toMatchObject({ committed: 10, stored: 10, lost: 0, duplicated: 0, phantom: 0 });
  });

  it('reports a committed seq that is neither stored, pending nor dropped as lost', () => {
    const report = reconcile(edge(), central([1, 2, 3, 5, 6, 7, 8, 9, 10]));
    expect(report.totals).toMatchObject({ committed: 10, stored: 9, lost: 1, duplicated: 0 });
    expect(report.examples.lost).toEqual([4]);
  });

  it('reports the same reading stored under two seqs as duplicated (by meter, ts, values)', () => {
    const state = central(range(1, 10));
    const copy = { ...row(3), seq: 11 };
    const report = reconcile(edge({ lastSeq: 11 }), {
      ...state,
      readings: [...state.readings, copy],
    });
    expect(report.totals).toMatchObject({
      stored: 11,
      lost: 0,
      duplicated: 1,
      duplicatedByContent: 1,
      duplicatedBySeq: 0,
    });
  });

  it('reports the same (stream, seq) stored twice as duplicated', () => {
    const state = central(range(1, 10));
    const again = row(7, { values: { energy_import: 99 } });
    const { totals } = reconcile(edge(), { ...state, readings: [...state.readings, again] });
    expect(totals).toMatchObject({ stored: 10, rows: 11, duplicated: 1, duplicatedBySeq: 1 });
  });

  it('a key-order difference in values is the same content', () => {
    const state = central([1, 2]);
    const reordered = row(2, { seq: 3, values: { voltage_l1: 220, energy_import: 2 / 4 } });
    const { totals } = reconcile(edge({ lastSeq: 3 }), {
      ...state,
      readings: [...state.readings, reordered],
    });
    expect(totals.duplicatedByContent).toBe(1);
  });

  it('readings still in the edge log are pending, not lost', () => {
    const { totals } = reconcile(
      edge({ ackedUpTo: 6, pendingSeqs: [7, 8, 9, 10] }),
      central(range(1, 7)),
    );
    expect(totals).toMatchObject({ stored: 7, pending: 3, lost: 0 });
  });

  it('drops covered by droppedUpTo and the drop counter are counted, not lost', () => {
    const { totals } = reconcile(
      edge({ dropped: 4, droppedUpTo: 6 }),
      central([1, 2, 7, 8, 9, 10], {
        gaps: [{ epoch: E, fromSeq: 3, toSeq: 6, reportedDropped: 4 }],
      }),
    );
    expect(totals).toMatchObject({
      stored: 6,
      countedDrops: 4,
      droppedMissing: 4,
      gapSeqs: 4,
      lost: 0,
    });
  });

  it('more missing below droppedUpTo than the edge dropped is a loss', () => {
    const { totals } = reconcile(
      edge({ dropped: 2, droppedUpTo: 6 }),
      central([1, 2, 7, 8, 9, 10]),
    );
    expect(totals).toMatchObject({ droppedMissing: 4, lost: 2 });
  });

  it('a stored seq the edge never committed is phantom; other epochs are kept apart', () => {
    const state = central(range(1, 12));
    const { totals } = reconcile(edge(), {
      ...state,
      readings: [...state.readings, row(1, { epoch: 'old', ts: 1 })],
    });
    expect(totals).toMatchObject({ stored: 10, phantom: 2, otherEpochRows: 1, lost: 0 });
  });

  it('readings set aside at ingest are the third outcome: accounted for, not lost', () => {
    const { totals } = reconcile(
      edge(),
      central([1, 2, 4, 5, 6, 8, 9, 10], { quarantined: setAside(3, 7) }),
    );
    expect(totals).toMatchObject({ committed: 10, stored: 8, quarantined: 2, lost: 0 });
    expect(totals.duplicated).toBe(0);
    expect(totals.stored + totals.quarantined).toBe(totals.committed);
  });

  it('a seq both stored and set aside, or set aside twice, is duplicated; beyond lastSeq, phantom', () => {
    const report = reconcile(
      edge(),
      central(range(1, 9), { quarantined: setAside(4, 10, 10, 12) }),
    );
    expect(report.totals).toMatchObject({
      stored: 9,
      quarantined: 1,
      duplicated: 2,
      duplicatedBySeq: 2,
      phantom: 1,
      lost: 0,
    });
    expect(report.examples.phantom).toEqual([12]);
  });

  it('a seq neither stored, set aside nor pending is still lost', () => {
    const { totals } = reconcile(edge(), central(range(1, 8), { quarantined: setAside(9) }));
    expect(totals).toMatchObject({ stored: 8, quarantined: 1, lost: 1 });
  });

  it('with ground truth, values no device served are reported', () => {
    const truth = new Map([
      ['m0', [row(3).values, row(6).values, row(9).values]],
      [
        'm1',
        range(1, 10)
          .filter((s) => s % 3 === 1)
          .map((s) => row(s).values),
      ],
      [
        'm2',
        range(1, 10)
          .filter((s) => s % 3 === 2 && s !== 5)
          .map((s) => row(s).values),
      ],
    ]);
    const report = reconcile(edge(), central(range(1, 10)), truth);
    expect(report.totals.unserved).toBe(1);
    expect(report.examples.unserved).toEqual(['seq 5 m2']);
  });
});

/** A real LevelDB log and a real central store, read back by the checker's own readers. */
describe('reconcile (real LevelDB log, PGlite and PostgreSQL)', () => {
  let dir: string;
  let pgUrl: string;
  let scratch: ScratchDatabase | undefined;

  const readings = (n: number, from: number): NewReading[] =>
    Array.from({ length: n }, (_, i) => ({
      deviceId: `m${(from + i) % 4}`,
      ts: 1_767_225_600_000 + (from + i) * 1000,
      quality: 'good' as const,
      values: { energy_import: (from + i) / 8, voltage_l1: 221.5 },
    }));

  /** Builds: edge log with seqs 1..30, ack up to 20; the central stores `storedSeqs` of them. */
  async function scenario(
    target: string,
    dbOpts: Parameters<typeof openDatabase>[0],
    skip: number,
  ) {
    const logDir = join(dir, `${target}-log`);
    const log = await openReadingLog({ dir: logDir, sync: false });
    await log.append(readings(30, 1));
    const all = await log.read(1, 100);
    const database = await openDatabase(dbOpts);
    await upsertEdgeCredential(database.db, 'edge-r');
    const ids = await new MeterDirectory(database.db).resolve('edge-r', ['m0', 'm1', 'm2', 'm3']);
    // Two batches 1..10 and 12..20 forced in as if the gap 11 had been dropped: seq 11 lost.
    const mk = (rs: typeof all): TelemetryBatch => ({
      edgeId: 'edge-r',
      epoch: log.epoch,
      firstSeq: rs[0]!.seq,
      lastSeq: rs.at(-1)!.seq,
      dropped: 0,
      droppedUpTo: rs[0]!.seq - 1,
      readings: rs,
    });
    await storeBatch(database.db, toDecodedBatch(mk(all.slice(0, skip - 1))), ids);
    await storeBatch(database.db, toDecodedBatch(mk(all.slice(skip, 20))), ids);
    await log.ack(20);
    await log.close();
    return { logDir, database, epoch: log.epoch };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-reconcile-'));
    scratch = await scratchPostgres('gl_test');
    pgUrl = scratch.url;
  });

  afterAll(async () => {
    await scratch?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('readings the central set aside are read back as quarantined, not lost (PGlite)', async () => {
    const logDir = join(dir, 'poison-log');
    const log = await openReadingLog({ dir: logDir, sync: false });
    // The log takes what it is given: seq 3 and 7 carry times the central refuses.
    const rs = readings(10, 1);
    rs[2] = { ...(rs[2] as NewReading), ts: 0 };
    rs[6] = { ...(rs[6] as NewReading), ts: 1e20 };
    await log.append(rs);
    const database = await openDatabase({ kind: 'pglite' });
    await upsertEdgeCredential(database.db, 'edge-p');
    const ids = await new MeterDirectory(database.db).resolve('edge-p', ['m0', 'm1', 'm2', 'm3']);
    const all = await log.read(1, 100);
    const payload = JSON.stringify({
      edgeId: 'edge-p',
      epoch: log.epoch,
      firstSeq: 1,
      lastSeq: 10,
      dropped: 0,
      droppedUpTo: 0,
      readings: all,
    });
    const decoded = decodeTelemetry('edge-p', Buffer.from(payload), 1 << 20);
    expect(decoded.quarantine.map((q) => q.seq)).toEqual([3, 7]);
    await storeBatch(database.db, decoded, ids);
    await log.ack(10);
    const edgeState = await (async () => {
      await log.close();
      return readEdgeLog(logDir);
    })();
    const report = reconcile(edgeState, await readCentral(database, 'edge-p'));
    await database.close();
    expect(report.totals).toMatchObject({
      committed: 10,
      stored: 8,
      quarantined: 2,
      lost: 0,
      duplicated: 0,
      phantom: 0,
      pending: 0,
    });
  });

  it('PostgreSQL: reads the log and the store, and finds the one lost seq', async () => {
    const { logDir, database } = await scenario('pg', { kind: 'postgres', url: pgUrl }, 11);
    await database.close();
    const report = await check({ centralDb: pgUrl, edgeLog: logDir, edgeId: 'edge-r' });
    expect(report.totals).toMatchObject({
      committed: 30,
      stored: 19,
      pending: 10,
      lost: 1,
      duplicated: 0,
      gapSeqs: 1,
    });
    expect(report.examples.lost).toEqual([11]);
  });

  it('the CLI on a PGlite central: totals, exit code 1 on a loss, --help', async () => {
    const dbDir = join(dir, 'central', 'db');
    const { logDir, database, epoch } = await scenario(
      'lite',
      { kind: 'pglite', dataDir: dbDir },
      5,
    );
    const central = await readCentral(database, 'edge-r');
    expect(central.streams).toEqual([{ epoch, upTo: 20, dropped: 0, quarantined: 0 }]);
    await database.close();
    const truthFile = join(dir, 'truth.jsonl');
    await writeFile(
      truthFile,
      readings(30, 1)
        .map((r) => JSON.stringify({ deviceId: r.deviceId, values: r.values }))
        .join('\n'),
    );
    const cli = ['--import', 'tsx', join(root, 'deploy/reconcile/cli.ts')];
    const args = [...cli, '--central-db', join(dir, 'central'), '--edge-log', logDir];
    const failed = await run(
      process.execPath,
      [...args, '--edge-id', 'edge-r', '--truth', truthFile],
      {
        cwd: root,
      },
    ).catch((err: { code: number; stdout: string }) => err);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stdout: string }).stdout).toContain(
      'committed 30, stored 19, quarantined 0, lost 1, duplicated 0, countedDrops 0, pending 10',
    );
    expect((failed as { stdout: string }).stdout).toContain('unserved 0');
    const help = await run(process.execPath, [...cli, '--help'], { cwd: root });
    expect(help.stdout).toContain('--central-db');
    const bad = await run(process.execPath, [...cli, '--edge-log', logDir], { cwd: root }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad).toMatchObject({ code: 2 });
  }, 90_000);
});
