/** The EV charging half of the central (docs/EV.md). */
export {
  type CarInput,
  type CarLastState,
  type CarModelSpec,
  CarRegistry,
  type CarStateView,
  type CarView,
  carStates,
  createDriver,
  type DriverScope,
  type DriverView,
  deleteCar,
  driverDocument,
  driverIdOf,
  driverScope,
  driverSignIn,
  getCar,
  getDriver,
  listCars,
  listDrivers,
  registerCar,
  updateCar,
  updateDriver,
} from './cars/index.js';
export { type EvConfig, evConfigSchema } from './config.js';
export {
  type CarStatusEvent,
  type EvEventMap,
  EvEvents,
  type PointStateEvent,
  type PointTelemetryEvent,
  type ReservationEvent,
} from './events.js';
export {
  type Availability,
  availabilityOf,
  type LiveActor,
  LiveChargers,
  type PointLive,
} from './live/index.js';
export {
  type BookRequest,
  type CancelReason,
  cancelReasons,
  LIVE_STATES as LIVE_RESERVATION_STATES,
  type ReservationActor,
  ReservationEngine,
  type ReservationView,
  type StartAuthorization,
} from './reservations/index.js';
export {
  ChargingSessions,
  type Receipt,
  type SessionActor,
  type SessionScope,
  type SessionView,
  sessionActor,
  sessionScope,
} from './sessions/index.js';
export { type EvDeps, type EvRuntime, startEv } from './start-ev.js';
export { priceSession, type SessionPrice } from './tariffs/price-session.js';
export {
  DEFAULT_TARIFF,
  energyPricePerKwh,
  type PriceComponent,
  type Tariff,
  type TariffInput,
  tariffSchema,
} from './tariffs/tariff-schema.js';
export {
  type Busy,
  chargeSpanMs,
  cruiseSpeedKmh,
  freeFrom,
  greatCircleKm,
  type NetworkStation,
  networkWaitAt,
  OCCUPIED,
  PLANNER_CAR_MODELS,
  type PlannerCarModel,
  pointUsable,
  type TripsConfig,
  unitChargeMs,
} from './trips/index.js';
