export { hashSecret, newSecret, verifySecret } from './secrets.js';
export {
  authenticateToken,
  type MintOptions,
  mintToken,
  type Principal,
  type Role,
  roles,
} from './tokens.js';
