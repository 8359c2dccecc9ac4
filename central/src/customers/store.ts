import {
  type Cnpj,
  type Cpf,
  formatCnpj,
  formatCpf,
  GridlinkError,
  normalizeTaxDocument,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import { ownedBy, ownerFilter, type Principal } from '../access/index.js';
import { revokeTokensOf } from '../auth/index.js';
import { DEFAULT_TIME_ZONE, type TariffInput, tariffSchema } from '../billing/index.js';
import { formatKwh, kwhToWh, wattHours } from '../money/index.js';
import type { Schema } from '../storage/index.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';

export type Connection = 'single-phase' | 'two-phase' | 'three-phase';

export interface CustomerView {
  id: number;
  document: string;
  documentKind: 'cpf' | 'cnpj';
  name: string;
  timeZone: string;
  connection: Connection;
  tariffClass: string;
  tariff: TariffInput | null;
  /** kWh per local calendar month for the excess-consumption alarm; null = none. */
  monthlyLimitKwh: string | null;
  canSignIn: boolean;
  createdAt: string;
}

export interface CustomerInput {
  document: string;
  name: string;
  timeZone?: string;
  connection?: Connection;
  tariffClass?: string;
  tariff?: TariffInput | null;
  monthlyLimitKwh?: string | number | null;
  password?: string;
}

export type CustomerPatch = Partial<Omit<CustomerInput, 'document'>>;

/** What the billing job and the history queries need about a customer. */
export interface CustomerBilling {
  id: number;
  timeZone: string;
  connection: Connection;
  tariffClass: string;
  tariff: TariffInput | null;
  monthlyLimitWh: number | null;
}

type Row = Schema['customers'] extends infer T ? { [K in keyof T]: unknown } : never;

function view(r: Row): CustomerView {
  const limit = r.monthly_limit_wh;
  return {
    id: r.id as number,
    document: r.document as string,
    documentKind: r.document_kind as 'cpf' | 'cnpj',
    name: r.name as string,
    timeZone: r.time_zone as string,
    connection: r.connection as Connection,
    tariffClass: r.tariff_class as string,
    tariff: (r.tariff as TariffInput | null) ?? null,
    monthlyLimitKwh: limit === null ? null : formatKwh(wattHours(Number(limit))),
    canSignIn: r.password_hash !== null,
    createdAt: new Date(r.created_at as string).toISOString(),
  };
}

/** True for an IANA zone the runtime (and therefore Postgres' tz database, in practice) knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

function validation(message: string, details?: unknown): GridlinkError {
  return new GridlinkError('GL_VALIDATION', message, details);
}

function tariffJson(tariff: TariffInput | null | undefined): string | null | undefined {
  if (tariff === undefined) return undefined;
  if (tariff === null) return null;
  const parsed = tariffSchema.safeParse(tariff);
  if (!parsed.success) {
    throw validation(
      'tariff: not a valid tariff',
      parsed.error.issues.map((i) => ({ path: `tariff.${i.path.join('.')}`, message: i.message })),
    );
  }
  return JSON.stringify(tariff);
}

function limitWh(kwh: string | number | null | undefined): number | null | undefined {
  if (kwh === undefined || kwh === null) return kwh;
  try {
    return kwhToWh(kwh);
  } catch {
    throw validation('monthlyLimitKwh: expected a non-negative kWh amount');
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export async function createCustomer(
  db: Kysely<Schema>,
  input: CustomerInput,
): Promise<CustomerView> {
  const doc = normalizeTaxDocument(input.document);
  const zone = input.timeZone ?? DEFAULT_TIME_ZONE;
  if (!isTimeZone(zone)) throw validation(`timeZone: unknown IANA zone ${zone}`);
  try {
    const row = await db
      .insertInto('customers')
      .values({
        document: doc.value,
        document_kind: doc.kind,
        name: input.name,
        time_zone: zone,
        connection: input.connection,
        tariff_class: input.tariffClass,
        tariff: tariffJson(input.tariff),
        monthly_limit_wh: limitWh(input.monthlyLimitKwh),
        password_hash: input.password ? await hashPassword(input.password) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return view(row);
  } catch (err) {
    if (isUniqueViolation(err))
      throw new GridlinkError('GL_CONFLICT', 'a customer with this document already exists');
    throw err;
  }
}

/**
 * Changes a customer. A new password revokes every token of the customer in the same
 * transaction: a session opened with the old password does not outlive it. `now` stamps the
 * revocation (default: the system clock).
 */
export async function updateCustomer(
  db: Kysely<Schema>,
  id: number,
  patch: CustomerPatch,
  options: { now?: Date } = {},
): Promise<CustomerView | undefined> {
  if (patch.timeZone !== undefined && !isTimeZone(patch.timeZone))
    throw validation(`timeZone: unknown IANA zone ${patch.timeZone}`);
  const set = {
    name: patch.name,
    time_zone: patch.timeZone,
    connection: patch.connection,
    tariff_class: patch.tariffClass,
    tariff: tariffJson(patch.tariff),
    monthly_limit_wh: limitWh(patch.monthlyLimitKwh),
    password_hash: patch.password ? await hashPassword(patch.password) : undefined,
  };
  const defined = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined));
  if (Object.keys(defined).length === 0) return findCustomerById(db, id);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('customers')
      .set(defined)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (row && set.password_hash !== undefined)
      await revokeTokensOf(
        trx,
        { role: 'customer', subject: String(id) },
        options.now ?? new Date(),
      );
    return row ? view(row) : undefined;
  });
}

