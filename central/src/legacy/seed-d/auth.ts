import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { can, customerIdOf } from '../../access/index.js';
import { authenticateToken, type LoginThrottle } from '../../auth/index.js';
import { signIn } from '../../customers/index.js';
import type { Schema } from '../../storage/index.js';
import { OPERATOR_ROUTES, type RouteName } from './requests.js';
import type { Caller } from './terminal.js';

export interface AnonymousPolicy {
  enabled: boolean;
  sources: readonly string[];
  routes: readonly RouteName[];
}

export interface AuthDeps {
  db: Kysely<Schema>;
  throttle: LoginThrottle;
  anonymous: AnonymousPolicy;
  now: () => Date;
}

export type AuthOutcome =
  | { ok: true; caller: Caller }
  | { ok: false; status: 401 | 403 | 429; message: string };

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
export function plainAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/**
 * Who a terminal request acts for (docs/SECURITY.md "Seed D terminal"):
 * - `Authorization: Bearer glt_…`: an API token. Staff whose role may create customers
 *   (admin, operator) may use every route; a customer token reads its own CPF only.
 * - `Authorization: Basic base64(cpf:password)`: the customer's sign-in, under the login
 *   throttle like `/api/v1/auth/login`; its own CPF only, read routes only.
 * - No credentials: refused, unless the operator enabled `anonymous`, the peer address is one of
 *   its `sources` and the route one of its `routes`; then the CPF in the request is the scope.
 */
export async function authenticate(
  deps: AuthDeps,
  route: RouteName,
  authorization: string | undefined,
  peer: string | undefined,
): Promise<AuthOutcome> {
  const operatorRoute = OPERATOR_ROUTES.has(route);
  const header = authorization?.trim() ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer?.[1]) {
    const who = await authenticateToken(deps.db, bearer[1], deps.now());
    if (!who) return { ok: false, status: 401, message: 'invalid or expired token' };
    if (can(who, 'customer', 'create'))
      return { ok: true, caller: { kind: 'staff', by: who.tokenId } };
    const customerId = customerIdOf(who);
    if (customerId !== undefined && !operatorRoute)
      return { ok: true, caller: { kind: 'customer', customerId } };
    return { ok: false, status: 403, message: `role ${who.role} may not use ${route}` };
  }
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,400})$/i.exec(header);
  if (basic?.[1]) {
    if (operatorRoute)
      return {
        ok: false,
        status: 403,
        message: `${route} is an operator's act: use a staff token`,
      };
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, status: 401, message: 'Basic credentials are cpf:password' };
    const result = await signIn(
      deps.db,
      deps.throttle,
      {
        document: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
        address: plainAddress(peer),
      },
      deps.now(),
    );
    if (result.outcome === 'ok')
      return { ok: true, caller: { kind: 'customer', customerId: result.customerId } };
    if (result.outcome === 'throttled')
      return {
        ok: false,
        status: 429,
        message: `too many failed sign-ins; try again after ${result.retryAt.toISOString()}`,
      };
    return { ok: false, status: 401, message: 'wrong CPF or password' };
  }
  if (header !== '')
    return {
      ok: false,
      status: 401,
      message: 'unsupported Authorization scheme (Bearer or Basic)',
    };
  const address = plainAddress(peer);
  const a = deps.anonymous;
  if (
    a.enabled &&
    address !== undefined &&
    isIP(address) !== 0 &&
    a.sources.some((s) => plainAddress(s) === address) &&
    a.routes.includes(route)
  )
    return { ok: true, caller: { kind: 'anonymous' } };
  return {
    ok: false,
    status: 401,
    message: operatorRoute
      ? `${route} needs an operator's token (Authorization: Bearer)`
      : `${route} needs the customer's credentials (Authorization: Basic cpf:password)`,
  };
}
