import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per central instance (tests run several in one process). */
export function createCentralMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gl_central_' });
  return {
    registry,
    ingestBatches: new Counter({
      name: 'gl_ingest_batches_total',
      help: 'Telemetry batches by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ingestCoalesced: new Counter({
      name: 'gl_ingest_coalesced_batches_total',
      help: 'Batches stored in the transaction of an earlier batch of the same edge (group commit)',
      registers: [registry],
    }),
    ingestReadings: new Counter({
      name: 'gl_ingest_readings_total',
      help: 'Readings stored',
      registers: [registry],
    }),
    ingestCopyReadings: new Counter({
      name: 'gl_ingest_copy_readings_total',
      help: 'Readings stored through COPY (the rest went as a JSON document)',
      registers: [registry],
    }),
    ingestQuarantined: new Counter({
      name: 'gl_ingest_quarantined_total',
      help: 'Readings set aside at ingest (the rest of their batch stored), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ingestRejected: new Counter({
      name: 'gl_ingest_rejected_total',
      help: 'Payloads rejected, by error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'gl_ingest_batch_seconds',
      help: 'Time to store one batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    mqttUnrouted: new Counter({
      name: 'gl_mqtt_unrouted_total',
      help: 'MQTT messages the central received on a topic no handler is registered for',
      registers: [registry],
    }),
    mqttRefused: new Counter({
      name: 'gl_mqtt_connections_refused_total',
      help: 'MQTT connections the embedded broker refused or cut, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
export type CentralMetrics = ReturnType<typeof createCentralMetrics>;
