import { GridlinkError } from '@gridlink/shared';
import type { Action, Principal } from '../../access/index.js';
import { driverIdOf, driverScope } from '../cars/index.js';
import { networkScope } from '../network/index.js';

/**
 * Which sessions a principal may touch (docs/EV.md, "Sessions and pricing"): every one; a
 * driver's own (the sessions attributed to it by a remote start); one company's (an operator
 * whose token names a company: sessions on that company's points); or none. Others look absent.
 */
export type SessionScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'driver'; readonly driverId: number }
  | { readonly kind: 'company'; readonly companyId: string }
  | { readonly kind: 'none' };

export function sessionScope(who: Principal, action: Action): SessionScope {
  const d = driverScope(who, 'charging-session', action);
  if (d.kind !== 'all') return d;
  const n = networkScope(who, 'read');
  return n.kind === 'company' ? n : { kind: 'all' };
}

/**
 * The actor of a remote start or stop: a driver acts for itself (its own cars and sessions; a
 * token that names no driver is refused as absent), staff for any car within their scope.
 */
export function sessionActor(who: Principal, action: 'create' | 'act') {
  const driverId = who.role === 'driver' ? (driverIdOf(who) ?? null) : null;
  if (who.role === 'driver' && driverId === null)
    throw new GridlinkError('GL_NOT_FOUND', 'the token names no driver');
  return {
    by: who.role === 'driver' ? `driver:${driverId}` : `${who.role}:${who.tokenId}`,
    driverId,
    scope: sessionScope(who, action),
  };
}
