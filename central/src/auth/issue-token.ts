import { GridlinkError, idSchema } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { type MintableRole, mintableRoles, mintToken, type TokenView } from './tokens.js';

/** Longest lifetime a created token may be given: ten years. */
export const MAX_TOKEN_TTL_MS = 10 * 365 * 86_400_000;

export interface IssueRequest {
  role: MintableRole;
  /**
   * The driver id, for a driver token (required there); a company id for an operator (optional);
   * the peer's federation name for a peer token (required).
   */
  subject?: string;
  label?: string;
  /** Lifetime; absent = until revoked. */
  ttlMs?: number;
}

/**
 * Creates a staff, driver, service or peer token for an admin (API or CLI). The secret is in the
 * returned `token` only: what is stored is its hash.
 */
export async function issueToken(
  db: Kysely<Schema>,
  request: IssueRequest,
  now: Date,
): Promise<{ token: string; view: TokenView }> {
  const { role, subject, label, ttlMs } = request;
  if (!(mintableRoles as readonly string[]).includes(role))
    throw new GridlinkError(
      'GL_VALIDATION',
      `role: must be one of ${mintableRoles.join(', ')} (customers sign in)`,
    );
  if (role === 'driver') {
    if (subject === undefined || !idSchema.safeParse(subject).success)
      throw new GridlinkError(
        'GL_VALIDATION',
        'subject: a driver token needs the driver id (1-64 of A-Z a-z 0-9 . _ -)',
      );
  } else if (role === 'operator') {
    // An operator of one charging company (docs/EV.md, "Decisions"); none = every company.
    if (subject !== undefined && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(subject))
      throw new GridlinkError(
        'GL_VALIDATION',
        'subject: an operator token names a company id (1-63 of a-z 0-9 _ -) or nobody',
      );
    if (
      subject !== undefined &&
      !(await db
        .selectFrom('ev_companies')
        .select('id')
        .where('id', '=', subject)
        .executeTakeFirst())
    )
      throw new GridlinkError('GL_VALIDATION', `subject: no charging company ${subject}`);
  } else if (role === 'peer') {
    // The peer central's federation name, as federation's `peerName` (wire.ts) spells it; auth
    // cannot import federation (federation → ev → auth would be a cycle).
    if (subject === undefined || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(subject))
      throw new GridlinkError(
        'GL_VALIDATION',
        "subject: a peer token needs the peer's federation name (1-64 of a-z 0-9 . _ -)",
      );
  } else if (subject !== undefined)
    throw new GridlinkError('GL_VALIDATION', `subject: a ${role} token acts for nobody`);
  if (label !== undefined && (label.length < 1 || label.length > 100))
    throw new GridlinkError('GL_VALIDATION', 'label: 1-100 characters');
  if (
    ttlMs !== undefined &&
    !(Number.isInteger(ttlMs) && ttlMs >= 60_000 && ttlMs <= MAX_TOKEN_TTL_MS)
  )
    throw new GridlinkError('GL_VALIDATION', 'expiry: between one minute and ten years');
  const token = await mintToken(db, {
    role,
    subject: subject ?? null,
    ...(label === undefined ? {} : { label }),
    ...(ttlMs === undefined ? {} : { ttlMs }),
    now,
  });
  const id = token.split('_')[1] as string;
  return {
    token,
    view: {
      id,
      role,
      subject: subject ?? null,
      label: label ?? null,
      createdAt: now.toISOString(),
      expiresAt: ttlMs === undefined ? null : new Date(now.getTime() + ttlMs).toISOString(),
    },
  };
}
