export {
  type CentralMetrics,
  createCentralMetrics,
  HTTP_DURATION_BUCKETS,
  httpRequestHistogram,
  loginCounters,
  MQTT_CONNECTION_KINDS,
} from './registry.js';
