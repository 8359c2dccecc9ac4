import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

export interface ReadingView {
  ts: string;
  quality: string;
  values: Record<string, number>;
}

export interface ReadingsPage {
  items: ReadingView[];
  /** Pass as `cursor` to continue; null on the last page. */
  next: string | null;
}

/** Cursor = position of the last item returned: ts in µs since epoch, stream id, seq. */
function encodeCursor(tsMicros: string, stream: number, seq: string): string {
  return Buffer.from(`${tsMicros}:${stream}:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): [string, number, string] | undefined {
  const m = /^(\d{1,20}):(\d{1,10}):(\d{1,20})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  return m ? [m[1] as string, Number(m[2]), m[3] as string] : undefined;
}

/** Readings of one meter in [from, to), oldest first, keyset-paged (no OFFSET scans). */
export async function readingsInRange(
  db: Kysely<Schema>,
  meterId: number,
  range: { from: Date; to: Date; limit: number; cursor?: [string, number, string] },
): Promise<ReadingsPage> {
  let q = db
    .selectFrom('readings')
    .select([
      'ts',
      'quality',
      'values',
      'stream_id',
      'seq',
      sql<string>`(extract(epoch from ts) * 1000000)::bigint::text`.as('ts_us'),
    ])
    .where('meter_id', '=', meterId)
    .where('ts', '>=', range.from)
    .where('ts', '<', range.to);
  if (range.cursor) {
    const [tsUs, stream, seq] = range.cursor;
    q = q.where(
      sql<boolean>`(ts, stream_id, seq) > ('epoch'::timestamptz + ${tsUs}::bigint * interval '1 microsecond', ${stream}, ${seq}::bigint)`,
    );
  }
  const rows = await q
    .orderBy('ts')
    .orderBy('stream_id')
    .orderBy('seq')
    .limit(range.limit + 1)
    .execute();
  const page = rows.slice(0, range.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      ts: new Date(r.ts).toISOString(),
      quality: r.quality,
      values: r.values,
    })),
    next:
      rows.length > range.limit && last
        ? encodeCursor(String(last.ts_us), last.stream_id, String(last.seq))
        : null,
  };
}
