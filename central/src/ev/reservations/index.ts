export { type ReservationActor, SYSTEM, scopeOf } from './actor.js';
export { ChargerFollower, type CommandSender } from './charger-follow.js';
export { type ReservationsConfig, reservationsConfigSchema } from './config.js';
export {
  type BookRequest,
  ReservationEngine,
  type ReservationEngineOptions,
  type StartAuthorization,
  type StatusLink,
} from './engine.js';
export { freeSlots, type Slot } from './free-slots.js';
export { ReservationMonitor } from './monitor.js';
export { normalizePlate } from './plate.js';
export { type ReservationsDeps, startReservations } from './start.js';
export {
  type CancelReason,
  cancelReasons,
  isLiveState,
  LIVE_STATES,
  nextReservationState,
  type ReservationEvent,
  reservationEvents,
} from './states.js';
export { type ListFilter, rawInsert, transitionsOf } from './store.js';
export { type BookingTerms, bookingTermsSchema, DEFAULT_TERMS } from './terms.js';
export { type ReservationView, statusMessage, statusTopic, toView } from './view.js';
