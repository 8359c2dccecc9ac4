import {
  type DesiredConfig,
  GridlinkError,
  type ProvisionedMeter,
  provisionedMeterSchema,
  provisionedMetersSchema,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import { configView } from '../control/index.js';
import { bindMeter } from '../customers/index.js';
import type { Schema } from '../storage/index.js';

/** What provisioning needs of the control plane (ControlPlane has it). */
export interface ProvisioningControl {
  setDesiredConfig(
    edgeId: string,
    desired: DesiredConfig,
    setBy: string,
  ): Promise<{ view: unknown } | { stale: number }>;
}

export interface ProvisioningDeps {
  db: Kysely<Schema>;
  control: ProvisioningControl;
  /** The central's clock (epoch ms). */
  now: () => number;
}

export interface ProvisionInput {
  edgeId: string;
  customerId: number;
  meter: ProvisionedMeter;
}

export interface ProvisionResult {
  meterId: number;
  deviceId: string;
  configVersion: number;
}

/** Attempts at one edge's next desired version when concurrent writers keep taking it. */
const MAX_ATTEMPTS = 20;

/** What the physical meter is, whatever id it is given: two entries for one meter are refused. */
const identity = (m: ProvisionedMeter) =>
  m.driver === 'udp-meter' ? `udp:${m.cpf ?? ''}:${m.meterId}` : `tcp:${m.meterId}`;

const same = (a: ProvisionedMeter, b: ProvisionedMeter) =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const canonical = (m: ProvisionedMeter) =>
  Object.fromEntries(Object.entries(m).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

/**
 * The `provisioned` list with `meter` in it (pure): an entry with the same id or the same pending
 * key is replaced, the rest kept in order. `undefined` when the list already holds exactly that
 * entry (nothing to publish). Throws GL_CONFLICT when another entry already serves the same
 * physical meter under another id, or when the id is one of the edge's own (file) devices.
 */
export function withProvisioned(
  current: readonly ProvisionedMeter[],
  meter: ProvisionedMeter,
  ownDeviceIds: ReadonlySet<string> = new Set(),
): ProvisionedMeter[] | undefined {
  if (ownDeviceIds.has(meter.id))
    throw new GridlinkError(
      'GL_CONFLICT',
      `device id ${meter.id} is already a device of the edge's own config`,
      { deviceId: meter.id },
    );
  const replaced = (m: ProvisionedMeter) =>
    m.id === meter.id || (meter.pendingKey !== undefined && m.pendingKey === meter.pendingKey);
  if (current.some((m) => replaced(m) && same(m, meter)) && current.filter(replaced).length === 1)
    return undefined;
  const kept = current.filter((m) => !replaced(m));
  const twin = kept.find((m) => identity(m) === identity(meter));
  if (twin)
    throw new GridlinkError(
      'GL_CONFLICT',
      `meter ${identity(meter)} is already provisioned as device ${twin.id}`,
      { deviceId: twin.id },
    );
  const index = current.findIndex(replaced);
  const next = [...kept];
  next.splice(index < 0 ? next.length : Math.min(index, next.length), 0, meter);
  return next;
}

/** The device ids an edge's desired config gives it in its own `devices` list. */
function ownDevices(config: Record<string, unknown>): Set<string> {
  const devices = Array.isArray(config.devices) ? config.devices : [];
  return new Set(
    devices
      .map((d) => (d && typeof d === 'object' ? (d as { id?: unknown }).id : undefined))
      .filter((id): id is string => typeof id === 'string'),
  );
}

/** The desired config's `provisioned` list as stored (entries that no longer parse are dropped). */
function provisionedOf(config: Record<string, unknown>): ProvisionedMeter[] {
  const list = Array.isArray(config.provisioned) ? config.provisioned : [];
  return list.flatMap((m) => {
    const p = provisionedMeterSchema.safeParse(m);
    return p.success ? [p.data] : [];
  });
}

/**
 * Binds a push meter (seed D UDP, seed E TCP JSON) of an edge to a customer and sends the binding
 * to the edge through the control plane (docs/PROVISIONING.md "Central"):
 *
 * 1. the meter row (edgeId, meter.id) is registered and bound to the customer (customers'
 *    bindMeter: GL_NOT_FOUND for no such customer, GL_EDGE_UNKNOWN, GL_CONFLICT when the meter is
 *    bound to another customer);
 * 2. the edge's newest desired config is stored again as version + 1 with `meter` in its
 *    `provisioned` list (same id or pending key: replaced) and published, retained.
 *
 * Asked twice, the second call changes nothing and answers the same version. Concurrent calls
 * for one edge each read the newest version and race for the next: the store lets exactly one
 * win (edge row lock + primary key), the others read again and retry, so no entry is lost.
 */
export async function provisionPushMeter(
  deps: ProvisioningDeps,
  input: ProvisionInput,
  by: string,
): Promise<ProvisionResult> {
  const meter = provisionedMeterSchema.parse(input.meter);
  const { edgeId } = input;
  const newestDesired = async () => {
    const view = await configView(deps.db, edgeId);
    if (!view) throw new GridlinkError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return view.desired;
  };
  // Refuse before binding: a conflict with the edge's config must not leave a bound meter row.
  const before = await newestDesired();
  withProvisioned(provisionedOf(before?.config ?? {}), meter, ownDevices(before?.config ?? {}));
  const bound = await bindMeter(deps.db, input.customerId, { edgeId, deviceId: meter.id });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const newest = await newestDesired();
    const config = newest?.config ?? {};
    const next = withProvisioned(provisionedOf(config), meter, ownDevices(config));
    if (next === undefined && newest)
      return { meterId: bound.id, deviceId: meter.id, configVersion: newest.version };
    const version = (newest?.version ?? 0) + 1;
    const out = await deps.control.setDesiredConfig(
      edgeId,
      { version, config: { ...config, provisioned: provisionedMetersSchema.parse(next ?? []) } },
      by,
    );
    if (!('stale' in out)) return { meterId: bound.id, deviceId: meter.id, configVersion: version };
  }
  throw new GridlinkError(
    'GL_CONFLICT',
    `edge ${edgeId}: desired config changed ${MAX_ATTEMPTS} times while provisioning; try again`,
  );
}

/**
 * A readable device id for a pending meter: `d-{cpf}-{number}` for seed D (numbers restart per
 * customer, so the CPF scopes them), `e-{id}` for seed E. Characters an id may not hold become
 * `_`; the result is at most 64 characters (the wire's id rule).
 */
export function derivedDeviceId(p: {
  driver: 'udp-meter' | 'tcp-json-meter';
  meterId: string | number;
  cpf?: string;
}): string {
  const raw =
    p.driver === 'udp-meter'
      ? `d-${p.cpf ? `${p.cpf}-` : ''}${p.meterId}`
      : `e-${String(p.meterId)}`;
  return raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}
