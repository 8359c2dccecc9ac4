import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Schema } from '../storage/index.js';
import { newWebhookSecret } from './signature.js';
import { withWebhookTables } from './tables.js';

export interface WebhookView {
  id: number;
  name: string;
  url: string;
  createdBy: string;
  createdAt: string;
}

export interface AttemptView {
  attempt: number;
  at: string;
  /** The receiver's HTTP status; null when no answer came (refused, timed out, address refused). */
  status: number | null;
  error: string | null;
}

export interface DeliveryView {
  id: number;
  webhookId: number;
  event: 'alarm.raised' | 'alarm.cleared';
  alarmId: number;
  state: 'pending' | 'delivered' | 'failed';
  attempts: AttemptView[];
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const iso = (d: Date | string | null): string | null =>
  d === null ? null : new Date(d).toISOString();

/** Registers an endpoint; the secret is returned here only (shown once). */
export async function createWebhook(
  db: Kysely<Schema>,
  input: { name: string; url: string; createdBy: string; now: Date },
): Promise<WebhookView & { secret: string }> {
  const secret = newWebhookSecret();
  const row = await withWebhookTables(db)
    .insertInto('webhooks')
    .values({
      name: input.name,
      url: input.url,
      secret,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    name: input.name,
    url: input.url,
    createdBy: input.createdBy,
    createdAt: input.now.toISOString(),
    secret,
  };
}

export async function listWebhooks(db: Kysely<Schema>): Promise<WebhookView[]> {
  const rows = await withWebhookTables(db)
    .selectFrom('webhooks')
    .select(['id', 'name', 'url', 'created_by', 'created_at'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    url: r.url,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/** Deletes an endpoint with its deliveries and their attempts; false when there was none. */
export async function deleteWebhook(db: Kysely<Schema>, id: number): Promise<boolean> {
  const r = await withWebhookTables(db)
    .deleteFrom('webhooks')
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** One delivery per registered endpoint for an alarm transition; returns how many. */
export async function enqueueDeliveries(
  db: Kysely<Schema>,
  event: 'alarm.raised' | 'alarm.cleared',
  alarm: { id: number },
  payload: unknown,
  now: Date,
): Promise<number> {
  const wdb = withWebhookTables(db);
  const hooks = await wdb.selectFrom('webhooks').select('id').execute();
  if (hooks.length === 0) return 0;
  await wdb
    .insertInto('webhook_deliveries')
    .values(
      hooks.map((h) => ({
        webhook_id: h.id,
        event,
        alarm_id: alarm.id,
        // The id is known only after the insert; the body names the transition and the alarm.
        body: JSON.stringify({ event, alarm: payload }),
        state: 'pending' as const,
        next_attempt_at: now,
        created_at: now,
      })),
    )
    .execute();
  return hooks.length;
}

/** Deliveries of one endpoint, newest first, each with its attempts. */
export async function listDeliveries(
  db: Kysely<Schema>,
  webhookId: number,
  page: { limit: number; before?: number },
): Promise<{ items: DeliveryView[]; next: string | null } | undefined> {
  const wdb = withWebhookTables(db);
  const hook = await wdb
    .selectFrom('webhooks')
    .select('id')
    .where('id', '=', webhookId)
    .executeTakeFirst();
  if (!hook) return undefined;
  let q = wdb
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.before !== undefined) q = q.where('id', '<', page.before);
  const rows = await q.execute();
  const shown = rows.slice(0, page.limit);
  const attempts =
    shown.length === 0
      ? []
      : await wdb
          .selectFrom('webhook_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            shown.map((r) => r.id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt')
          .execute();
  const items = shown.map((r) => ({
    id: r.id,
    webhookId: r.webhook_id,
    event: r.event,
    alarmId: r.alarm_id,
    state: r.state,
    attempts: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        at: iso(a.at) as string,
        status: a.status,
        error: a.error,
      })),
    nextAttemptAt: iso(r.next_attempt_at),
    createdAt: iso(r.created_at) as string,
    finishedAt: iso(r.finished_at),
  }));
  return { items, next: rows.length > page.limit ? String(shown.at(-1)?.id) : null };
}

export interface DueDelivery {
  id: number;
  url: string;
  secret: string;
  body: string;
  event: string;
  attempts: number;
}

/**
 * Claims up to `limit` due deliveries: their next attempt moves to `leaseUntil`, so another
 * central (or this one, on its next pass) leaves them alone while this one tries; a central that
 * dies mid-attempt leaves them due again when the lease ends. SKIP LOCKED: two claimers never
 * wait on each other nor take the same row.
 */
export async function claimDue(
  db: Kysely<Schema>,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<DueDelivery[]> {
  const { rows } = await sql<DueDelivery>`
    UPDATE webhook_deliveries d SET next_attempt_at = ${leaseUntil}
      FROM webhooks w
     WHERE w.id = d.webhook_id
       AND d.id IN (SELECT id FROM webhook_deliveries
                     WHERE state = 'pending' AND next_attempt_at <= ${now}
                     ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING d.id, w.url, w.secret, d.body, d.event, d.attempts`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts) }));
}

/** Records one attempt and the delivery's new state, in one transaction. */
export async function recordAttempt(
  db: Kysely<Schema>,
  delivery: { id: number; attempt: number },
  outcome: {
    at: Date;
    status: number | null;
    error: string | null;
    state: 'pending' | 'delivered' | 'failed';
    nextAttemptAt: Date | null;
  },
): Promise<void> {
  await withWebhookTables(db)
    .transaction()
    .execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: delivery.id,
          attempt: delivery.attempt,
          at: outcome.at,
          status: outcome.status,
          error: outcome.error,
        })
        .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          attempts: delivery.attempt,
          state: outcome.state,
          next_attempt_at: outcome.nextAttemptAt,
          finished_at: outcome.state === 'pending' ? null : outcome.at,
        })
        .where('id', '=', delivery.id)
        .execute();
    });
}

/** The earliest time a pending delivery is due, if any. */
export async function nextDueAt(db: Kysely<Schema>): Promise<Date | undefined> {
  const r = await withWebhookTables(db)
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return r?.at ? new Date(r.at as Date) : undefined;
}
