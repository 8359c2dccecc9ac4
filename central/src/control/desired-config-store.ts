import type { ConfigApplied } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Schema } from '../storage/index.js';

export interface DesiredView {
  version: number;
  config: Record<string, unknown>;
  setBy: string;
  setAt: string;
  publishedAt: string | null;
}

export interface AppliedView {
  /** The version the edge answered for. */
  version: number;
  ok: boolean;
  /** The version the edge runs now (the old one when it refused). */
  running: number;
  error: { code: string; message: string } | null;
  edgeAt: string | null;
  receivedAt: string;
}

export interface ConfigView {
  edgeId: string;
  desired: DesiredView | null;
  applied: AppliedView | null;
  /** `configVersion` of the edge's last status. */
  statusConfigVersion: number | null;
  /** The edge runs the desired version (by its applied report or its status). */
  inSync: boolean;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The newest desired config of an edge, or undefined. */
export async function latestDesired(
  db: Kysely<Schema>,
  edgeId: string,
): Promise<DesiredView | undefined> {
  const r = await db
    .selectFrom('edge_desired_configs')
    .selectAll()
    .where('edge_id', '=', edgeId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (
    r && {
      version: r.version,
      config: r.config,
      setBy: r.set_by,
      setAt: iso(r.set_at) as string,
      publishedAt: iso(r.published_at),
    }
  );
}

/**
 * Stores a new desired version. Versions only go up per edge: a version at or below the newest
 * is refused (`stale` carries the newest), and two requests racing for one version meet the
 * primary key, so exactly one wins.
 */
export async function insertDesired(
  db: Kysely<Schema>,
  d: { edgeId: string; version: number; config: Record<string, unknown>; setBy: string },
  now: Date,
): Promise<{ stored: DesiredView } | { stale: number }> {
  return db.transaction().execute(async (trx) => {
    // Serialise writers of one edge on its row.
    await trx.selectFrom('edges').select('id').where('id', '=', d.edgeId).forUpdate().execute();
    const newest = await latestDesired(trx, d.edgeId);
    if (newest && newest.version >= d.version) return { stale: newest.version };
    await trx
      .insertInto('edge_desired_configs')
      .values({
        edge_id: d.edgeId,
        version: d.version,
        config: sql`${JSON.stringify(d.config)}::jsonb` as unknown as string,
        set_by: d.setBy,
        set_at: now,
      })
      .execute();
    return {
      stored: {
        version: d.version,
        config: d.config,
        setBy: d.setBy,
        setAt: now.toISOString(),
        publishedAt: null,
      },
    };
  });
}

export async function markPublished(
  db: Kysely<Schema>,
  edgeId: string,
  version: number,
  now: Date,
): Promise<void> {
  await db
    .updateTable('edge_desired_configs')
    .set({ published_at: now })
    .where('edge_id', '=', edgeId)
    .where('version', '=', version)
    .execute();
}

/** Stores an edge's `config/applied` report (the last one wins). */
export async function recordApplied(
  db: Kysely<Schema>,
  edgeId: string,
  a: ConfigApplied,
  now: Date,
): Promise<void> {
  const values = {
    version: a.version,
    ok: a.ok,
    running: a.running,
    error_code: a.error?.code ?? null,
    error_message: a.error?.message ?? null,
    edge_at: a.at === undefined ? null : new Date(a.at),
    received_at: now,
  };
  await db
    .insertInto('edge_applied_configs')
    .values({ edge_id: edgeId, ...values })
    .onConflict((oc) => oc.column('edge_id').doUpdateSet(values))
    .execute();
}

/** Desired against applied for one edge; undefined when there is no such edge. */
export async function configView(
  db: Kysely<Schema>,
  edgeId: string,
): Promise<ConfigView | undefined> {
  const edge = await db
    .selectFrom('edges')
    .select('status')
    .where('id', '=', edgeId)
    .executeTakeFirst();
  if (!edge) return undefined;
  const desired = (await latestDesired(db, edgeId)) ?? null;
  const a = await db
    .selectFrom('edge_applied_configs')
    .selectAll()
    .where('edge_id', '=', edgeId)
    .executeTakeFirst();
  const applied: AppliedView | null = a
    ? {
        version: a.version,
        ok: a.ok,
        running: a.running,
        error:
          a.error_code === null ? null : { code: a.error_code, message: a.error_message ?? '' },
        edgeAt: iso(a.edge_at),
        receivedAt: iso(a.received_at) as string,
      }
    : null;
  const status = edge.status as { configVersion?: unknown } | null;
  const statusConfigVersion =
    typeof status?.configVersion === 'number' ? status.configVersion : null;
  return {
    edgeId,
    desired,
    applied,
    statusConfigVersion,
    inSync:
      desired !== null &&
      (applied?.running === desired.version || statusConfigVersion === desired.version),
  };
}

/**
 * What the central knows of an edge's devices, for command checks: the desired config the edge
 * runs (by its last `config/applied`), the newest desired config (it may not have arrived yet),
 * and the last status.
 */
export async function edgeKnowledge(
  db: Kysely<Schema>,
  edgeId: string,
): Promise<{ desiredConfigs: unknown[]; status: unknown } | undefined> {
  const edge = await db
    .selectFrom('edges')
    .select('status')
    .where('id', '=', edgeId)
    .executeTakeFirst();
  if (!edge) return undefined;
  const newest = await latestDesired(db, edgeId);
  const running = await db
    .selectFrom('edge_applied_configs as a')
    .innerJoin('edge_desired_configs as d', (j) =>
      j.onRef('d.edge_id', '=', 'a.edge_id').onRef('d.version', '=', 'a.running'),
    )
    .select('d.config')
    .where('a.edge_id', '=', edgeId)
    .executeTakeFirst();
  return {
    desiredConfigs: [running?.config, newest?.config].filter((c) => c !== undefined),
    status: edge.status,
  };
}
