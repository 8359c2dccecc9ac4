import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { hashSecret, newSecret, verifySecret } from './secrets.js';

export const roles = ['admin', 'operator', 'customer', 'driver'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  role: Role;
  /** The customer or driver the token acts for; null for staff. */
  subject: string | null;
  tokenId: string;
}

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
