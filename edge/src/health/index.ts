export {
  buildEdgeStatus,
  type DeviceIdentity,
  deviceIdentities,
  type EdgeStatusParts,
} from './edge-status.js';
export type { EdgeMetrics, EdgeMetricsSource, MetricsServer } from './metrics.js';

/** The /metrics endpoint's module: prom-client is loaded only when an edge enables it. */
export const loadMetrics = () => import('./metrics.js');
