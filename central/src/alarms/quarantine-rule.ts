import { sql } from 'kysely';
import type { EventRule } from './rules.js';

export const QUARANTINED_ALARM = 'edge.readings-quarantined';

/**
 * Readings the ingest set aside (ingest_quarantine, docs/WIRE.md): one alarm per edge whose
 * quarantined count grew since the last pass, with the new readings' seq range and reasons.
 * The query is grouped per edge, stream and reason, so its size does not grow with the rows.
 */
export const quarantineRule: EventRule = {
  type: QUARANTINED_ALARM,
  async evaluate(db, after) {
    const { rows } = await sql<{
      edge_id: string;
      epoch: string;
      reason: string;
      n: string;
      from_seq: string;
      to_seq: string;
      last_id: number;
    }>`
      SELECT s.edge_id, s.epoch, q.reason, count(*)::text AS n,
             min(q.seq)::text AS from_seq, max(q.seq)::text AS to_seq, max(q.id) AS last_id
      FROM ingest_quarantine q JOIN ingest_streams s ON s.id = q.stream_id
      WHERE q.id > ${after}
      GROUP BY s.edge_id, s.epoch, q.reason
      ORDER BY s.edge_id, s.epoch, q.reason`.execute(db);
    const edges = new Map<
      string,
      { epochs: Set<string>; readings: number; fromSeq: number; toSeq: number } & {
        reasons: Record<string, number>;
      }
    >();
    let last = after;
    for (const r of rows) {
      last = Math.max(last, Number(r.last_id));
      const e = edges.get(r.edge_id) ?? {
        epochs: new Set<string>(),
        readings: 0,
        fromSeq: Number.POSITIVE_INFINITY,
        toSeq: 0,
        reasons: {},
      };
      e.epochs.add(r.epoch);
      e.readings += Number(r.n);
      e.fromSeq = Math.min(e.fromSeq, Number(r.from_seq));
      e.toSeq = Math.max(e.toSeq, Number(r.to_seq));
      e.reasons[r.reason] = (e.reasons[r.reason] ?? 0) + Number(r.n);
      edges.set(r.edge_id, e);
    }
    return {
      last,
      conditions: [...edges].map(([edgeId, e]) => ({
        source: `edge:${edgeId}`,
        type: QUARANTINED_ALARM,
        severity: 'MAJOR' as const,
        customerId: null,
        details: {
          epochs: [...e.epochs],
          readings: e.readings,
          fromSeq: e.fromSeq,
          toSeq: e.toSeq,
          reasons: e.reasons,
        },
      })),
    };
  },
};
