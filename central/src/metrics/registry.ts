import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Principal kinds of the embedded broker's connections (central/src/broker/principals.ts). */
export const MQTT_CONNECTION_KINDS = [
  'service',
  'edge',
  'car',
  'station',
  'operator',
  'peer',
] as const;

/** Seconds; from a health check (~1 ms) to a slow export or monthly close (10 s). */
export const HTTP_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * `gridlink_http_request_duration_seconds{method,route,status_class}` on `registry`, made once per
 * registry (the HTTP app takes it from whatever registry it is given).
 */
export function httpRequestHistogram(
  registry: Registry,
): Histogram<'method' | 'route' | 'status_class'> {
  const name = 'gridlink_http_request_duration_seconds';
  const known = registry.getSingleMetric(name) as
    | Histogram<'method' | 'route' | 'status_class'>
    | undefined;
  return (
    known ??
    new Histogram({
      name,
      help: 'HTTP requests from arrival to the answer, by route template, method and status class',
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    })
  );
}

/** The sign-in counters (`central/src/http/login-metrics.ts` counts into them), once per registry. */
export function loginCounters(registry: Registry): {
  attempts: Counter<'outcome'>;
  throttled: Counter<'scope'>;
} {
  const get = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    attempts: get(
      'gridlink_http_logins_total',
      () =>
        new Counter({
          name: 'gridlink_http_logins_total',
          help: 'Customer sign-in attempts by outcome (ok, failed, throttled)',
          labelNames: ['outcome'] as const,
          registers: [registry],
        }),
    ),
    throttled: get(
      'gridlink_http_login_throttled_total',
      () =>
        new Counter({
          name: 'gridlink_http_login_throttled_total',
          help: 'Sign-in attempts refused with 429, by the throttle key that refused them',
          labelNames: ['scope'] as const,
          registers: [registry],
        }),
    ),
  };
}

/**
 * One registry per central instance (tests run several in one process). Names follow
 * docs/OBSERVABILITY.md: the central's own metrics are `gridlink_*`; Node's standard
 * `process_*` / `nodejs_*` metrics carry no prefix, so the standard dashboards read them.
 * `central/test/metric-names.test.ts` lints every name this registry exposes.
 */
export function createCentralMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const mqttConnections = new Gauge({
    name: 'gridlink_mqtt_connections',
    help: 'MQTT clients connected to the embedded broker (authenticated), by principal kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  // Every kind is exported from the start (0), so a dashboard sees the series before a client.
  for (const kind of MQTT_CONNECTION_KINDS) mqttConnections.set({ kind }, 0);
  return {
    registry,
    ingestBatches: new Counter({
      name: 'gridlink_ingest_batches_total',
      help: 'Telemetry batches by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ingestGapWaits: new Counter({
      name: 'gridlink_ingest_gap_waits_total',
      help: 'Batches that started beyond their stream mark and waited for their predecessor (shared subscriptions), by how the wait ended',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    ingestCoalesced: new Counter({
      name: 'gridlink_ingest_coalesced_batches_total',
      help: 'Batches stored in the transaction of an earlier batch of the same edge (group commit)',
      registers: [registry],
    }),
    ingestReadings: new Counter({
      name: 'gridlink_ingest_readings_total',
      help: 'Readings stored',
      registers: [registry],
    }),
    ingestCopyReadings: new Counter({
      name: 'gridlink_ingest_copy_readings_total',
      help: 'Readings stored through COPY (the rest went as a JSON document)',
      registers: [registry],
    }),
    ingestQuarantined: new Counter({
      name: 'gridlink_ingest_quarantined_total',
      help: 'Readings set aside at ingest (the rest of their batch stored), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ingestRejected: new Counter({
      name: 'gridlink_ingest_rejected_total',
      help: 'Payloads rejected, by error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'gridlink_ingest_batch_duration_seconds',
      help: 'Time to store one batch',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    mqttUnrouted: new Counter({
      name: 'gridlink_mqtt_unrouted_total',
      help: 'MQTT messages the central received on a topic no handler is registered for',
      registers: [registry],
    }),
    mqttRefused: new Counter({
      name: 'gridlink_mqtt_connections_refused_total',
      help: 'MQTT connections the embedded broker refused or cut, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    mqttConnections,
    httpRequestSeconds: httpRequestHistogram(registry),
    logins: loginCounters(registry),
  };
}
export type CentralMetrics = ReturnType<typeof createCentralMetrics>;
