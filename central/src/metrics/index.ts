export { type CentralMetrics, createCentralMetrics } from './registry.js';
