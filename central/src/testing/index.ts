export { centralCommand } from './central-command.js';
export {
  PG_ADMIN_URL,
  postgresReachable,
  requirePostgres,
  type ScratchDatabase,
  scratchPostgres,
} from './scratch-postgres.js';
