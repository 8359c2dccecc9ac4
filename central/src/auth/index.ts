/** The principal type lives in access/ (one for every caller); re-exported for auth's callers. */
export { type Principal, type Role, roles } from '../access/index.js';
export { bootstrapFirstAdmin } from './bootstrap.js';
export { type IssueRequest, issueToken, MAX_TOKEN_TTL_MS } from './issue-token.js';
export {
  accountKey,
  addressBlock,
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
  revokePresentedToken,
  revokeToken,
  revokeTokensOf,
  type TokenView,
} from './tokens.js';
