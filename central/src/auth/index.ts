export {
  accountKey,
  addressKey,
  type BackoffPolicy,
  type Claim,
  DEFAULT_LOGIN_THROTTLE,
  delayAfter,
  LoginThrottle,
  type LoginThrottlePolicy,
  type ThrottleKeys,
  type ThrottleScope,
} from './login-throttle/index.js';
export { hashSecret, newSecret, verifySecret } from './secrets.js';
export {
  authenticateToken,
  listTokens,
  type MintOptions,
  mintToken,
  type Principal,
  type Role,
  revokePresentedToken,
  revokeToken,
  revokeTokensOf,
  roles,
  type TokenView,
} from './tokens.js';
