export {
  CarBattery,
  type CarBatteryPayload,
  CarDevice,
  type CarDeviceOptions,
  type CarModel,
  type CarStatusPayload,
  carModels,
  carTopics,
  getCarModel,
} from './cars/index.js';
export {
  ChargerDevice,
  type ChargerDeviceOptions,
  type ConnectorState,
  type ConnectorStatus,
  connectorStatus,
  KebaCharger,
  KebaModbusCharger,
  KebaUdpCharger,
  type KebaUdpChargerOptions,
  STATUS_CODE,
  transition,
} from './chargers/index.js';
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock/index.js';
export { CONTROL_API_HELP, type ControlServer, startControlServer } from './control/index.js';
export {
  ModbusMeterDevice,
  type RateChange,
  type SimDevice,
  TcpJsonMeterDevice,
  UdpMeterDevice,
} from './devices/index.js';
export { DeviceFaults, FAULT_MODES, type FaultSpec, parseFaultSpec } from './faults/index.js';
export {
  type Fleet,
  MAX_UNIT_ID,
  parseScenario,
  parseScenarioYaml,
  type Scenario,
  type SimulatedDevice,
  type Simulator,
  type SimulatorDeviceInfo,
  type SimulatorOptions,
  startFleet,
  startSimulator,
} from './fleet/index.js';
export {
  JourneyClients,
  JourneyConnection,
  type JourneyOutcome,
  type JourneyResult,
  type JourneySettings,
  type JourneySummary,
  type SeedCAnswer,
} from './journeys/index.js';
export {
  MeterModel,
  type MeterModelOptions,
  ProfileRegisterBank,
  type ProfileRegisterBankOptions,
  SimulatedMeter,
  type SimulatedMeterOptions,
} from './meters/index.js';
export {
  crc16Modbus,
  decodeRtuFrame,
  ExceptionCode,
  encodeMbapFrame,
  encodeRtuFrame,
  exceptionPdu,
  FunctionCode,
  type MbapFrame,
  MbapSplitter,
  MemoryRegisterBank,
  ModbusException,
  type ModbusRtuServer,
  type ModbusTcpServer,
  type ModbusTcpServerOptions,
  type RegisterBank,
  type ReplyShaper,
  respondToPdu,
  SerialLineTimeline,
  startModbusRtuServer,
  startModbusTcpServer,
} from './modbus/index.js';
export { createPtyPair, type PtyPair } from './serial/index.js';
