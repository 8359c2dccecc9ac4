import { randomUUID } from 'node:crypto';
import type { CommandResult } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

export const commandStates = ['pending', 'sent', 'succeeded', 'failed', 'expired'] as const;
export type CommandState = (typeof commandStates)[number];

/** A device command as the API shows it. */
export interface CommandView {
  id: string;
  edgeId: string;
  deviceId: string;
  command: string;
  value: number | null;
  state: CommandState;
  requestedBy: string;
  requestedAt: string;
  sentAt: string | null;
  result: { code: string | null; message: string | null; at: string; edgeAt: string | null } | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function view(r: {
  id: string;
  edge_id: string;
  device_id: string;
  command: string;
  value: number | null;
  state: string;
  requested_by: string;
  requested_at: Date;
  sent_at: Date | null;
  result_code: string | null;
  result_message: string | null;
  result_at: Date | null;
  edge_result_at: Date | null;
}): CommandView {
  return {
    id: r.id,
    edgeId: r.edge_id,
    deviceId: r.device_id,
    command: r.command,
    value: r.value === null ? null : Number(r.value),
    state: r.state as CommandState,
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at) as string,
    sentAt: iso(r.sent_at),
    result:
      r.result_at === null
        ? null
        : {
            code: r.result_code,
            message: r.result_message,
            at: iso(r.result_at) as string,
            edgeAt: iso(r.edge_result_at),
          },
  };
}

const columns = [
  'id',
  'edge_id',
  'device_id',
  'command',
  'value',
  'state',
  'requested_by',
  'requested_at',
  'sent_at',
  'result_code',
  'result_message',
  'result_at',
  'edge_result_at',
] as const;

/** Stores a new command as `pending` under a fresh UUID. */
export async function insertCommand(
  db: Kysely<Schema>,
  c: { edgeId: string; deviceId: string; command: string; value?: number; requestedBy: string },
  now: Date,
): Promise<CommandView> {
  const row = await db
    .insertInto('device_commands')
    .values({
      id: randomUUID(),
      edge_id: c.edgeId,
      device_id: c.deviceId,
      command: c.command,
      value: c.value ?? null,
      requested_by: c.requestedBy,
      requested_at: now,
      state: 'pending',
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return view(row);
}

/**
 * The broker has the command. A result that came back first already moved the state on; then
 * only `sent_at` is filled in.
 */
export async function markSent(db: Kysely<Schema>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('device_commands')
    .set({
      sent_at: sql`coalesce(sent_at, ${now})`,
      state: sql`CASE WHEN state = 'pending' THEN 'sent' ELSE state END`,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Stores an edge's result for one of its own commands (the edge id comes from the topic, so an
 * edge cannot answer for another). A late result after expiry still lands: the command did run.
 * A repeated result (QoS 1 redelivery, the edge answering a redelivered command) changes
 * nothing. False when no such command of that edge awaits a result.
 */
export async function recordResult(
  db: Kysely<Schema>,
  edgeId: string,
  result: CommandResult,
  now: Date,
): Promise<boolean> {
  const r = await db
    .updateTable('device_commands')
    .set({
      state: result.ok ? 'succeeded' : 'failed',
      result_code: result.error?.code ?? null,
      result_message: result.error?.message ?? null,
      result_at: now,
      edge_result_at: result.at === undefined ? null : new Date(result.at),
    })
    .where('id', '=', result.id)
    .where('edge_id', '=', edgeId)
    .where('state', 'in', ['pending', 'sent', 'expired'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Commands asked for before `now - timeoutMs` with no result yet become `expired`. */
export async function expireCommands(
  db: Kysely<Schema>,
  options: { now: Date; timeoutMs: number },
): Promise<{ expired: number }> {
  const r = await db
    .updateTable('device_commands')
    .set({ state: 'expired' })
    .where('state', 'in', ['pending', 'sent'])
    .where('requested_at', '<=', new Date(options.now.getTime() - options.timeoutMs))
    .executeTakeFirst();
  return { expired: Number(r.numUpdatedRows) };
}

export async function getCommand(
  db: Kysely<Schema>,
  edgeId: string,
  id: string,
): Promise<CommandView | undefined> {
  const row = await db
    .selectFrom('device_commands')
    .select(columns)
    .where('edge_id', '=', edgeId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && view(row);
}

/** An edge's commands, newest first, keyset-paged by the internal sequence. */
export async function listCommands(
  db: Kysely<Schema>,
  edgeId: string,
  page: { limit: number; before?: number; deviceId?: string },
): Promise<{ items: CommandView[]; next: string | null }> {
  let q = db
    .selectFrom('device_commands')
    .select([...columns, 'seq'])
    .where('edge_id', '=', edgeId)
    .orderBy('seq', 'desc')
    .limit(page.limit + 1);
  if (page.before !== undefined) q = q.where('seq', '<', page.before);
  if (page.deviceId !== undefined) q = q.where('device_id', '=', page.deviceId);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit);
  return {
    items: items.map(view),
    next: rows.length > page.limit ? String(items.at(-1)?.seq) : null,
  };
}
