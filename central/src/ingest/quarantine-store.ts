import type { ReadingRejection } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';

/** One reading set aside at ingest, as operators see it. */
export interface QuarantineView {
  id: number;
  epoch: string;
  seq: number;
  deviceId: string | null;
  reason: ReadingRejection;
  message: string;
  /** The reading as JSON, at most 4 KiB of it (`rawBytes` is the whole length). */
  raw: string;
  rawBytes: number;
  receivedAt: string;
}

/** The central's figures of one stream (edge, epoch): the mark and what did not become a row. */
export interface StreamFigures {
  epoch: string;
  /** The high-water mark: every seq up to it is stored, set aside, or a recorded gap. */
  upTo: number;
  /** The edge's drop counter as last reported. */
  dropped: number;
  /** Readings set aside at ingest. */
  quarantined: number;
  updatedAt: string;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** Every stream of an edge, the most recently active first. */
export async function streamFigures(db: Kysely<Schema>, edgeId: string): Promise<StreamFigures[]> {
  const rows = await db
    .selectFrom('ingest_streams')
    .select(['epoch', 'up_to', 'dropped', 'quarantined', 'updated_at'])
    .where('edge_id', '=', edgeId)
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    epoch: r.epoch,
    upTo: Number(r.up_to),
    dropped: Number(r.dropped),
    quarantined: Number(r.quarantined),
    updatedAt: iso(r.updated_at),
  }));
}

/**
 * A page of an edge's quarantined readings, newest first (by id); `before` is the `next` of the
 * previous page. `next` is null on the last page.
 */
export async function listQuarantined(
  db: Kysely<Schema>,
  edgeId: string,
  page: { limit: number; before?: number },
): Promise<{ items: QuarantineView[]; next: string | null }> {
  let query = db
    .selectFrom('ingest_quarantine as q')
    .innerJoin('ingest_streams as s', 's.id', 'q.stream_id')
    .select([
      'q.id',
      's.epoch',
      'q.seq',
      'q.device_id',
      'q.reason',
      'q.message',
      'q.raw',
      'q.raw_bytes',
      'q.received_at',
    ])
    .where('s.edge_id', '=', edgeId)
    .orderBy('q.id', 'desc')
    .limit(page.limit + 1);
  if (page.before !== undefined) query = query.where('q.id', '<', page.before);
  const rows = await query.execute();
  const items = rows.slice(0, page.limit).map((r) => ({
    id: r.id,
    epoch: r.epoch,
    seq: Number(r.seq),
    deviceId: r.device_id,
    reason: r.reason as ReadingRejection,
    message: r.message,
    raw: r.raw,
    rawBytes: r.raw_bytes,
    receivedAt: iso(r.received_at),
  }));
  const last = items.at(-1);
  return { items, next: rows.length > page.limit && last ? String(last.id) : null };
}

/**
 * What the central set aside of one edge: its streams' figures and a page of quarantined
 * readings. Undefined when no edge is registered under `edgeId`.
 */
export async function edgeQuarantine(
  db: Kysely<Schema>,
  edgeId: string,
  page: { limit: number; before?: number },
): Promise<{ streams: StreamFigures[]; items: QuarantineView[]; next: string | null } | undefined> {
  const edge = await db
    .selectFrom('edges')
    .select('id')
    .where('id', '=', edgeId)
    .executeTakeFirst();
  if (!edge) return undefined;
  return { streams: await streamFigures(db, edgeId), ...(await listQuarantined(db, edgeId, page)) };
}
