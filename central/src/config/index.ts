export {
  type CentralConfig,
  type CentralConfigInput,
  centralConfigSchema,
  type MqttLimits,
  mqttLimitsSchema,
  parseCentralConfig,
} from './schema.js';
