/** Seed C's journey clients (docs/SIMULATOR.md, "Journey clients"). */
export { JourneyConnection, type SeedCAnswer } from './journey-client.js';
export {
  JourneyClients,
  type JourneyOutcome,
  type JourneyResult,
  type JourneySettings,
  type JourneySummary,
} from './journey-fleet.js';
