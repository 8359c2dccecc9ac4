import { type Action, grantOf, type Principal } from '../../access/index.js';

/** Which drivers' objects a principal may touch: every one, one driver's, or none. */
export type DriverScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'driver'; readonly driverId: number }
  | { readonly kind: 'none' };

const ALL: DriverScope = Object.freeze({ kind: 'all' });
const NOBODY: DriverScope = Object.freeze({ kind: 'none' });

/**
 * The driver a principal acts for: its subject as a serial id (ev_drivers.id), or undefined for
 * anyone who is not a driver, or whose subject is not a positive safe integer.
 */
export function driverIdOf(who: Principal): number | undefined {
  if (who.role !== 'driver' || who.subject === null || !/^[1-9]\d{0,15}$/.test(who.subject))
    return undefined;
  const id = Number(who.subject);
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * The scope of `who` over a driver-owned resource (`car`, `driver`, and the reservations,
 * sessions and trips of drivers) for `action`, from the access table (access/policy-table.ts):
 * `all` for an `all` grant; for `own`, the driver it acts for (none when its subject is no
 * driver id); `none` otherwise. Objects outside the scope look absent (404).
 */
export function driverScope(
  who: Principal,
  resource: 'car' | 'driver' | 'reservation' | 'charging-session' | 'trip',
  action: Action,
): DriverScope {
  const grant = grantOf(who.role, resource, action);
  if (grant === 'all') return ALL;
  if (grant === 'none') return NOBODY;
  const driverId = driverIdOf(who);
  return driverId === undefined ? NOBODY : Object.freeze({ kind: 'driver', driverId });
}
