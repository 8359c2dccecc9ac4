import { type Kysely, sql } from 'kysely';
import { meterHours } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import type { AlarmCondition } from './store.js';
import { PRODIST_BANDS, type VoltageBand, voltageSeverity, worstPhase } from './voltage.js';

export interface AlarmRulesConfig {
  /** Baseline rule: the last 24 h above `factor` × the mean day (days with data) of the 28 before. */
  baseline: { factor: number; minDays: number };
  /** Invoice rule: the newest invoice above the mean of up to `window` previous ones by `percent` %. */
  invoice: { percent: number; window: number; minPrevious: number };
  voltage: { bands: readonly VoltageBand[] };
  /** An edge is offline when it said so (last will) or was not heard from for this long. */
  edgeOfflineAfterMs: number;
  /**
   * Excess rule (seed D): a single interval reading above `singleReadingKwh`. The rollup records
   * such readings with the threshold the central stored at start (metering settings).
   */
  excess: { singleReadingKwh: number };
}

export const DEFAULT_RULES: AlarmRulesConfig = {
  baseline: { factor: 2, minDays: 7 },
  invoice: { percent: 30, window: 3, minPrevious: 1 },
  voltage: { bands: PRODIST_BANDS },
  edgeOfflineAfterMs: 10 * 60_000,
  excess: { singleReadingKwh: 1000 },
};

export const ALARM_TYPES = {
  limit: 'consumption.limit',
  excess: 'consumption.excess',
  baseline: 'consumption.baseline',
  invoice: 'invoice.variation',
  tamper: 'meter.tamper',
  voltage: 'voltage.range',
  dropped: 'edge.readings-dropped',
  quarantined: 'edge.readings-quarantined',
  edgeOffline: 'edge.offline',
  deviceOffline: 'device.offline',
} as const;

/** A rule whose alarm lasts while its condition holds; the sweep clears it when it stops. */
export interface ConditionRule {
  type: string;
  evaluate(db: Kysely<Schema>, now: Date, cfg: AlarmRulesConfig): Promise<AlarmCondition[]>;
}

/**
 * Events an event rule takes per sweep: a flood (a register made to go backwards on every
 * reading) is alarmed over several sweeps instead of loading every event at once.
 */
export const EVENTS_PER_SWEEP = 1000;

/** A rule fired by new event rows (after a cursor); its alarms are cleared by people. */
export interface EventRule {
  type: string;
  /** Conditions for at most EVENTS_PER_SWEEP events with id > after, and the new cursor. */
  evaluate(
    db: Kysely<Schema>,
    after: number,
  ): Promise<{ conditions: AlarmCondition[]; last: number }>;
}

const n = (v: unknown) => Number(v);

/** Month-to-date consumption (customer's zone) above the customer's fixed limit. */
export const limitRule: ConditionRule = {
  type: ALARM_TYPES.limit,
  async evaluate(db, now) {
    const at = sql`${now.toISOString()}::timestamptz`;
    const monthStart = sql`(date_trunc('month', ${at} AT TIME ZONE c.time_zone) AT TIME ZONE c.time_zone)`;
    // The hours of the month so far (at most 31 days of them per meter, runs included).
    const { rows } = await sql<{ id: number; limit_wh: string; wh: string }>`
      SELECT c.id, c.monthly_limit_wh::text AS limit_wh, coalesce(sum(h.wh), 0)::text AS wh
      FROM customers c
      JOIN meters m ON m.customer_id = c.id
      CROSS JOIN LATERAL ${meterHours(sql`m.id`, monthStart, at)} h
      WHERE c.monthly_limit_wh IS NOT NULL
      GROUP BY c.id, c.monthly_limit_wh
      HAVING coalesce(sum(h.wh), 0) > c.monthly_limit_wh
    `.execute(db);
    return rows.map((r) => ({
      source: `customer:${r.id}`,
      type: ALARM_TYPES.limit,
      severity: 'MAJOR' as const,
      customerId: r.id,
      details: { monthToDateWh: n(r.wh), limitWh: n(r.limit_wh) },
    }));
  },
};

