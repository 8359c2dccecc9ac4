import { GridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { type Action, ownedBy, ownerFilter, type Principal } from '../access/index.js';
import type { Schema } from '../storage/index.js';
import {
  type AlarmEvent,
  type AlarmSeverity,
  type AlarmState,
  isActiveState,
  nextAlarmState,
} from './lifecycle.js';
import { type AlarmPublisher, type AlarmTransition, alarmTopic } from './publisher.js';

/** What is published on an alarm topic: the transition and the alarm as the API shows it. */
export interface AlarmMessage {
  transition: AlarmTransition;
  alarm: AlarmView;
}

export interface AlarmView {
  id: number;
  source: string;
  type: string;
  severity: AlarmSeverity;
  state: AlarmState;
  customerId: number | null;
  details: Record<string, unknown>;
  occurrences: number;
  raisedAt: string;
  lastSeenAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
}

export interface AlarmCondition {
  source: string;
  type: string;
  severity: AlarmSeverity;
  customerId: number | null;
  details: Record<string, unknown>;
}

const ACTIVE = ['ACTIVE_UNACK', 'ACTIVE_ACK'] as const;

const iso = (d: unknown) =>
  d === null || d === undefined ? null : new Date(d as string).toISOString();

type Row = Schema['alarms'] extends infer T ? { [K in keyof T]: unknown } : never;

export function alarmView(r: Row): AlarmView {
  return {
    id: r.id as number,
    source: r.source as string,
    type: r.type as string,
    severity: r.severity as AlarmSeverity,
    state: r.state as AlarmState,
    customerId: (r.customer_id as number | null) ?? null,
    details: r.details as Record<string, unknown>,
    occurrences: r.occurrences as number,
    raisedAt: iso(r.raised_at) as string,
    lastSeenAt: iso(r.last_seen_at) as string,
    ackedAt: iso(r.acked_at),
    ackedBy: (r.acked_by as string | null) ?? null,
    clearedAt: iso(r.cleared_at),
    clearedBy: (r.cleared_by as string | null) ?? null,
  };
}

export interface Notify {
  publisher?: AlarmPublisher;
  logger?: Logger;
}

/** Publishes one transition after its commit. A broker failure is logged, never thrown. */
export async function publishTransition(
  notify: Notify,
  transition: AlarmTransition,
  alarm: AlarmView,
): Promise<void> {
  if (!notify.publisher) return;
  try {
    await notify.publisher.publish(
      alarmTopic(alarm.customerId),
      JSON.stringify({ transition, alarm }),
    );
  } catch (err) {
    notify.logger?.warn({ err, alarmId: alarm.id }, 'alarm publish failed');
  }
}

/**
 * Raises an alarm, or refreshes the active one for (source, type): the partial unique index makes
 * "one active alarm per (source, type)" a database fact, so concurrent sweeps cannot duplicate it.
 * Publishes only when a new alarm was created.
 */
export async function raiseAlarm(
  db: Kysely<Schema>,
  c: AlarmCondition,
  now: Date,
  notify: Notify = {},
): Promise<{ alarm: AlarmView; created: boolean }> {
  const { rows } = await sql<Row & { created: boolean }>`
    INSERT INTO alarms (source, type, severity, state, customer_id, details, raised_at, last_seen_at)
    VALUES (${c.source}, ${c.type}, ${c.severity}, 'ACTIVE_UNACK', ${c.customerId},
            ${JSON.stringify(c.details)}::jsonb, ${now}, ${now})
    ON CONFLICT (source, type) WHERE state IN ('ACTIVE_UNACK','ACTIVE_ACK')
    DO UPDATE SET last_seen_at = excluded.last_seen_at, details = excluded.details,
                  severity = excluded.severity, occurrences = alarms.occurrences + 1
    RETURNING *, (xmax = 0) AS created
  `.execute(db);
  const row = rows[0] as Row & { created: boolean };
  const alarm = alarmView(row);
  if (row.created) await publishTransition(notify, 'raised', alarm);
  return { alarm, created: row.created };
}

/** The alarms `who` may `action` (access/ownerFilter): staff all, a customer its own. */
function scoped(db: Kysely<Schema>, who: Principal, action: Action = 'read') {
  const scope = ownerFilter(who, 'alarm', action);
  return db
    .selectFrom('alarms')
    .selectAll()
    .where((eb) => ownedBy(eb, scope, 'customer_id'));
}

/** Acknowledging is the alarm's `act`, clearing its `update` (access table). */
const ACTION_OF: Record<'ack' | 'clear', Action> = { ack: 'act', clear: 'update' };

const TRANSITION: Record<Exclude<AlarmEvent, 'raise'>, AlarmTransition> = {
  ack: 'acknowledged',
  clear: 'cleared',
};

/**
 * Acknowledges or clears an alarm `who` may see (undefined when it may not: answer 404).
 * An event the lifecycle does not allow is GL_ALARM_TRANSITION.
 */
export async function transitionAlarm(
  db: Kysely<Schema>,
  who: Principal | 'system',
  id: number,
  event: 'ack' | 'clear',
  now: Date,
  notify: Notify = {},
): Promise<AlarmView | undefined> {
  const by = who === 'system' ? 'system' : `${who.role}:${who.subject ?? who.tokenId}`;
  const alarm = await db.transaction().execute(async (trx) => {
    const base =
      who === 'system' ? trx.selectFrom('alarms').selectAll() : scoped(trx, who, ACTION_OF[event]);
    const row = await base.where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    const state = row.state as AlarmState;
    const next = nextAlarmState(state, event);
    if (!next)
      throw new GridlinkError('GL_ALARM_TRANSITION', `cannot ${event} an alarm in state ${state}`, {
        state,
        event,
      });
    const set =
      event === 'ack'
        ? { state: next, acked_at: now, acked_by: by }
        : { state: next, cleared_at: now, cleared_by: by };
    const updated = await trx
      .updateTable('alarms')
      .set(set)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return alarmView(updated);
  });
  if (alarm) await publishTransition(notify, TRANSITION[event], alarm);
  return alarm;
}

/**
 * Clears the active alarms of `type` whose source is not in `stillActive` (their condition
 * ended). Returns how many were cleared.
 */
export async function clearResolved(
  db: Kysely<Schema>,
  type: string,
  stillActive: ReadonlySet<string>,
  now: Date,
  notify: Notify = {},
): Promise<number> {
  const active = await db
    .selectFrom('alarms')
    .select(['id', 'source'])
    .where('type', '=', type)
    .where('state', 'in', ACTIVE)
    .execute();
  let n = 0;
  for (const a of active) {
    if (stillActive.has(a.source)) continue;
    try {
      if (await transitionAlarm(db, 'system', a.id, 'clear', now, notify)) n += 1;
    } catch (err) {
      // Someone cleared it meanwhile: nothing left to do.
      if (!(err instanceof GridlinkError && err.code === 'GL_ALARM_TRANSITION')) throw err;
    }
  }
  return n;
}

export interface AlarmFilter {
  state?: AlarmState[];
  active?: boolean;
  severity?: AlarmSeverity[];
  type?: string;
  source?: string;
  customerId?: number;
}

/** Newest first, keyset-paged by id. */
export async function listAlarms(
  db: Kysely<Schema>,
  who: Principal,
  filter: AlarmFilter,
  page: { limit: number; before?: number },
) {
  let q = scoped(db, who)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.before !== undefined) q = q.where('id', '<', page.before);
  if (filter.state?.length) q = q.where('state', 'in', filter.state);
  if (filter.active !== undefined) q = q.where('state', filter.active ? 'in' : 'not in', ACTIVE);
  if (filter.severity?.length) q = q.where('severity', 'in', filter.severity);
  if (filter.type !== undefined) q = q.where('type', '=', filter.type);
  if (filter.source !== undefined) q = q.where('source', '=', filter.source);
  if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(alarmView);
  return { items, next: rows.length > page.limit ? String(items.at(-1)?.id) : null };
}

export async function findAlarm(
  db: Kysely<Schema>,
  who: Principal,
  id: number,
): Promise<AlarmView | undefined> {
  const row = await scoped(db, who).where('id', '=', id).executeTakeFirst();
  return row ? alarmView(row) : undefined;
}

export { isActiveState };
