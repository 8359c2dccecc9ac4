export { AGENT_VERSION, type EdgeAgent, type StartEdgeOptions, startEdge } from './agent/index.js';
export {
  type DeviceConfig,
  type EdgeConfig,
  type EdgeConfigInput,
  loadEdgeConfigFile,
  parseEdgeConfig,
} from './config/index.js';
export {
  type Clock,
  createMemoryReadingLog,
  type NewReading,
  type OpenReadingLogOptions,
  openReadingLog,
  type ReadingLog,
  type ReadingLogStats,
} from './log/index.js';
export { ModbusTcpLink } from './modbus/index.js';
export { DevicePoller } from './poller/index.js';
export {
  type ReconnectBackoff,
  type Timers,
  Uplink,
  type UplinkOptions,
  type UplinkStats,
} from './uplink/index.js';
