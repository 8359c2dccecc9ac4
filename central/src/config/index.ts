export {
  type CentralConfig,
  type CentralConfigInput,
  centralConfigSchema,
  parseCentralConfig,
} from './schema.js';
