import type { MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { authenticateToken, type Principal, type Role } from '../auth/index.js';
import type { Schema } from '../storage/index.js';
import { httpError } from './errors.js';

export type AppEnv = { Variables: { principal: Principal } };

/**
 * Resolves `Authorization: Bearer <token>` to a principal; 401 without one. `now` is the app's
 * clock (no default: a token's expiry is judged by the same clock everywhere).
 */
export function requireAuth(db: Kysely<Schema>, now: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m?.[1] ? await authenticateToken(db, m[1], now()) : undefined;
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer realm="gridlink"');
      throw httpError(
        'GL_UNAUTHORIZED',
        m ? 'invalid or expired token' : 'a bearer token is required',
      );
    }
    c.set('principal', principal);
    await next();
  };
}

/** 403 unless the caller has one of `roles`. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { role } = c.get('principal');
    if (!roles.includes(role)) throw httpError('GL_FORBIDDEN', `role ${role} may not do this`);
    await next();
  };
}
