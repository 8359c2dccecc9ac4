import type { Expression, ExpressionBuilder, SqlBool, StringReference } from 'kysely';
import { type Action, grantOf, type Resource } from './policy-table.js';
import { customerIdOf, type Principal } from './principals.js';

/** Which objects of a resource a principal may touch: every one, one customer's, or none. */
export type OwnerScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'customer'; readonly customerId: number }
  | { readonly kind: 'none' };

const ALL: OwnerScope = Object.freeze({ kind: 'all' });
const NOBODY: OwnerScope = Object.freeze({ kind: 'none' });

/**
 * The scope of `who` over `resource` for `action` (default read), from the access table: `all`
 * for an `all` grant; for `own`, the customer it acts for (none when it acts for no valid
 * customer id: a driver's own objects have no store yet); `none` otherwise.
 */
export function ownerFilter(
  who: Principal,
  resource: Resource,
  action: Action = 'read',
): OwnerScope {
  const grant = grantOf(who.role, resource, action);
  if (grant === 'all') return ALL;
  if (grant === 'none') return NOBODY;
  const customerId = customerIdOf(who);
  return customerId === undefined ? NOBODY : Object.freeze({ kind: 'customer', customerId });
}

/**
 * The scope as a where-clause on `column`, the customer id column of the table queried:
 * `q.where((eb) => ownedBy(eb, scope, 'customer_id'))`.
 */
export function ownedBy<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  scope: OwnerScope,
  column: StringReference<DB, TB>,
): Expression<SqlBool> {
  if (scope.kind === 'all') return eb.lit(true);
  if (scope.kind === 'none') return eb.lit(false);
  // biome-ignore lint/suspicious/noExplicitAny: the column is generic; its values are customer ids
  return eb(column, '=', scope.customerId as any);
}
