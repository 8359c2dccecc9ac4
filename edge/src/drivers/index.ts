export { commandWrite } from './command-write.js';
export { createDrivers } from './create-drivers.js';
export { parseMeterTime } from './meter-time.js';
export { createModbusDriver, type ModbusDriverOptions } from './modbus-driver.js';
export {
  createTcpJsonMeterDriver,
  parseMeterLine,
  type TcpJsonMeterDriverOptions,
} from './tcp-json-meter-driver.js';
export type { ChannelView, DeviceView, Driver, DriverContext } from './types.js';
export {
  createUdpMeterDriver,
  parseUdpDatagram,
  type UdpMeterDriverOptions,
} from './udp-meter-driver.js';
