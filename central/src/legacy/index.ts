/**
 * Interfaces of the systems GridLink replaces, each on its own port, mapped onto GridLink's
 * domain (docs/LEGACY-SEED-D.md).
 */
export {
  pontoOf,
  reservaOf,
  type SeedAConfig,
  type StationPlace,
  seedAConfigSchema,
} from './seed-a/index.js';
export {
  type Posto,
  SEED_B_LIST_TOPIC,
  SEED_B_RESERVE_TOPIC,
  type SeedBConfig,
  type SeedBCounts,
  SeedBResponder,
  seedBConfigSchema,
  seedBListAnswerTopic,
  seedBReserveAnswerTopic,
} from './seed-b/index.js';
export {
  type SeedCConfig,
  type SeedCServer,
  seedCConfigSchema,
  startSeedC,
} from './seed-c/index.js';
export {
  ManualReadings,
  ROUTES as SEED_D_ROUTES,
  type SeedDTerminal,
  type SeedDTerminalOptions,
  seedTariff,
  startSeedDTerminal,
  TERMINAL_EPOCH,
} from './seed-d/index.js';
