export { type PendingLimits, PendingStore, type PendingStoreOptions } from './pending-store.js';
