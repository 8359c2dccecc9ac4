export { CarBattery, TAPER_FLOOR, TAPER_START_SOC } from './car-battery.js';
export {
  type CarBatteryPayload,
  CarDevice,
  type CarDeviceOptions,
  type CarStatusPayload,
  type ChargePoint,
  carTopics,
  carUsername,
} from './car-device.js';
export {
  type CarModel,
  carModels,
  fullRangeKm,
  getCarModel,
  parseCarModels,
} from './car-models.js';
export { mercosulPlate } from './plates.js';
