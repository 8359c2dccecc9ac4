export {
  EdgeMetrics,
  type EdgeMetricsSource,
  type MetricsServer,
  serveMetrics,
} from './metrics.js';
