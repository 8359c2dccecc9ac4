import {
  type Cnpj,
  type Cpf,
  formatCnpj,
  formatCpf,
  GridlinkError,
  normalizeTaxDocument,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import {
  accountKey,
  addressKey,
  type LoginThrottle,
  revokeTokensOf,
  type ThrottleScope,
} from '../../auth/index.js';
import { decoyHash, hashPassword, verifyPassword } from '../../customers/index.js';
import type { Schema } from '../../storage/index.js';
import type { DriverScope } from './driver-scope.js';

/**
 * Drivers (docs/EV.md, "Cars"): created by staff with a first password; a driver signs in with
 * its CPF/CNPJ and password (under the login throttle, like a customer) and gets a `driver`
 * token whose subject is its id. Passwords are scrypt (customers/passwords.ts), never returned.
 */
export interface DriverView {
  id: number;
  /** Formatted CPF (`529.982.247-25`) or CNPJ. */
  document: string;
  name: string;
  email: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DriverInput {
  document: string;
  name: string;
  email?: string | null;
  password: string;
}

export interface DriverPatch {
  name?: string;
  email?: string | null;
  /** A new password; a driver changing its own gives `currentPassword` too. */
  password?: string;
  currentPassword?: string;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function checkText(field: string, value: string, max: number): string {
  const v = value.trim();
  if (v.length < 1 || v.length > max)
    throw new GridlinkError('GL_VALIDATION', `${field}: 1-${max} characters`);
  return v;
}

function checkEmail(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (!EMAIL.test(value) || value.length > 254)
    throw new GridlinkError('GL_VALIDATION', 'email: not an e-mail address');
  return value;
}

function checkPassword(field: string, value: string): string {
  if (value.length < 8 || value.length > 200)
    throw new GridlinkError('GL_VALIDATION', `${field}: 8-200 characters`);
  return value;
}

function normalizeDocument(input: string): string {
  try {
    return normalizeTaxDocument(input).value;
  } catch {
    throw new GridlinkError('GL_VALIDATION', 'document: not a valid CPF or CNPJ');
  }
}

type DriverRow = {
  id: string | number;
  document: string;
  name: string;
  email: string | null;
  created_at: Date;
  updated_at: Date;
};

function view(r: DriverRow): DriverView {
  return {
    id: Number(r.id),
    document:
      r.document.length === 11 ? formatCpf(r.document as Cpf) : formatCnpj(r.document as Cnpj),
    name: r.name,
    email: r.email,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

const COLUMNS = ['id', 'document', 'name', 'email', 'created_at', 'updated_at'] as const;

/** Creates a driver; GL_CONFLICT when a driver has the document already. */
export async function createDriver(
  db: Kysely<Schema>,
  input: DriverInput,
  now: Date,
): Promise<DriverView> {
  const document = normalizeDocument(input.document);
  const name = checkText('name', input.name, 200);
  const email = checkEmail(input.email);
  const passwordHash = await hashPassword(checkPassword('password', input.password));
  const row = await db
    .insertInto('ev_drivers')
    .values({
      document,
      name,
      email,
      password_hash: passwordHash,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('document').doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) throw new GridlinkError('GL_CONFLICT', 'document: a driver with it exists');
  return view(row);
}

/** A driver within `scope`, or undefined (absent, or not the caller's). */
export async function getDriver(
  db: Kysely<Schema>,
  id: number,
  scope: DriverScope,
): Promise<DriverView | undefined> {
  if (scope.kind === 'none' || (scope.kind === 'driver' && scope.driverId !== id)) return undefined;
  const row = await db
    .selectFrom('ev_drivers')
    .select(COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && view(row);
}

/** Drivers by id, a page after `after` (staff). */
export async function listDrivers(
  db: Kysely<Schema>,
  scope: DriverScope,
  page: { limit: number; after?: number },
): Promise<{ items: DriverView[]; next: string | null }> {
  if (scope.kind === 'none') return { items: [], next: null };
  let q = db
    .selectFrom('ev_drivers')
    .select(COLUMNS)
    .orderBy('id')
    .limit(page.limit + 1);
  if (scope.kind === 'driver') q = q.where('id', '=', scope.driverId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  const last = items.at(-1);
  return { items, next: rows.length > page.limit && last ? String(last.id) : null };
}

/**
 * Updates a driver within `scope`. A new password from the driver itself needs the current one
 * (checked by the caller under the login throttle: `currentPasswordOk`); every other token of the
 * driver is then revoked, the presented one (`keepTokenId`) kept. Undefined when out of scope.
 */
export async function updateDriver(
  db: Kysely<Schema>,
  id: number,
  scope: DriverScope,
  patch: DriverPatch,
  options: { now: Date; keepTokenId?: string },
): Promise<{ driver: DriverView; revokedTokens: number } | undefined> {
  if (scope.kind === 'none' || (scope.kind === 'driver' && scope.driverId !== id)) return undefined;
  const set: {
    name?: string;
    email?: string | null;
    password_hash?: string;
    updated_at: Date;
  } = { updated_at: options.now };
  if (patch.name !== undefined) set.name = checkText('name', patch.name, 200);
  if (patch.email !== undefined) set.email = checkEmail(patch.email);
  if (patch.password !== undefined)
    set.password_hash = await hashPassword(checkPassword('password', patch.password));
  const row = await db
    .updateTable('ev_drivers')
    .set(set)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) return undefined;
  const revokedTokens =
    patch.password === undefined
      ? 0
      : await revokeTokensOf(
          db,
          { role: 'driver', subject: String(id) },
          options.now,
          options.keepTokenId,
        );
  return { driver: view(row), revokedTokens };
}

export type DriverSignInResult =
  | { outcome: 'ok'; driverId: number }
  | { outcome: 'failed' }
  | { outcome: 'throttled'; scope: ThrottleScope; retryAt: Date };

/**
 * A driver sign-in under the login throttle (auth/login-throttle), exactly as a customer's: the
 * attempt is claimed under its account and address before the password is checked; unknown and
 * malformed documents cost one scrypt like a wrong password. The account key is the document's
 * under a `driver:` prefix, so a customer's failures with the same CPF do not lock its driver
 * sign-in, nor the reverse.
 */
export async function driverSignIn(
  db: Kysely<Schema>,
  throttle: LoginThrottle,
  attempt: { document: string; password: string; address: string | undefined },
  now: Date,
): Promise<DriverSignInResult> {
  let document: string | undefined;
  try {
    document = normalizeTaxDocument(attempt.document).value;
  } catch {
    document = undefined;
  }
  const claim = await throttle.claim(
    {
      account: document === undefined ? undefined : accountKey(`driver:${document}`),
      address: addressKey(attempt.address),
    },
    now,
  );
  if (!claim.allowed) return { outcome: 'throttled', scope: claim.scope, retryAt: claim.retryAt };
  const row = document
    ? await db
        .selectFrom('ev_drivers')
        .select(['id', 'password_hash'])
        .where('document', '=', document)
        .executeTakeFirst()
    : undefined;
  const ok = await verifyPassword(attempt.password, row?.password_hash ?? (await decoyHash()));
  if (ok && row) await throttle.succeeded(claim);
  await throttle.prune(now);
  return ok && row ? { outcome: 'ok', driverId: Number(row.id) } : { outcome: 'failed' };
}

/** The document of a driver (for checking its current password like a sign-in). */
export async function driverDocument(db: Kysely<Schema>, id: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('ev_drivers')
    .select('document')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.document;
}
