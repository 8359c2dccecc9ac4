import { normalizeTaxDocument } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import { accountKey, addressKey, type LoginThrottle, type ThrottleScope } from '../auth/index.js';
import type { Schema } from '../storage/index.js';
import { authenticateCustomer } from './store.js';

export interface SignInAttempt {
  document: string;
  password: string;
  /** The source address the attempt came from (undefined: unknown). */
  address: string | undefined;
}

export type SignInResult =
  | { outcome: 'ok'; customerId: number }
  | { outcome: 'failed' }
  | { outcome: 'throttled'; scope: ThrottleScope; retryAt: Date };

/**
 * A customer sign-in under the login throttle: the attempt is claimed under its account and its
 * address before the password is checked; a throttled attempt is refused without checking it, so
 * a right password is refused too until the wait is over. Documents no customer has are throttled
 * exactly like real ones.
 */
export async function signIn(
  db: Kysely<Schema>,
  throttle: LoginThrottle,
  attempt: SignInAttempt,
  now: Date,
): Promise<SignInResult> {
  let account: string | undefined;
  try {
    account = accountKey(normalizeTaxDocument(attempt.document).value);
  } catch {
    account = undefined; // not a CPF/CNPJ: no account to protect, the address still counts
  }
  const claim = await throttle.claim({ account, address: addressKey(attempt.address) }, now);
  if (!claim.allowed) return { outcome: 'throttled', scope: claim.scope, retryAt: claim.retryAt };
  const customerId = await authenticateCustomer(db, attempt.document, attempt.password);
  if (customerId !== undefined) await throttle.succeeded(claim);
  await throttle.prune(now);
  return customerId === undefined ? { outcome: 'failed' } : { outcome: 'ok', customerId };
}
