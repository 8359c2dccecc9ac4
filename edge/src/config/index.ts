export { loadEdgeConfigFile } from './load.js';
export { checkEdgeProfiles } from './profiles.js';
export {
  type BusConfig,
  type DeviceConfig,
  type EdgeConfig,
  type EdgeConfigInput,
  edgeConfigSchema,
  type KebaUdpDeviceConfig,
  type ModbusDeviceConfig,
  type ModbusRtuDeviceConfig,
  type ModbusTcpDeviceConfig,
  parseEdgeConfig,
  type TcpJsonMeterDeviceConfig,
  type UdpMeterDeviceConfig,
} from './schema.js';
