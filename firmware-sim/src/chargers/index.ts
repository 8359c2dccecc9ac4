export {
  ChargerDevice,
  type ChargerDeviceOptions,
  type ChargingVehicle,
} from './charger-device.js';
export {
  CHARGE_CONTROL,
  CONNECTOR_STATUSES,
  type ConnectorEvent,
  type ConnectorState,
  type ConnectorStatus,
  CURRENT_LIMIT_A,
  connectorStatus,
  initialConnectorState,
  RESERVATION_MINUTES,
  type RefusalKind,
  reservationMinutesLeft,
  STATUS_CODE,
  type Transition,
  transition,
} from './connector-machine.js';
export { KebaCharger, type KebaChargerOptions, type KebaMeasurements } from './keba-charger.js';
export { KEBA_UNIT_ID, KebaModbusCharger } from './keba-modbus-charger.js';
export {
  initialKebaState,
  KEBA_CURRENT_MA,
  KEBA_ENERGY_LIMIT_MAX,
  KEBA_STATE,
  type KebaEvent,
  type KebaStationState,
  kebaPlug,
  kebaState,
  kebaTransition,
  offeredCurrentMa,
} from './keba-station.js';
export { KebaUdpCharger, type KebaUdpChargerOptions } from './keba-udp-charger.js';
export {
  dutyCyclePermille,
  formatKebaJson,
  type KebaRequest,
  parseKebaRequest,
  TCH_ERR,
  TCH_OK,
} from './keba-udp-protocol.js';
