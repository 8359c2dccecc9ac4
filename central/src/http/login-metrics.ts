import type { Counter, Registry } from 'prom-client';
import type { ThrottleScope } from '../auth/index.js';
import { loginCounters } from '../metrics/index.js';

export interface LoginMetrics {
  /** Sign-in attempts by outcome: ok, failed, throttled. */
  attempts: Counter<'outcome'>;
  /** Attempts refused by the throttle, by the key that refused them (account, address). */
  throttled: Counter<'scope'>;
}

/** The sign-in counters on the central's registry (made once per registry, metrics/). */
export const loginMetrics = (registry: Registry): LoginMetrics => loginCounters(registry);

export const countThrottled = (m: LoginMetrics, scope: ThrottleScope) => {
  m.attempts.inc({ outcome: 'throttled' });
  m.throttled.inc({ scope });
};
