export { AGENT_VERSION, type EdgeAgent, type StartEdgeOptions, startEdge } from './agent/index.js';
export {
  type DeviceConfig,
  type EdgeConfig,
  type EdgeConfigInput,
  loadEdgeConfigFile,
  parseEdgeConfig,
} from './config/index.js';
export { createMemoryReadingLog, openReadingLog, type ReadingLog } from './log/index.js';
export { ModbusTcpLink } from './modbus/index.js';
export { DevicePoller } from './poller/index.js';
export { Uplink } from './uplink/index.js';
