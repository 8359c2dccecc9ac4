export {
  PG_ADMIN_URL,
  postgresReachable,
  type ScratchDatabase,
  scratchPostgres,
} from './scratch-postgres.js';
