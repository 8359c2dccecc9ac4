export {
  bindingsFor,
  type PendingLimits,
  PendingStore,
  type PendingStoreOptions,
} from './pending-store.js';
