import type { Kysely } from 'kysely';
import type { Schema } from '../../storage/index.js';
import {
  type BackoffPolicy,
  blockedUntil,
  counted,
  current,
  FRESH,
  forgetAt,
  type LoginThrottlePolicy,
  refunded,
  type ThrottleState,
} from './policy.js';

export type ThrottleScope = keyof LoginThrottlePolicy;

/** The keys one sign-in attempt is counted under; no account key for a malformed document. */
export interface ThrottleKeys {
  account?: string;
  address: string;
}

export type Claim =
  | { allowed: true; keys: ThrottleKeys; at: Date }
  | { allowed: false; scope: ThrottleScope; retryAt: Date };

type Row = Schema['login_throttle'] extends infer T ? { [K in keyof T]: unknown } : never;

const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
const stateOf = (r: Row): ThrottleState => ({
  failures: Number(r.failures),
  lastAttemptAt: date(r.last_attempt_at),
  blockedUntil: date(r.blocked_until),
});

/**
 * Login throttling kept in the database, so every central on it shares the counts. An attempt
 * is claimed before the password is checked: in one transaction, with the rows of its keys
 * locked, it is refused if either key is blocked, else counted as a failure under both. A success
 * then clears the account and gives the address its count back. Concurrent attempts therefore
 * see each other's counts: none gets past the free failures by arriving at the same time.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly policy: LoginThrottlePolicy,
  ) {}

  async claim(keys: ThrottleKeys, now: Date): Promise<Claim> {
    const entries = (
      [
        ['account', keys.account],
        ['address', keys.address],
      ] as const
    )
      .filter((e): e is [ThrottleScope, string] => e[1] !== undefined)
      .sort((a, b) => (a[1] < b[1] ? -1 : 1));
    const claim = await this.db.transaction().execute(async (trx): Promise<Claim> => {
      // Rows for new keys first, so that every attempt locks a row (in key order: no deadlock).
      await trx
        .insertInto('login_throttle')
        .values(entries.map(([, key]) => ({ key, failures: 0, forget_at: now })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const rows = await trx
        .selectFrom('login_throttle')
        .selectAll()
        .where(
          'key',
          'in',
          entries.map(([, key]) => key),
        )
        .orderBy('key')
        .forUpdate()
        .execute();
      const byKey = new Map(rows.map((r) => [r.key, stateOf(r)]));
      const states = entries.map(([scope, key]) => {
        const p = this.policy[scope];
        return { scope, key, p, state: current(byKey.get(key) ?? FRESH, now, p) };
      });
      let refused: Claim | undefined;
      for (const { scope, state } of states) {
        const until = blockedUntil(state, now);
        if (until && (!refused || (!refused.allowed && until > refused.retryAt)))
          refused = { allowed: false, scope, retryAt: until };
      }
      if (refused) return refused;
      for (const { key, p, state } of states) await write(trx, key, counted(state, now, p), now, p);
      return { allowed: true, keys, at: now };
    });
    return claim;
  }

  /** The claimed attempt had the right password: the account starts over, the address is refunded. */
  async succeeded(claim: Claim & { allowed: true }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (claim.keys.account)
        await trx.deleteFrom('login_throttle').where('key', '=', claim.keys.account).execute();
      const row = await trx
        .selectFrom('login_throttle')
        .selectAll()
        .where('key', '=', claim.keys.address)
        .forUpdate()
        .executeTakeFirst();
      if (row)
        await write(
          trx,
          claim.keys.address,
          refunded(stateOf(row), claim.at),
          claim.at,
          this.policy.address,
        );
    });
  }

  /** Deletes rows whose failures are forgotten. */
  async prune(now: Date): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('forget_at', '<=', now).execute();
  }
}

async function write(
  trx: Kysely<Schema>,
  key: string,
  s: ThrottleState,
  now: Date,
  p: BackoffPolicy,
): Promise<void> {
  await trx
    .updateTable('login_throttle')
    .set({
      failures: s.failures,
      last_attempt_at: s.lastAttemptAt,
      blocked_until: s.blockedUntil,
      forget_at: forgetAt(s, now, p),
    })
    .where('key', '=', key)
    .execute();
}
