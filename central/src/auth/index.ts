export { bootstrapFirstAdmin } from './bootstrap.js';
export { type IssueRequest, issueToken, MAX_TOKEN_TTL_MS } from './issue-token.js';
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
  type MintableRole,
  type MintOptions,
  mintableRoles,
  mintToken,
  type Principal,
  type Role,
  revokePresentedToken,
  revokeToken,
  revokeTokensOf,
  roles,
  type TokenView,
} from './tokens.js';