/**
 * A customer's own password change: `current` must be right (the caller checks it under the login
 * throttle). Every other token of the customer is revoked; `keep`, the session that asked, stays.
 */
export async function changePassword(
  db: Kysely<Schema>,
  customerId: number,
  password: string,
  options: { now: Date; keep: string },
): Promise<number> {
  const hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('customers')
      .set({ password_hash: hash })
      .where('id', '=', customerId)
      .execute();
    return revokeTokensOf(
      trx,
      { role: 'customer', subject: String(customerId) },
      options.now,
      options.keep,
    );
  });
}

/** The document a customer signs in with, to check its password under the login throttle. */
export async function customerDocument(
  db: Kysely<Schema>,
  customerId: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('customers')
    .select('document')
    .where('id', '=', customerId)
    .executeTakeFirst();
  return row?.document;
}

/** The customers `who` may see (access/ownerFilter): staff all, a customer itself. */
function scoped(db: Kysely<Schema>, who: Principal) {
  const scope = ownerFilter(who, 'customer');
  return db
    .selectFrom('customers')
    .selectAll()
    .where((eb) => ownedBy(eb, scope, 'id'));
}

export async function listCustomers(
  db: Kysely<Schema>,
  who: Principal,
  page: { limit: number; after?: number },
) {
  let q = scoped(db, who)
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  return { items, next: rows.length > page.limit ? String(items.at(-1)?.id) : null };
}

/** The customer if `who` may see it; undefined otherwise (callers answer 404 either way). */
export async function findCustomer(
  db: Kysely<Schema>,
  who: Principal,
  id: number,
): Promise<CustomerView | undefined> {
  const row = await scoped(db, who).where('id', '=', id).executeTakeFirst();
  return row ? view(row) : undefined;
}

async function findCustomerById(db: Kysely<Schema>, id: number) {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? view(row) : undefined;
}

export async function customerBilling(
  db: Kysely<Schema>,
  id: number,
): Promise<CustomerBilling | undefined> {
  const c = await findCustomerById(db, id);
  if (!c) return undefined;
  return {
    id: c.id,
    timeZone: c.timeZone,
    connection: c.connection,
    tariffClass: c.tariffClass,
    tariff: c.tariff,
    monthlyLimitWh: c.monthlyLimitKwh === null ? null : kwhToWh(c.monthlyLimitKwh),
  };
}

