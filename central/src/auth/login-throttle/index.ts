export { accountKey, addressBlock, addressKey } from './keys.js';
export {
  type BackoffPolicy,
  DEFAULT_LOGIN_THROTTLE,
  delayAfter,
  type LoginThrottlePolicy,
} from './policy.js';
export { type Claim, LoginThrottle, type ThrottleKeys, type ThrottleScope } from './store.js';