/** The last 24 h against the customer's own mean day over the 28 days before (≥ minDays with data). */
export const baselineRule: ConditionRule = {
  type: ALARM_TYPES.baseline,
  async evaluate(db, now, cfg) {
    const at = now.toISOString();
    // The hours of the last 29 days (runs included): at most 696 rows per meter.
    const { rows } = await sql<{ id: number; recent: string; base: string; days: string }>`
      SELECT m.customer_id AS id,
        coalesce(sum(h.wh) FILTER (WHERE h.hour >= ${at}::timestamptz - interval '24 hours'), 0)::text AS recent,
        coalesce(sum(h.wh) FILTER (WHERE h.hour < ${at}::timestamptz - interval '24 hours'), 0)::text AS base,
        count(DISTINCT date_trunc('day', h.hour AT TIME ZONE 'UTC'))
          FILTER (WHERE h.hour < ${at}::timestamptz - interval '24 hours')::text AS days
      FROM meters m
      CROSS JOIN LATERAL ${meterHours(
        sql`m.id`,
        sql`${at}::timestamptz - interval '29 days'`,
        sql`${at}::timestamptz`,
      )} h
      WHERE m.customer_id IS NOT NULL
      GROUP BY m.customer_id
    `.execute(db);
    const out: AlarmCondition[] = [];
    for (const r of rows) {
      const recent = n(r.recent);
      // The mean over the days that have data, so a customer with a short history is not
      // compared with a month of zeros.
      const baseDay = n(r.days) > 0 ? n(r.base) / n(r.days) : 0;
      if (n(r.days) < cfg.baseline.minDays || baseDay <= 0) continue;
      if (recent <= cfg.baseline.factor * baseDay) continue;
      out.push({
        source: `customer:${r.id}`,
        type: ALARM_TYPES.baseline,
        severity: 'MINOR',
        customerId: r.id,
        details: {
          last24hWh: recent,
          baselineDayWh: Math.round(baseDay),
          factor: cfg.baseline.factor,
        },
      });
    }
    return out;
  },
};

/** Each meter's newest invoice against the mean of the previous ones (integer comparison). */
export const invoiceRule: ConditionRule = {
  type: ALARM_TYPES.invoice,
  async evaluate(db, _now, cfg) {
    const { rows } = await sql<{
      meter_id: number;
      customer_id: number;
      id: number;
      total: string;
      prev_sum: string;
      prev_n: string;
    }>`
      WITH ranked AS (
        SELECT id, meter_id, customer_id, total_centavos,
               row_number() OVER (PARTITION BY meter_id ORDER BY period_start DESC) AS rn
        FROM invoices WHERE status <> 'cancelled'
      )
      SELECT l.meter_id, l.customer_id, l.id, l.total_centavos::text AS total,
             coalesce(sum(p.total_centavos), 0)::text AS prev_sum, count(p.id)::text AS prev_n
      FROM ranked l
      LEFT JOIN ranked p ON p.meter_id = l.meter_id AND p.rn BETWEEN 2 AND ${cfg.invoice.window + 1}
      WHERE l.rn = 1
      GROUP BY l.meter_id, l.customer_id, l.id, l.total_centavos
    `.execute(db);
    const out: AlarmCondition[] = [];
    for (const r of rows) {
      const count = BigInt(r.prev_n);
      if (count < BigInt(cfg.invoice.minPrevious) || count === 0n) continue;
      // total > mean × (1 + p/100)  ⇔  total × count × 100 > sum × (100 + p)
      const lhs = BigInt(r.total) * count * 100n;
      const rhs = BigInt(r.prev_sum) * BigInt(100 + cfg.invoice.percent);
      if (lhs <= rhs) continue;
      out.push({
        source: `meter:${r.meter_id}`,
        type: ALARM_TYPES.invoice,
        severity: 'WARNING',
        customerId: r.customer_id,
        details: {
          invoiceId: r.id,
          totalCentavos: n(r.total),
          previousMeanCentavos: Number(BigInt(r.prev_sum) / count),
          previousInvoices: Number(count),
          percent: cfg.invoice.percent,
        },
      });
    }
    return out;
  },
};

/** The newest reading of each meter with a phase voltage outside the adequate range. */
export const voltageRule: ConditionRule = {
  type: ALARM_TYPES.voltage,
  async evaluate(db, _now, cfg) {
    const rows = await db
      .selectFrom('meter_rollup_state')
      .innerJoin('meters', 'meters.id', 'meter_rollup_state.meter_id')
      .select([
        'meters.id',
        'meters.customer_id',
        'meter_rollup_state.last_values',
        'meter_rollup_state.last_ts',
      ])
      .where('meter_rollup_state.last_values', 'is not', null)
      .execute();
    const out: AlarmCondition[] = [];
    for (const r of rows) {
      const worst = worstPhase(r.last_values ?? {}, cfg.voltage.bands);
      if (!worst) continue;
      out.push({
        source: `meter:${r.id}`,
        type: ALARM_TYPES.voltage,
        severity: voltageSeverity[worst.class],
        customerId: r.customer_id,
        details: { ...worst, at: r.last_ts ? new Date(r.last_ts).toISOString() : null },
      });
    }
    return out;
  },
};

