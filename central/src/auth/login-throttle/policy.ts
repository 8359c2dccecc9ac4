/**
 * Exponential backoff for sign-in attempts, as pure functions of a row's state and the clock.
 * Every attempt is counted as a failure when it starts (so concurrent attempts cannot slip past
 * the count) and a success gives its count back (refund) or clears the account (reset).
 */
export interface BackoffPolicy {
  /** Failures answered without any wait. */
  freeFailures: number;
  /** Wait after the first failure past the free ones; doubled after each further failure. */
  baseDelayMs: number;
  /** The wait never grows past this: nobody is locked out for longer after the last failure. */
  maxDelayMs: number;
  /** Failures are forgotten after this long without an attempt. */
  forgetAfterMs: number;
}

export interface LoginThrottlePolicy {
  /** Per account (the document signed in with, whether or not a customer has it). */
  account: BackoffPolicy;
  /** Per source address (IPv4, or the /64 of an IPv6 address). */
  address: BackoffPolicy;
}

/**
 * Defaults. The address allows fewer free failures and a longer cap than the account, so an
 * attacker on one address is slowed by its address long before the account it guesses at is:
 * 5 failures from one address cost the next attempt 1 s, 10 cost 32 s, 17 cost an hour.
 */
export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = Object.freeze({
  account: Object.freeze({
    freeFailures: 10,
    baseDelayMs: 1_000,
    maxDelayMs: 15 * 60_000,
    forgetAfterMs: 24 * 3_600_000,
  }),
  address: Object.freeze({
    freeFailures: 5,
    baseDelayMs: 1_000,
    maxDelayMs: 60 * 60_000,
    forgetAfterMs: 24 * 3_600_000,
  }),
});

export interface ThrottleState {
  failures: number;
  lastAttemptAt: Date | null;
  blockedUntil: Date | null;
}

export const FRESH: ThrottleState = Object.freeze({
  failures: 0,
  lastAttemptAt: null,
  blockedUntil: null,
});

/** The wait after `failures` failures: 0 while free, then base·2^k, capped. */
export function delayAfter(failures: number, p: BackoffPolicy): number {
  if (failures < p.freeFailures) return 0;
  const doublings = failures - p.freeFailures;
  // 2^31 ms is 24 days: past it every sane cap has been reached, and the power stays finite.
  return doublings >= 31 ? p.maxDelayMs : Math.min(p.baseDelayMs * 2 ** doublings, p.maxDelayMs);
}

/** The state as of `now`: failures older than the forget window count for nothing. */
export function current(s: ThrottleState, now: Date, p: BackoffPolicy): ThrottleState {
  if (s.lastAttemptAt && now.getTime() - s.lastAttemptAt.getTime() >= p.forgetAfterMs) return FRESH;
  return s;
}

/** When the next attempt may start, if not now. */
export function blockedUntil(s: ThrottleState, now: Date): Date | undefined {
  return s.blockedUntil && s.blockedUntil > now ? s.blockedUntil : undefined;
}

/** The state once an attempt starting `now` is counted (as a failure, until it succeeds). */
export function counted(s: ThrottleState, now: Date, p: BackoffPolicy): ThrottleState {
  const failures = current(s, now, p).failures + 1;
  const wait = delayAfter(failures, p);
  return {
    failures,
    lastAttemptAt: now,
    blockedUntil: wait > 0 ? new Date(now.getTime() + wait) : null,
  };
}

/**
 * The state after an attempt counted at `countedAt` succeeded: its failure is given back. The
 * attempt was let in, so nothing blocked at `countedAt`; if no attempt was counted since, nothing
 * blocks now either. Otherwise the later attempt's wait stands.
 */
export function refunded(s: ThrottleState, countedAt: Date): ThrottleState {
  const failures = Math.max(s.failures - 1, 0);
  if (s.lastAttemptAt?.getTime() !== countedAt.getTime()) return { ...s, failures };
  return { failures, lastAttemptAt: s.lastAttemptAt, blockedUntil: null };
}

/** When a row in this state can be deleted. */
export function forgetAt(s: ThrottleState, now: Date, p: BackoffPolicy): Date {
  const last = s.lastAttemptAt ?? now;
  const blocked = s.blockedUntil?.getTime() ?? 0;
  return new Date(Math.max(last.getTime() + p.forgetAfterMs, blocked));
}
