/** Seed B's station clients over MQTT request/response (docs/LEGACY-SEED-B.md). */
export { type SeedBConfig, seedBConfigSchema } from './config.js';
export {
  LIST_TOPIC as SEED_B_LIST_TOPIC,
  listAnswerTopic as seedBListAnswerTopic,
  type Posto,
  RESERVE_TOPIC as SEED_B_RESERVE_TOPIC,
  reserveAnswerTopic as seedBReserveAnswerTopic,
} from './messages.js';
export { type SeedBCounts, type SeedBDeps, SeedBResponder } from './responder.js';
