/** Live state of charging points from their chargers (docs/EV.md, "Live state"). */
export { type Availability, availabilityOf, availabilityTopic } from './availability.js';
export {
  type ChargerDialect,
  type ChargerFacts,
  chargerFacts,
  dialectOf,
  GRIDLINK_STATES,
  kebaState,
} from './charger-state.js';
export { LiveChargers, type LiveChargersDeps } from './live-chargers.js';
export { type LiveConfig, liveConfigSchema } from './live-config.js';
export {
  applyReadings,
  type BoundCharger,
  bindCharger,
  getPointLive,
  type LiveActor,
  markOffline,
  type PointLive,
  setMaintenance,
  unbindCharger,
} from './live-store.js';