/**
 * Edges that reported offline (MQTT last will), fell silent, or were registered (credential
 * issued) longer ago than the threshold and never spoke: all "not heard from for this long".
 */
export const edgeOfflineRule: ConditionRule = {
  type: ALARM_TYPES.edgeOffline,
  async evaluate(db, now, cfg) {
    const silentSince = new Date(now.getTime() - cfg.edgeOfflineAfterMs);
    const rows = await db
      .selectFrom('edges')
      .select([
        'id',
        'created_at',
        'last_seen_at',
        sql<boolean | null>`(status->>'online')::boolean`.as('online'),
      ])
      .where((eb) =>
        eb.or([
          eb('last_seen_at', '<', silentSince),
          eb(sql`(status->>'online')::boolean`, '=', false),
          eb.and([eb('last_seen_at', 'is', null), eb('created_at', '<', silentSince)]),
        ]),
      )
      .execute();
    return rows.map((r) => ({
      source: `edge:${r.id}`,
      type: ALARM_TYPES.edgeOffline,
      severity: 'MAJOR' as const,
      customerId: null,
      details: {
        lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at).toISOString() : null,
        reportedOffline: r.online === false,
        neverSeen: r.last_seen_at === null,
        registeredAt: new Date(r.created_at).toISOString(),
      },
    }));
  },
};

/** Devices an online edge reports offline (consecutive poll failures). */
export const deviceOfflineRule: ConditionRule = {
  type: ALARM_TYPES.deviceOffline,
  async evaluate(db, now, cfg) {
    const silentSince = new Date(now.getTime() - cfg.edgeOfflineAfterMs);
    const { rows } = await sql<{
      edge_id: string;
      device_id: string;
      meter_id: number | null;
      customer_id: number | null;
      last_error: string | null;
      failures: string | null;
    }>`
      SELECT e.id AS edge_id, d->>'deviceId' AS device_id, m.id AS meter_id, m.customer_id,
             d->>'lastError' AS last_error, d->>'consecutiveFailures' AS failures
      FROM edges e
      CROSS JOIN LATERAL jsonb_array_elements(coalesce(e.status->'devices', '[]'::jsonb)) d
      LEFT JOIN meters m ON m.edge_id = e.id AND m.device_id = d->>'deviceId'
      WHERE (e.status->>'online')::boolean IS TRUE AND e.last_seen_at >= ${silentSince}
        AND (d->>'online')::boolean IS FALSE
    `.execute(db);
    return rows.map((r) => ({
      source: r.meter_id === null ? `device:${r.edge_id}/${r.device_id}` : `meter:${r.meter_id}`,
      type: ALARM_TYPES.deviceOffline,
      severity: 'MINOR' as const,
      customerId: r.customer_id,
      details: {
        edgeId: r.edge_id,
        deviceId: r.device_id,
        consecutiveFailures: r.failures === null ? null : Number(r.failures),
        lastError: r.last_error,
      },
    }));
  },
};

/** A cumulative register that went backwards (found by the rollup). */
export const tamperRule: EventRule = {
  type: ALARM_TYPES.tamper,
  async evaluate(db, after) {
    const rows = await db
      .selectFrom('meter_register_events as e')
      .innerJoin('meters as m', 'm.id', 'e.meter_id')
      .select(['e.id', 'e.meter_id', 'm.customer_id', 'e.ts', 'e.previous_wh', 'e.new_wh'])
      .where('e.id', '>', after)
      .orderBy('e.id')
      .limit(EVENTS_PER_SWEEP)
      .execute();
    return {
      last: rows.at(-1)?.id ?? after,
      conditions: rows.map((r) => ({
        source: `meter:${r.meter_id}`,
        type: ALARM_TYPES.tamper,
        severity: 'CRITICAL' as const,
        customerId: r.customer_id,
        details: {
          at: new Date(r.ts).toISOString(),
          previousWh: n(r.previous_wh),
          newWh: n(r.new_wh),
        },
      })),
    };
  },
};

