import type { Context } from 'hono';
import { httpError } from './errors.js';
import { ErrorSchema } from './schemas.js';

/** The 429 every sign-in route (customer, driver, password change) documents. */
export const tooManySignIns = {
  429: {
    description:
      'Too many failed sign-ins for this document or from this address (GL_RATE_LIMITED); `Retry-After` gives the seconds to wait',
    headers: { 'Retry-After': { schema: { type: 'integer' as const } } },
    content: { 'application/json': { schema: ErrorSchema } },
  },
};

/** 429 with `Retry-After` in whole seconds (at least 1), for a throttled sign-in. */
export function signInRateLimited(
  c: Context,
  throttled: { scope: 'account' | 'address'; retryAt: Date },
  now: Date,
) {
  const seconds = Math.max(1, Math.ceil((throttled.retryAt.getTime() - now.getTime()) / 1000));
  c.header('Retry-After', String(seconds));
  return httpError(
    'GL_RATE_LIMITED',
    `too many failed sign-ins ${throttled.scope === 'account' ? 'for this document' : 'from this address'}; retry in ${seconds} s`,
    { scope: throttled.scope, retryAfterSeconds: seconds },
  );
}
