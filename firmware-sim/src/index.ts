export { type Clock, createManualClock, type ManualClock, systemClock } from './clock/index.js';
export {
  MAX_UNIT_ID,
  type SimulatedDevice,
  type Simulator,
  type SimulatorDeviceInfo,
  type SimulatorOptions,
  startSimulator,
} from './fleet/index.js';
export {
  MeterModel,
  type MeterModelOptions,
  ProfileRegisterBank,
  type ProfileRegisterBankOptions,
  SimulatedMeter,
  type SimulatedMeterOptions,
} from './meters/index.js';
export {
  ExceptionCode,
  encodeMbapFrame,
  exceptionPdu,
  FunctionCode,
  type MbapFrame,
  MbapSplitter,
  MemoryRegisterBank,
  ModbusException,
  type ModbusTcpServer,
  type ModbusTcpServerOptions,
  type RegisterBank,
  respondToPdu,
  startModbusTcpServer,
} from './modbus/index.js';
