import type { ReservationScope } from './store.js';

/**
 * Who acts on a booking: a driver (for itself), an operator (of one company, or of all when
 * `companyId` is null), or the central itself (the monitor, the fault handler, seed faces).
 * `label` goes into the audit (`driver:12`, `operator:<token id>`, `system:monitor`).
 */
export type ReservationActor =
  | { kind: 'driver'; driverId: number; label: string }
  | { kind: 'operator'; companyId: string | null; label: string }
  | { kind: 'system'; label: string };

export const SYSTEM: ReservationActor = Object.freeze({ kind: 'system', label: 'system' });

export function scopeOf(who: ReservationActor): ReservationScope {
  if (who.kind === 'driver') return { kind: 'driver', driverId: who.driverId };
  if (who.kind === 'operator' && who.companyId !== null)
    return { kind: 'company', companyId: who.companyId };
  return { kind: 'all' };
}
