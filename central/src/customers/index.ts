export { decoyHash, hashPassword, verifyPassword } from './passwords.js';
export { type SignInAttempt, type SignInResult, signIn } from './sign-in.js';
export {
  authenticateCustomer,
  type BoundMeter,
  bindMeter,
  type Connection,
  type CustomerBilling,
  type CustomerInput,
  type CustomerParty,
  type CustomerPatch,
  type CustomerView,
  changePassword,
  createCustomer,
  customerBilling,
  customerDocument,
  customerParty,
  findCustomer,
  isTimeZone,
  listCustomers,
  type MeterTarget,
  unbindMeter,
  updateCustomer,
} from './store.js';
