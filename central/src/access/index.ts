export { type OwnerScope, ownedBy, ownerFilter } from './owner-filter.js';
export {
  ACCESS,
  type Action,
  actions,
  can,
  type Grant,
  grantOf,
  grantsFor,
  type Resource,
  resources,
} from './policy-table.js';
export { customerIdOf, type Principal, type Role, roles } from './principals.js';