/** A single interval reading above the excess threshold (recorded by the rollup). */
export const excessRule: EventRule = {
  type: ALARM_TYPES.excess,
  async evaluate(db, after) {
    const { rows } = await sql<{
      id: number;
      meter_id: number;
      customer_id: number | null;
      at: string;
      mwh: string;
      threshold_mwh: string;
    }>`
      SELECT e.id, e.meter_id, m.customer_id, to_json(e.ts)#>>'{}' AS at, e.mwh::text AS mwh,
             e.threshold_mwh::text AS threshold_mwh
      FROM meter_excess_readings e JOIN meters m ON m.id = e.meter_id
      WHERE e.id > ${after} ORDER BY e.id LIMIT ${EVENTS_PER_SWEEP}`.execute(db);
    return {
      last: rows.at(-1)?.id ?? after,
      conditions: rows.map((r) => ({
        source: `meter:${r.meter_id}`,
        type: ALARM_TYPES.excess,
        severity: 'MAJOR' as const,
        customerId: r.customer_id,
        details: {
          at: new Date(r.at).toISOString(),
          readingWh: Math.floor(n(r.mwh) / 1000),
          readingKwh: kwhText(r.mwh),
          thresholdKwh: kwhText(r.threshold_mwh),
        },
      })),
    };
  },
};

/** mWh text → exact kWh text (`'1500.0005'`), trailing zeros after three places dropped. */
function kwhText(mwh: string): string {
  const v = BigInt(mwh);
  const frac = (v % 1_000_000n)
    .toString()
    .padStart(6, '0')
    .replace(/0{1,3}$/, '');
  return `${v / 1_000_000n}.${frac}`;
}

/** Readings the edge dropped because its log was full (ingest_gaps). */
export const droppedRule: EventRule = {
  type: ALARM_TYPES.dropped,
  async evaluate(db, after) {
    const rows = await db
      .selectFrom('ingest_gaps as g')
      .innerJoin('ingest_streams as s', 's.id', 'g.stream_id')
      .select(['g.id', 's.edge_id', 's.epoch', 'g.from_seq', 'g.to_seq', 'g.reported_dropped'])
      .where('g.id', '>', after)
      .orderBy('g.id')
      .limit(EVENTS_PER_SWEEP)
      .execute();
    return {
      last: rows.at(-1)?.id ?? after,
      conditions: rows.map((r) => ({
        source: `edge:${r.edge_id}`,
        type: ALARM_TYPES.dropped,
        severity: 'MAJOR' as const,
        customerId: null,
        details: {
          epoch: r.epoch,
          fromSeq: n(r.from_seq),
          toSeq: n(r.to_seq),
          readings: n(r.to_seq) - n(r.from_seq) + 1,
          reportedDropped: n(r.reported_dropped),
        },
      })),
    };
  },
};

/**
 * Readings the ingest set aside (ingest_quarantine, docs/WIRE.md): one alarm per edge whose
 * quarantined count grew, with the new readings' seq range and reasons. Takes at most
 * EVENTS_PER_SWEEP rows a sweep, grouped per edge, stream and reason.
 */
export const quarantineRule: EventRule = {
  type: ALARM_TYPES.quarantined,
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
      FROM (SELECT id, stream_id, seq, reason FROM ingest_quarantine
            WHERE id > ${after} ORDER BY id LIMIT ${EVENTS_PER_SWEEP}) q
      JOIN ingest_streams s ON s.id = q.stream_id
      GROUP BY s.edge_id, s.epoch, q.reason
      ORDER BY s.edge_id, s.epoch, q.reason`.execute(db);
    type Edge = {
      epochs: string[];
      readings: number;
      fromSeq: number;
      toSeq: number;
      reasons: Record<string, number>;
    };
    const edges = new Map<string, Edge>();
    let last = after;
    for (const r of rows) {
      last = Math.max(last, n(r.last_id));
      const e = edges.get(r.edge_id) ?? {
        epochs: [],
        readings: 0,
        fromSeq: Number.POSITIVE_INFINITY,
        toSeq: 0,
        reasons: {},
      };
      if (!e.epochs.includes(r.epoch)) e.epochs.push(r.epoch);
      e.readings += n(r.n);
      e.fromSeq = Math.min(e.fromSeq, n(r.from_seq));
      e.toSeq = Math.max(e.toSeq, n(r.to_seq));
      e.reasons[r.reason] = (e.reasons[r.reason] ?? 0) + n(r.n);
      edges.set(r.edge_id, e);
    }
    return {
      last,
      conditions: [...edges].map(([edgeId, details]) => ({
        source: `edge:${edgeId}`,
        type: ALARM_TYPES.quarantined,
        severity: 'MAJOR' as const,
        customerId: null,
        details,
      })),
    };
  },
};

export const conditionRules: readonly ConditionRule[] = [
  limitRule,
  baselineRule,
  invoiceRule,
  voltageRule,
  edgeOfflineRule,
  deviceOfflineRule,
];
export const eventRules: readonly EventRule[] = [
  tamperRule,
  excessRule,
  droppedRule,
  quarantineRule,
];
