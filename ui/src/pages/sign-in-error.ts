import { ApiError } from '../api/index.js';
import type { I18n } from '../i18n/index.js';

/** What a failed sign-in (customer or driver) tells the visitor: throttled, refused, or the error. */
export function signInErrorText(e: unknown, t: I18n['t']): string {
  if (e instanceof ApiError && e.code === 'GL_RATE_LIMITED')
    return t('signin.throttled', { seconds: Number(e.details.retryAfterSeconds ?? 1) });
  if (e instanceof ApiError && (e.code === 'GL_UNAUTHORIZED' || e.code === 'GL_VALIDATION'))
    return t('signin.failed');
  return t('error.generic', { message: (e as Error).message });
}
