import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Database, openDatabase } from '@gridlink/central';
import { ClassicLevel } from 'classic-level';
import { sql } from 'kysely';
import type { CentralState, EdgeLogState, GroundTruth } from './types.js';

/**
 * Reads an edge's LevelDB log without going through the edge's code, from the layout documented
 * in docs/STORE-AND-FORWARD.md: the meta record under `m`; under `r` + 8-byte big-endian seq, a
 * record of one or more consecutive readings' JSON separated by newlines, keyed by its first
 * seq. Readings at or below the floor (max of ackedUpTo, droppedUpTo) are gone even when their
 * record still holds them. An independent reader is the point of a checker. The edge must be
 * stopped (LevelDB allows one opener); a missing store is an error, never created.
 */
export async function readEdgeLog(dir: string): Promise<EdgeLogState> {
  const db = new ClassicLevel<Buffer, string>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'utf8',
    createIfMissing: false,
  });
  await db.open();
  try {
    const raw = await db.get(Buffer.from('m'));
    if (raw === undefined) throw new Error(`${dir}: no meta record, not a GridLink reading log`);
    const meta = JSON.parse(raw) as Partial<EdgeLogState> & { version?: number };
    if ((meta.version !== 1 && meta.version !== 2) || typeof meta.epoch !== 'string')
      throw new Error(`${dir}: unknown reading log format`);
    const floor = Math.max(meta.ackedUpTo ?? 0, meta.droppedUpTo ?? 0);
    const pendingSeqs: number[] = [];
    const lo = Buffer.from([0x72]);
    const hi = Buffer.from([0x73]);
    for await (const [key, record] of db.iterator({ gte: lo, lt: hi })) {
      const first = Number(key.readBigUInt64BE(1));
      record.split('\n').forEach((line, i) => {
        const seq = (JSON.parse(line) as { seq: number }).seq;
        if (seq !== first + i) throw new Error(`${dir}: record ${first} holds seq ${seq} at ${i}`);
        if (seq > floor) pendingSeqs.push(seq);
      });
    }
    return {
      epoch: meta.epoch,
      lastSeq: meta.lastSeq ?? 0,
      ackedUpTo: meta.ackedUpTo ?? 0,
      dropped: meta.dropped ?? 0,
      droppedUpTo: meta.droppedUpTo ?? 0,
      pendingSeqs,
    };
  } finally {
    await db.close();
  }
}

/**
 * Opens the central's store: a `postgres://` URL, or a PGlite directory (the database directory
 * itself, or a central `--data-dir`, whose database is under `db/`). PGlite allows one opener:
 * stop the central first.
 */
export async function openCentralStore(target: string): Promise<Database> {
  if (/^postgres(ql)?:\/\//.test(target)) return openDatabase({ kind: 'postgres', url: target });
  const dir = existsSync(join(target, 'PG_VERSION')) ? target : join(target, 'db');
  if (!existsSync(join(dir, 'PG_VERSION')))
    throw new Error(`${target}: neither a PGlite data directory nor a central data dir`);
  return openDatabase({ kind: 'pglite', dataDir: dir });
}

/** Every stream, reading row, gap and reading set aside the central holds for `edgeId`. */
export async function readCentral(database: Database, edgeId: string): Promise<CentralState> {
  const db = database.db;
  const streams = await sql<{ epoch: string; up_to: string; dropped: string; quarantined: string }>`
    SELECT epoch, up_to::text AS up_to, dropped::text AS dropped, quarantined::text AS quarantined
    FROM ingest_streams WHERE edge_id = ${edgeId}`.execute(db);
  const readings = await sql<{
    epoch: string;
    seq: string;
    device_id: string;
    ts_ms: number;
    values: Record<string, number>;
  }>`
    SELECT s.epoch, r.seq::text AS seq, m.device_id,
           round(extract(epoch FROM r.ts) * 1000)::float8 AS ts_ms, r.values
    FROM readings r
    JOIN ingest_streams s ON s.id = r.stream_id
    JOIN meters m ON m.id = r.meter_id
    WHERE s.edge_id = ${edgeId}
    ORDER BY s.epoch, r.seq`.execute(db);
  const gaps = await sql<{
    epoch: string;
    from_seq: string;
    to_seq: string;
    reported_dropped: string;
  }>`
    SELECT s.epoch, g.from_seq::text AS from_seq, g.to_seq::text AS to_seq,
           g.reported_dropped::text AS reported_dropped
    FROM ingest_gaps g JOIN ingest_streams s ON s.id = g.stream_id
    WHERE s.edge_id = ${edgeId}`.execute(db);
  const quarantined = await sql<{ epoch: string; seq: string; reason: string }>`
    SELECT s.epoch, q.seq::text AS seq, q.reason
    FROM ingest_quarantine q JOIN ingest_streams s ON s.id = q.stream_id
    WHERE s.edge_id = ${edgeId}
    ORDER BY s.epoch, q.seq`.execute(db);
  return {
    streams: streams.rows.map((s) => ({
      epoch: s.epoch,
      upTo: Number(s.up_to),
      dropped: Number(s.dropped),
      quarantined: Number(s.quarantined),
    })),
    quarantined: quarantined.rows.map((q) => ({
      epoch: q.epoch,
      seq: Number(q.seq),
      reason: q.reason,
    })),
    readings: readings.rows.map((r) => ({
      epoch: r.epoch,
      seq: Number(r.seq),
      deviceId: r.device_id,
      ts: Number(r.ts_ms),
      values: typeof r.values === 'string' ? JSON.parse(r.values) : r.values,
    })),
    gaps: gaps.rows.map((g) => ({
      epoch: g.epoch,
      fromSeq: Number(g.from_seq),
      toSeq: Number(g.to_seq),
      reportedDropped: Number(g.reported_dropped),
    })),
  };
}

/**
 * Ground truth from a file: JSON lines `{"deviceId": "...", "values": {...}}`, one per snapshot a
 * device served (what `recordTruth` in the fault tests writes).
 */
export async function readTruth(file: string): Promise<GroundTruth> {
  const truth = new Map<string, Array<Record<string, number>>>();
  const text = await readFile(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let entry: { deviceId?: unknown; values?: unknown };
    try {
      entry = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not JSON`);
    }
    if (typeof entry.deviceId !== 'string' || typeof entry.values !== 'object' || !entry.values)
      throw new Error(`${file}:${i + 1}: expected {"deviceId", "values"}`);
    const list = truth.get(entry.deviceId) ?? [];
    list.push(entry.values as Record<string, number>);
    truth.set(entry.deviceId, list);
  });
  return truth;
}
