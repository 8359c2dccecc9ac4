export {
  type CopySession,
  type CopyTransaction,
  kyselyTransaction,
} from './copy-session.js';
export { type Database, openDatabase, type StorageOptions } from './database.js';
export type { EvPointState, EvReservationState, EvSessionState, Schema } from './schema.js';
