/** Seed A's REST face (docs/EV.md, "Seed A"): its config and its wire names; routes in http/. */
export { type SeedAConfig, seedAConfigSchema } from './config.js';
export { pontoOf, reservaOf, type StationPlace } from './wire.js';
