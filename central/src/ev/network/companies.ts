import { GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { type Tariff, tariffSchema } from '../tariffs/tariff-schema.js';
import { inScope, type NetworkScope, requireAllCompanies } from './scope.js';

/** A company id: what an operator token's subject names (migration 0017's check). */
export const COMPANY_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const COMPANY_ID_MESSAGE =
  'a company id is 1-63 of a-z 0-9 _ - (starting with a letter or digit)';

export interface CompanyView {
  id: string;
  name: string;
  defaultTariff: Tariff | null;
  createdAt: string;
}

function view(row: {
  id: string;
  name: string;
  default_tariff: unknown;
  created_at: Date;
}): CompanyView {
  return {
    id: row.id,
    name: row.name,
    defaultTariff: (row.default_tariff as Tariff | null) ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** A tariff input checked with the OCPI-shaped schema; GL_VALIDATION naming `field` otherwise. */
export function checkTariff(field: string, input: unknown): Tariff {
  const parsed = tariffSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new GridlinkError(
    'GL_VALIDATION',
    `${field}: ${parsed.error.issues.map((i) => `${[field, ...i.path].join('.')}: ${i.message}`).join('; ')}`,
  );
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 200)
    throw new GridlinkError('GL_VALIDATION', 'name: 1-200 characters');
  return trimmed;
}

export async function createCompany(
  db: Kysely<Schema>,
  scope: NetworkScope,
  input: { id: string; name: string; defaultTariff?: unknown },
  now: Date,
): Promise<CompanyView> {
  requireAllCompanies(scope, 'create a company');
  if (!COMPANY_ID.test(input.id))
    throw new GridlinkError('GL_VALIDATION', `id: ${COMPANY_ID_MESSAGE}`);
  const name = checkName(input.name);
  const tariff =
    input.defaultTariff === undefined || input.defaultTariff === null
      ? null
      : checkTariff('defaultTariff', input.defaultTariff);
  const row = await db
    .insertInto('ev_companies')
    .values({
      id: input.id,
      name,
      default_tariff: tariff === null ? null : JSON.stringify(tariff),
      created_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new GridlinkError('GL_CONFLICT', `company ${input.id} already exists`);
  return view(row);
}

/**
 * The company, created with `name` (default: the id) when absent: the import's start. Returns
 * whether it was created.
 */
export async function ensureCompany(
  db: Kysely<Schema>,
  scope: NetworkScope,
  id: string,
  name: string | undefined,
  now: Date,
): Promise<{ company: CompanyView; created: boolean }> {
  const found = await getCompany(db, scope, id);
  if (found) return { company: found, created: false };
  try {
    return {
      company: await createCompany(db, scope, { id, name: name ?? id }, now),
      created: true,
    };
  } catch (err) {
    const again = await getCompany(db, scope, id);
    if (again) return { company: again, created: false };
    throw err;
  }
}

export async function getCompany(
  db: Kysely<Schema>,
  scope: NetworkScope,
  id: string,
): Promise<CompanyView | undefined> {
  if (!inScope(scope, id)) return undefined;
  const row = await db
    .selectFrom('ev_companies')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? view(row) : undefined;
}

export async function listCompanies(
  db: Kysely<Schema>,
  scope: NetworkScope,
  page: { limit: number; after?: string },
): Promise<{ items: CompanyView[]; next: string | null }> {
  if (scope.kind === 'none') return { items: [], next: null };
  let q = db
    .selectFrom('ev_companies')
    .selectAll()
    .orderBy('id')
    .limit(page.limit + 1);
  if (scope.kind === 'company') q = q.where('id', '=', scope.companyId);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map(view);
  return { items, next: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}
