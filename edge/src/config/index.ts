export { loadEdgeConfigFile } from './load.js';
export {
  type DeviceConfig,
  type EdgeConfig,
  type EdgeConfigInput,
  edgeConfigSchema,
  parseEdgeConfig,
} from './schema.js';
