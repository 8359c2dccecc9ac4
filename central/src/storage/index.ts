export {
  type CopySession,
  type CopyTransaction,
  kyselyTransaction,
} from './copy-session.js';
export {
  type Database,
  migratedTemplate,
  openDatabase,
  type StorageOptions,
} from './database.js';
export { preparedStatement } from './prepared.js';
export type { EvPointState, EvReservationState, EvSessionState, Schema } from './schema.js';
export { templateFolder } from './template-cache.js';
