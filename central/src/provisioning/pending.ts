import {
  GridlinkError,
  normalizeTaxDocument,
  type PendingDevice,
  type ProvisionedMeter,
  pendingDeviceSchema,
  provisionedMeterSchema,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import {
  derivedDeviceId,
  type ProvisioningDeps,
  type ProvisionResult,
  provisionPushMeter,
} from './provision.js';

export interface PendingView {
  key: string;
  driver: PendingDevice['driver'];
  /**
   * Seed D: the CPF the datagrams carry, in full. Only staff read this list (the access table),
   * and they see customers' documents anyway; it is what they match the meter to a customer by.
   */
  cpf: string | null;
  meterId: string;
  from: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  buffered: number;
  dropped: number;
  /** The device id it is bound as in the newest desired config, until the edge drops it. */
  boundAs: string | null;
}

export interface PendingList {
  edgeId: string;
  /** When the edge last reported its pending meters (null: never). */
  reportedAt: string | null;
  items: PendingView[];
}

/** Who the meter is bound to: a customer id or the customer's CPF/CNPJ. */
export type CustomerRef = { customerId: number } | { document: string };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The pending meters an edge last reported (its status's `pending`, kept by edges/registry),
 * with the device id each is bound as when the newest desired config already provisions it.
 * Undefined when there is no such edge.
 */
export async function listPendingDevices(
  db: Kysely<Schema>,
  edgeId: string,
): Promise<PendingList | undefined> {
  const edge = await db
    .selectFrom('edges')
    .select(['pending', 'pending_at'])
    .where('id', '=', edgeId)
    .executeTakeFirst();
  if (!edge) return undefined;
  const desired = await db
    .selectFrom('edge_desired_configs')
    .select('config')
    .where('edge_id', '=', edgeId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  const provisioned = Array.isArray(desired?.config.provisioned) ? desired.config.provisioned : [];
  const boundAs = new Map<string, string>();
  for (const m of provisioned) {
    const p = provisionedMeterSchema.safeParse(m);
    if (p.success && p.data.pendingKey) boundAs.set(p.data.pendingKey, p.data.id);
  }
  const stored = Array.isArray(edge.pending) ? edge.pending : [];
  const items = stored.flatMap((raw): PendingView[] => {
    const p = pendingDeviceSchema.safeParse(raw);
    if (!p.success) return [];
    const d = p.data;
    return [
      {
        key: d.key,
        driver: d.driver,
        cpf: d.cpf ?? null,
        meterId: d.meterId,
        from: d.from ?? null,
        firstSeenAt: iso(d.firstSeenAt),
        lastSeenAt: iso(d.lastSeenAt),
        buffered: d.buffered,
        dropped: d.dropped,
        boundAs: boundAs.get(d.key) ?? null,
      },
    ];
  });
  return {
    edgeId,
    reportedAt: edge.pending_at ? new Date(edge.pending_at).toISOString() : null,
    items,
  };
}

/** The customer's id by id (checked by the binding) or by CPF/CNPJ; GL_NOT_FOUND when none. */
export async function customerIdOf(db: Kysely<Schema>, ref: CustomerRef): Promise<number> {
  if ('customerId' in ref) return ref.customerId;
  const document = normalizeTaxDocument(ref.document).value;
  const row = await db
    .selectFrom('customers')
    .select('id')
    .where('document', '=', document)
    .executeTakeFirst();
  if (!row) throw new GridlinkError('GL_NOT_FOUND', 'no customer with that document');
  return row.id;
}

/** The `provisioned` entry for a meter of a driver, by what it calls itself. */
export function provisionedEntry(p: {
  id: string;
  driver: PendingDevice['driver'];
  meterId: string;
  cpf?: string;
  pendingKey?: string;
}): ProvisionedMeter {
  const entry =
    p.driver === 'udp-meter'
      ? { id: p.id, driver: p.driver, meterId: p.meterId, cpf: p.cpf, pendingKey: p.pendingKey }
      : {
          id: p.id,
          driver: p.driver,
          meterId: /^[1-9][0-9]{0,9}$/.test(p.meterId) ? Number(p.meterId) : Number.NaN,
          pendingKey: p.pendingKey,
        };
  const parsed = provisionedMeterSchema.safeParse(
    Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)),
  );
  if (!parsed.success)
    throw new GridlinkError(
      'GL_VALIDATION',
      `${p.driver} meter ${p.meterId.slice(0, 64)}: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`)
        .join('; ')}`,
    );
  return parsed.data;
}

/**
 * Binds a pending meter of an edge to a customer (docs/PROVISIONING.md "Central"): the meter is
 * provisioned under `deviceId` (default: derivedDeviceId) with the pending key, so the edge
 * moves what it buffered for it into its log. GL_EDGE_UNKNOWN / GL_NOT_FOUND (no such key or
 * customer), GL_CONFLICT (bound elsewhere), GL_VALIDATION.
 */
export async function bindPendingDevice(
  deps: ProvisioningDeps,
  input: { edgeId: string; key: string; customer: CustomerRef; deviceId?: string },
  by: string,
): Promise<ProvisionResult> {
  const list = await listPendingDevices(deps.db, input.edgeId);
  if (!list) throw new GridlinkError('GL_EDGE_UNKNOWN', `no edge ${input.edgeId}`);
  const pending = list.items.find((p) => p.key === input.key);
  if (!pending)
    throw new GridlinkError(
      'GL_NOT_FOUND',
      `edge ${input.edgeId} reports no pending meter ${input.key}`,
    );
  const customerId = await customerIdOf(deps.db, input.customer);
  const meter = provisionedEntry({
    id: input.deviceId ?? derivedDeviceId({ ...pending, cpf: pending.cpf ?? undefined }),
    driver: pending.driver,
    meterId: pending.meterId,
    cpf: pending.cpf ?? undefined,
    pendingKey: pending.key,
  });
  return provisionPushMeter(deps, { edgeId: input.edgeId, customerId, meter }, by);
}
