export { type AnonymousPolicy, authenticate, plainAddress } from './auth.js';
export { INTERVAL_VALUE, ManualReadings, TERMINAL_EPOCH } from './manual-readings.js';
export { parseRequest, ROUTES, type RouteName } from './requests.js';
export { type SeedDTerminal, type SeedDTerminalOptions, startSeedDTerminal } from './server.js';
export {
  type Caller,
  MAX_HISTORY_ENTRIES,
  runTerminal,
  seedTariff,
  type TerminalDeps,
} from './terminal.js';
