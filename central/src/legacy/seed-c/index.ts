/** Seed C's journey server over TCP (docs/LEGACY-SEED-C.md). */
export { type SeedCConfig, seedCConfigSchema } from './config.js';
export { formatReply, parseLine, SEED_C_TYPES, type SeedCType } from './envelope.js';
export { type JourneyDeps, SeedCJourney } from './journey.js';
export { type SeedCCounts, type SeedCServer, startSeedCServer } from './server.js';
export { type StartSeedCDeps, startSeedC } from './start.js';
