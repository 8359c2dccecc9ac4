import { Counter, type Registry } from 'prom-client';
import type { ThrottleScope } from '../auth/index.js';

export interface LoginMetrics {
  /** Sign-in attempts by outcome: ok, failed, throttled. */
  attempts: Counter<'outcome'>;
  /** Attempts refused by the throttle, by the key that refused them (account, address). */
  throttled: Counter<'scope'>;
}

/** The sign-in counters on the central's registry (made once per registry). */
export function loginMetrics(registry: Registry): LoginMetrics {
  const get = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    attempts: get(
      'gl_http_logins_total',
      () =>
        new Counter({
          name: 'gl_http_logins_total',
          help: 'Customer sign-in attempts by outcome (ok, failed, throttled)',
          labelNames: ['outcome'] as const,
          registers: [registry],
        }),
    ),
    throttled: get(
      'gl_http_login_throttled_total',
      () =>
        new Counter({
          name: 'gl_http_login_throttled_total',
          help: 'Sign-in attempts refused with 429, by the throttle key that refused them',
          labelNames: ['scope'] as const,
          registers: [registry],
        }),
    ),
  };
}

export const countThrottled = (m: LoginMetrics, scope: ThrottleScope) => {
  m.attempts.inc({ outcome: 'throttled' });
  m.throttled.inc({ scope });
};
