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
