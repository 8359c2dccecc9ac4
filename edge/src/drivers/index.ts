export { commandWrite } from './command-write.js';
export { createDrivers, servedDevices } from './create-drivers.js';
export { JsonObjectStream, type JsonStreamEvent } from './json-object-stream.js';
export {
  answers as kebaAnswers,
  type KebaMessage,
  type KebaReport2,
  type KebaReport3,
  kebaCommandText,
  parseKebaMessage,
  parseReport2,
  parseReport3,
  report2Values,
  report3Values,
} from './keba-udp-codec.js';
export { createKebaUdpDriver, type KebaUdpDriverOptions } from './keba-udp-driver.js';
export { type MeterZone, parseMeterTime } from './meter-time.js';
export { createModbusDriver, type ModbusDriverOptions } from './modbus-driver.js';
export { pollView } from './poll-view.js';
export { type MeterHello, type MeterSpent, parseMeterLine } from './tcp-json-meter-codec.js';
export {
  createTcpJsonMeterDriver,
  type TcpJsonMeterDriverOptions,
} from './tcp-json-meter-driver.js';
export type {
  Admission,
  ChannelView,
  DeviceView,
  Driver,
  DriverContext,
  PendingMeter,
  PendingPort,
} from './types.js';
export {
  createUdpMeterDriver,
  parseUdpDatagram,
  type UdpMeterDriverOptions,
} from './udp-meter-driver.js';
