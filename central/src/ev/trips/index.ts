/** The trip planner and notify-when-free (docs/EV.md, "Trip planner", "Notify when free"). */

export {
  type Busy,
  freeFrom,
  type NetworkStation,
  networkWaitAt,
  OCCUPIED,
  type PointAvailability,
  pointUsable,
} from './availability.js';
export {
  type CarSpec,
  carSpecFor,
  cruiseSpeedKmh,
  DEFAULT_ROAD_SPEED_KMH,
  PLANNER_CAR_MODELS,
  type PlannerCarModel,
} from './car-spec.js';
export { chargeSpanMs, unitChargeMs } from './charge-time.js';
export { type TripsConfig, tripsConfigSchema } from './config.js';
export {
  BYD_DOLPHIN,
  type ChargingCurve,
  genericCurve,
  linearCurve,
  PEUGEOT_E208,
  TESLA_MODEL_3_LR,
} from './curves.js';
export {
  DEFAULT_ROAD_FACTOR,
  type DistanceProvider,
  greatCircleKm,
  greatCircleRoad,
  type LatLon,
} from './geo.js';
export {
  type PlannedStop,
  type PlannerStation,
  planTrip,
  type TripInfeasibleCode,
  type TripPlan,
  type TripPlanResult,
  type TripQuery,
  type WaitAt,
} from './planner.js';
export { type Neighbours, StationIndex, stationIndexFor } from './planner-index.js';
export {
  type FederatedBranchState,
  type FederatedTxState,
  type PlanRequest,
  type TripBranch,
  type TripFederation,
  type TripFederationView,
  type TripRemotePoint,
  TripService,
  type TripServiceDeps,
  type TripStopView,
  type TripTransaction,
  type TripView,
} from './trip-service.js';
export {
  AvailabilityWatches,
  noticeTopic,
  type WatchesDeps,
  type WatchRequest,
  type WatchView,
} from './watches.js';
