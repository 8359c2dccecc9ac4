import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ownerFilter, type Principal, type Role } from '../access/index.js';
import type { Schema } from '../storage/index.js';
import { hashSecret, newSecret, verifySecret } from './secrets.js';

/**
 * Roles an admin may mint tokens for (API and `gridlink-central token create`). Customers get
 * theirs by signing in. A driver token acts for a driver id (its subject), a peer token for a peer
 * central (its federation name, docs/FEDERATION.md); the others for nobody.
 */
export const mintableRoles = ['admin', 'operator', 'driver', 'service', 'peer'] as const;
export type MintableRole = (typeof mintableRoles)[number];

/** Bearer tokens look like `glt_<id>_<secret>`; only the hash of the secret is stored. */
const TOKEN_RE = /^glt_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface MintOptions {
  role: Role;
  subject?: string | null;
  label?: string;
  ttlMs?: number;
  now?: Date;
}

export async function mintToken(db: Kysely<Schema>, options: MintOptions): Promise<string> {
  const id = randomBytes(8).toString('hex');
  const secret = newSecret();
  const now = options.now ?? new Date();
  await db
    .insertInto('api_tokens')
    .values({
      id,
      token_hash: hashSecret(secret),
      role: options.role,
      subject: options.subject ?? null,
      label: options.label ?? null,
      expires_at: options.ttlMs ? new Date(now.getTime() + options.ttlMs) : null,
    })
    .execute();
  return `glt_${id}_${secret}`;
}

export async function authenticateToken(
  db: Kysely<Schema>,
  token: string,
  now = new Date(),
): Promise<Principal | undefined> {
  const m = TOKEN_RE.exec(token);
  if (!m) return undefined;
  const [, id, secret] = m as unknown as [string, string, string];
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at) <= now))
    return undefined;
  if (!verifySecret(secret, row.token_hash)) return undefined;
  return { role: row.role as Role, subject: row.subject, tokenId: id };
}

/** A token as listed: never its secret or hash. */
export interface TokenView {
  id: string;
  role: Role;
  subject: string | null;
  label: string | null;
  createdAt: string;
  expiresAt: string | null;
}

/**
 * Which tokens `who` may see (`list`) or revoke (`delete`), from the access table: an admin every
 * token, a customer its own sessions, anyone else none (the routes refuse them first).
 */
function holderSeenBy(
  who: Principal,
  action: 'list' | 'delete',
): 'all' | 'none' | { role: Role; subject: string } {
  const scope = ownerFilter(who, 'token', action);
  if (scope.kind === 'all') return 'all';
  if (scope.kind === 'none') return 'none';
  return { role: 'customer', subject: String(scope.customerId) };
}

/** Live tokens (not revoked, not expired) `who` may see, by id, keyset-paged. */
export async function listTokens(
  db: Kysely<Schema>,
  who: Principal,
  page: { limit: number; after?: string },
  now: Date,
): Promise<{ items: TokenView[]; next: string | null }> {
  const holder = holderSeenBy(who, 'list');
  if (holder === 'none') return { items: [], next: null };
  let q = db
    .selectFrom('api_tokens')
    .select(['id', 'role', 'subject', 'label', 'created_at', 'expires_at'])
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  if (holder !== 'all') q = q.where('role', '=', holder.role).where('subject', '=', holder.subject);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit).map((r) => ({
    id: r.id,
    role: r.role as Role,
    subject: r.subject,
    label: r.label,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null,
  }));
  return { items, next: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

/** Revokes one live token `who` may see; false when there is none such (callers answer 404). */
export async function revokeToken(
  db: Kysely<Schema>,
  who: Principal,
  id: string,
  now: Date,
): Promise<boolean> {
  const holder = holderSeenBy(who, 'delete');
  if (holder === 'none') return false;
  let q = db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null);
  if (holder !== 'all') q = q.where('role', '=', holder.role).where('subject', '=', holder.subject);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Revokes the token `who` presented (sign-out). */
export async function revokePresentedToken(
  db: Kysely<Schema>,
  who: Principal,
  now: Date,
): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('id', '=', who.tokenId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revokes every live token acting for `subject` in `role`, except `keep` (a token id). */
export async function revokeTokensOf(
  db: Kysely<Schema>,
  holder: { role: Role; subject: string },
  now: Date,
  keep?: string,
): Promise<number> {
  let q = db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('role', '=', holder.role)
    .where('subject', '=', holder.subject)
    .where('revoked_at', 'is', null);
  if (keep !== undefined) q = q.where('id', '!=', keep);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
