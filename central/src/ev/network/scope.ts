import { GridlinkError } from '@gridlink/shared';
import { type Action, grantOf, type Principal } from '../../access/index.js';

/**
 * Which companies' networks a principal may touch (docs/EV.md, "Network"): every company, one,
 * or none. An operator whose token names a company (its subject) manages only that company; an
 * operator or admin without a subject manages all; a driver reads every network (the access
 * table grants it read and list only). Another company's objects look absent (404).
 */
export type NetworkScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'company'; readonly companyId: string }
  | { readonly kind: 'none' };

export const ALL_COMPANIES: NetworkScope = Object.freeze({ kind: 'all' });

export function networkScope(who: Principal, action: Action = 'read'): NetworkScope {
  if (grantOf(who.role, 'station', action) === 'none') return Object.freeze({ kind: 'none' });
  if (who.role === 'operator' && who.subject !== null)
    return Object.freeze({ kind: 'company', companyId: who.subject });
  return ALL_COMPANIES;
}

/** May the scope see `companyId`? */
export function inScope(scope: NetworkScope, companyId: string): boolean {
  return scope.kind === 'all' || (scope.kind === 'company' && scope.companyId === companyId);
}

/** Refuses what only an operator of every company may do (create a company). */
export function requireAllCompanies(scope: NetworkScope, what: string): void {
  if (scope.kind !== 'all')
    throw new GridlinkError(
      'GL_FORBIDDEN',
      `${what}: an operator of company ${scope.kind === 'company' ? scope.companyId : '-'} manages only that company`,
    );
}
