export { cronExpression, emvText, ianaTimeZone, isIanaTimeZone, pixKey } from './checks.js';
export {
  type CentralConfig,
  type CentralConfigInput,
  centralConfigSchema,
  type MqttLimits,
  mqttLimitsSchema,
  parseCentralConfig,
} from './schema.js';
