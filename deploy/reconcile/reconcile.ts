import type {
  CentralState,
  EdgeLogState,
  GroundTruth,
  ReconcileReport,
  StoredReading,
} from './types.js';

const EXAMPLES = 20;

/** Values as a string independent of key order (jsonb keeps keys in its own order). */
export function canonicalValues(values: Record<string, number>): string {
  return JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function contentKey(r: StoredReading): string {
  return `${r.deviceId}\u0000${r.ts}\u0000${canonicalValues(r.values)}`;
}

function push<T>(list: T[], item: T): void {
  if (list.length < EXAMPLES) list.push(item);
}

type ServedFields = Map<string, Map<string, Set<number>>>;

/** Per device and field, every value served. */
function servedFields(truth: GroundTruth): ServedFields {
  const out: ServedFields = new Map();
  for (const [deviceId, snapshots] of truth) {
    const fields = new Map<string, Set<number>>();
    for (const snapshot of snapshots)
      for (const [field, value] of Object.entries(snapshot)) {
        const set = fields.get(field) ?? new Set<number>();
        set.add(value);
        fields.set(field, set);
      }
    out.set(deviceId, fields);
  }
  return out;
}

/**
 * Every field of the reading holds a value the device served for that field. Checked per field,
 * not per snapshot: a poll reads a meter in several block reads, so one reading may legitimately
 * combine blocks read before and after the device moved on.
 */
function wasServed(served: ServedFields, r: StoredReading): boolean {
  const fields = served.get(r.deviceId);
  if (!fields) return false;
  return Object.entries(r.values).every(([field, value]) => fields.get(field)?.has(value));
}

/**
 * Compares what the edge committed with what the central stored (and, given ground truth, with
 * what the devices served). A committed seq is exactly one of: stored, set aside at ingest
 * (quarantined), pending in the edge's log, covered by the edge's drop accounting (at or below
 * `droppedUpTo`, and within the `dropped` count), or lost: committed = stored + quarantined +
 * pending + droppedMissing + lost. Pure: the callers read the three witnesses (see sources.ts).
 */
export function reconcile(
  edge: EdgeLogState,
  central: CentralState,
  truth?: GroundTruth,
): ReconcileReport {
  const examples: ReconcileReport['examples'] = {
    lost: [],
    duplicated: [],
    phantom: [],
    unserved: [],
  };
  const storedSeqs = new Set<number>();
  const seenContent = new Set<string>();
  let rows = 0;
  let duplicated = 0;
  let duplicatedBySeq = 0;
  let duplicatedByContent = 0;
  let phantom = 0;
  let otherEpochRows = 0;
  let unserved = 0;
  const served = truth && servedFields(truth);

  for (const r of central.readings) {
    if (r.epoch !== edge.epoch) {
      otherEpochRows++;
      continue;
    }
    rows++;
    const key = contentKey(r);
    const bySeq = storedSeqs.has(r.seq);
    const byContent = seenContent.has(key);
    if (bySeq) duplicatedBySeq++;
    if (byContent) duplicatedByContent++;
    if (bySeq || byContent) {
      duplicated++;
      push(examples.duplicated, `seq ${r.seq} ${r.deviceId} @${r.ts}`);
    }
    storedSeqs.add(r.seq);
    seenContent.add(key);
    if (r.seq < 1 || r.seq > edge.lastSeq) {
      phantom++;
      push(examples.phantom, r.seq);
    }
    if (served && !wasServed(served, r)) {
      unserved++;
      push(examples.unserved, `seq ${r.seq} ${r.deviceId}`);
    }
  }

  // Set aside at ingest: each seq once, and never a seq that also has a reading row.
  const quarantinedSeqs = new Set<number>();
  for (const q of central.quarantined) {
    if (q.epoch !== edge.epoch) continue;
    if (storedSeqs.has(q.seq) || quarantinedSeqs.has(q.seq)) {
      duplicated++;
      duplicatedBySeq++;
      push(
        examples.duplicated,
        `seq ${q.seq} set aside (${q.reason}) and stored or set aside before`,
      );
    }
    quarantinedSeqs.add(q.seq);
    if (q.seq < 1 || q.seq > edge.lastSeq) {
      phantom++;
      push(examples.phantom, q.seq);
    }
  }

  const pendingSet = new Set(edge.pendingSeqs);
  let stored = 0;
  let quarantined = 0;
  let pending = 0;
  let droppedMissing = 0;
  let lost = 0;
  for (let seq = 1; seq <= edge.lastSeq; seq++) {
    if (storedSeqs.has(seq)) stored++;
    else if (quarantinedSeqs.has(seq)) quarantined++;
    else if (pendingSet.has(seq)) pending++;
    else if (seq <= edge.droppedUpTo) droppedMissing++;
    else {
      lost++;
      push(examples.lost, seq);
    }
  }
  // `dropped` is an upper bound of the drops that were not stored: more missing below
  // droppedUpTo than the edge ever dropped means some of them were lost, not dropped.
  const unexplained = Math.max(0, droppedMissing - edge.dropped);
  lost += unexplained;

  let gapSeqs = 0;
  for (const g of central.gaps) if (g.epoch === edge.epoch) gapSeqs += g.toSeq - g.fromSeq + 1;

  return {
    totals: {
      committed: edge.lastSeq,
      stored,
      quarantined,
      rows,
      pending,
      countedDrops: edge.dropped,
      droppedMissing,
      gapSeqs,
      lost,
      duplicated,
      duplicatedBySeq,
      duplicatedByContent,
      phantom,
      otherEpochRows,
      ...(served ? { unserved } : {}),
    },
    examples,
  };
}

/** One line per figure, for the CLI and the soak log. */
export function formatTotals(report: ReconcileReport): string {
  const t = report.totals;
  const parts = [
    `committed ${t.committed}`,
    `stored ${t.stored}`,
    `quarantined ${t.quarantined}`,
    `lost ${t.lost}`,
    `duplicated ${t.duplicated}`,
    `countedDrops ${t.countedDrops}`,
    `pending ${t.pending}`,
    `droppedMissing ${t.droppedMissing}`,
    `gapSeqs ${t.gapSeqs}`,
    `phantom ${t.phantom}`,
    `rows ${t.rows}`,
  ];
  if (t.otherEpochRows) parts.push(`otherEpochRows ${t.otherEpochRows}`);
  if (t.unserved !== undefined) parts.push(`unserved ${t.unserved}`);
  return parts.join(', ');
}
