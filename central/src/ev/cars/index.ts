/** Drivers and their cars over seed A's MQTT topics (docs/EV.md, "Cars"). */
export { type CarModelSpec, SEED_CAR_MODELS } from './car-models.js';
export { CarRegistry, type CarRegistryDeps, type CarReportCounts } from './car-registry.js';
export { type CarReport, type CarReportResult, parseCarReport } from './car-report.js';
export { type CarsConfig, carsConfigSchema } from './cars-config.js';
export {
  type CarInput,
  type CarLastState,
  type CarPatch,
  type CarStateView,
  type CarView,
  carStates,
  deleteCar,
  getCar,
  listCars,
  recordCarReport,
  registerCar,
  updateCar,
} from './cars-store.js';
export { type DriverScope, driverIdOf, driverScope } from './driver-scope.js';
export {
  createDriver,
  type DriverInput,
  type DriverPatch,
  type DriverSignInResult,
  type DriverView,
  driverDocument,
  driverSignIn,
  getDriver,
  listDrivers,
  updateDriver,
} from './drivers.js';
export { isPlate, normalizePlate } from './plate.js';