/** Who an invoice is addressed to: the customer's name and document as printed (CPF or CNPJ). */
export interface CustomerParty {
  name: string;
  document: string;
}

export async function customerParty(
  db: Kysely<Schema>,
  id: number,
): Promise<CustomerParty | undefined> {
  const c = await findCustomerById(db, id);
  if (!c) return undefined;
  const document =
    c.documentKind === 'cpf' ? formatCpf(c.document as Cpf) : formatCnpj(c.document as Cnpj);
  return { name: c.name, document };
}

/**
 * Checks a sign-in. Unknown documents, malformed documents and customers without a password all
 * cost one scrypt, like a wrong password, so timing does not reveal which documents exist.
 */
export async function authenticateCustomer(
  db: Kysely<Schema>,
  document: string,
  password: string,
): Promise<number | undefined> {
  let normalized: string | undefined;
  try {
    normalized = normalizeTaxDocument(document).value;
  } catch {
    normalized = undefined;
  }
  const row = normalized
    ? await db
        .selectFrom('customers')
        .select(['id', 'password_hash'])
        .where('document', '=', normalized)
        .executeTakeFirst()
    : undefined;
  const ok = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
  return ok && row?.password_hash ? row.id : undefined;
}

export type MeterTarget = { meterId: number } | { edgeId: string; deviceId: string };

export interface BoundMeter {
  id: number;
  edgeId: string;
  deviceId: string;
  customerId: number;
}

/**
 * Binds a meter to a customer. By id, or by (edgeId, deviceId) — which registers the meter if the
 * edge has not reported it yet. A meter bound to another customer is a conflict: unbind it first.
 */
export async function bindMeter(
  db: Kysely<Schema>,
  customerId: number,
  target: MeterTarget,
): Promise<BoundMeter> {
  return db.transaction().execute(async (trx) => {
    const customer = await trx
      .selectFrom('customers')
      .select('id')
      .where('id', '=', customerId)
      .executeTakeFirst();
    if (!customer) throw new GridlinkError('GL_NOT_FOUND', `customer ${customerId} not found`);
    let meterId: number;
    if ('meterId' in target) {
      meterId = target.meterId;
    } else {
      const edge = await trx
        .selectFrom('edges')
        .select('id')
        .where('id', '=', target.edgeId)
        .executeTakeFirst();
      if (!edge) throw new GridlinkError('GL_EDGE_UNKNOWN', `edge ${target.edgeId} not registered`);
      await trx
        .insertInto('meters')
        .values({ edge_id: target.edgeId, device_id: target.deviceId })
        .onConflict((oc) => oc.columns(['edge_id', 'device_id']).doNothing())
        .execute();
      const m = await trx
        .selectFrom('meters')
        .select('id')
        .where('edge_id', '=', target.edgeId)
        .where('device_id', '=', target.deviceId)
        .executeTakeFirstOrThrow();
      meterId = m.id;
    }
    const meter = await trx
      .selectFrom('meters')
      .select(['id', 'edge_id', 'device_id', 'customer_id'])
      .where('id', '=', meterId)
      .forUpdate()
      .executeTakeFirst();
    if (!meter) throw new GridlinkError('GL_NOT_FOUND', `meter ${meterId} not found`);
    if (meter.customer_id !== null && meter.customer_id !== customerId)
      throw new GridlinkError('GL_CONFLICT', `meter ${meterId} is bound to another customer`);
    await trx
      .updateTable('meters')
      .set({ customer_id: customerId })
      .where('id', '=', meterId)
      .execute();
    return { id: meter.id, edgeId: meter.edge_id, deviceId: meter.device_id, customerId };
  });
}

/** Unbinds; false when the meter is not bound to that customer. */
export async function unbindMeter(
  db: Kysely<Schema>,
  customerId: number,
  meterId: number,
): Promise<boolean> {
  const r = await db
    .updateTable('meters')
    .set({ customer_id: null })
    .where('id', '=', meterId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
