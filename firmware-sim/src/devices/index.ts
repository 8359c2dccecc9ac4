export {
  applyRate,
  checkFaultSupported,
  type DeviceKind,
  parseRateChange,
  type RateChange,
  type SimDevice,
} from './device.js';
export { ModbusMeterDevice, type ModbusMeterDeviceOptions } from './modbus-meter-device.js';
export { formatDateTime, RateMeter } from './rate-meter.js';
export { TcpJsonMeterDevice, type TcpJsonMeterDeviceOptions } from './tcp-json-meter-device.js';
export { UdpMeterDevice, type UdpMeterDeviceOptions } from './udp-meter-device.js';
