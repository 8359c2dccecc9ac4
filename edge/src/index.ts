export { AGENT_VERSION, type EdgeAgent, type StartEdgeOptions, startEdge } from './agent/index.js';
export { CommandHandler, type CommandHandlerOptions } from './commands/index.js';
export {
  type BusConfig,
  type DeviceConfig,
  type EdgeConfig,
  type EdgeConfigInput,
  type KebaUdpDeviceConfig,
  loadEdgeConfigFile,
  type ModbusDeviceConfig,
  type ModbusRtuDeviceConfig,
  type ModbusTcpDeviceConfig,
  parseEdgeConfig,
  type TcpJsonMeterDeviceConfig,
  type UdpMeterDeviceConfig,
} from './config/index.js';
export {
  type ChannelView,
  commandWrite,
  createDrivers,
  createKebaUdpDriver,
  createModbusDriver,
  createTcpJsonMeterDriver,
  createUdpMeterDriver,
  type DeviceView,
  type Driver,
  type DriverContext,
  JsonObjectStream,
} from './drivers/index.js';
export {
  buildEdgeStatus,
  deviceIdentities,
  type EdgeMetrics,
  loadMetrics,
} from './health/index.js';
export {
  createMemoryReadingLog,
  type NewReading,
  type OpenReadingLogOptions,
  openReadingLog,
  type ReadingLog,
  type ReadingLogStats,
} from './log/index.js';
export {
  type LinkStats,
  ModbusLink,
  ModbusRtuLink,
  ModbusTcpLink,
  type SerialLineOptions,
  TransactionQueue,
} from './modbus/index.js';
export { DevicePoller, type PollSettings } from './poller/index.js';
export {
  type ReconnectBackoff,
  type Timers,
  Uplink,
  type UplinkOptions,
  type UplinkStats,
} from './uplink/index.js';
