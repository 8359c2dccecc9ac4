import { createServer, type Server } from 'node:http';
import { GridlinkError } from '@gridlink/shared';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChannelView, DeviceView } from '../drivers/index.js';
import type { TransactionEvent } from '../modbus/index.js';

export interface EdgeMetricsSource {
  devices(): DeviceView[];
  channels(): ChannelView[];
  /** Readings the reading window turned down, per device and reason (never logged). */
  rejections(): { deviceId: string; reason: string; count: number }[];
  log(): { pending: number; dropped: number; lastSeq: number };
  /** Connected to the broker and subscribed to its acks (batches can go out). */
  uplinkConnected(): boolean;
}

/** Counters read at scrape time from the drivers: reset, then set to the cumulative value. */
function totals(registry: Registry, name: string, help: string, labelNames: string[]) {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * The edge's Prometheus metrics, in their own Registry (no global state, several agents per
 * process in tests). Device and link counters are read from the drivers when scraped;
 * Modbus latency is observed per transaction.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly #latency: Histogram<'link'>;

  constructor(source: EdgeMetricsSource) {
    const r = this.registry;
    // Registered first: prom-client serializes metrics in registration order, so this collect
    // refreshes every other metric from the sources before they are read.
    let refresh = () => {};
    new Gauge({
      name: 'gridlink_edge_up',
      help: '1 while the edge agent runs',
      registers: [r],
      collect() {
        refresh();
        this.set(1);
      },
    });
    const polls = totals(
      r,
      'gridlink_edge_device_polls_total',
      'Polls (or pushed messages) per device',
      ['device', 'driver'],
    );
    const failures = totals(r, 'gridlink_edge_device_failures_total', 'Failed polls per device', [
      'device',
      'driver',
    ]);
    const overruns = totals(
      r,
      'gridlink_edge_device_overruns_total',
      'Poll ticks a device could not keep',
      ['device', 'driver'],
    );
    const errors = totals(r, 'gridlink_edge_device_errors_total', 'Device errors by catalog code', [
      'device',
      'driver',
      'code',
    ]);
    const rejected = totals(
      r,
      'gridlink_edge_readings_rejected_total',
      'Readings turned down by the reading window before the log (GL_READING_INVALID), by reason',
      ['device', 'reason'],
    );
    const online = new Gauge({
      name: 'gridlink_edge_device_online',
      help: '1 when the device answers',
      labelNames: ['device', 'driver'],
      registers: [r],
    });
    const channel = totals(
      r,
      'gridlink_edge_link_events_total',
      'Link counters (transactions, timeouts, crc_errors, exceptions, bad_frames, datagrams, ...)',
      ['driver', 'link', 'counter'],
    );
    const depth = new Gauge({
      name: 'gridlink_edge_link_queue_depth',
      help: 'Transactions waiting on a link',
      labelNames: ['driver', 'link'],
      registers: [r],
    });
    const logPending = new Gauge({
      name: 'gridlink_edge_log_pending',
      help: 'Readings in the log not yet acknowledged',
      registers: [r],
    });
    const uplinkConnected = new Gauge({
      name: 'gridlink_edge_uplink_connected',
      help: '1 while the uplink is connected to the broker and subscribed to its acks, else 0',
      registers: [r],
    });
    const logDropped = totals(
      r,
      'gridlink_edge_log_dropped_total',
      'Readings the log dropped unsent (bounds)',
      [],
    );
    this.#latency = new Histogram({
      name: 'gridlink_edge_modbus_latency_seconds',
      help: 'Modbus transaction time, request to reply or error, including queueing on the link',
      labelNames: ['link'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });

    refresh = () => {
      for (const m of [polls, failures, overruns, errors, rejected, channel, logDropped]) m.reset();
      online.reset();
      depth.reset();
      for (const d of source.devices()) {
        const labels = { device: d.health.deviceId, driver: d.driver };
        polls.inc(labels, d.health.polls);
        failures.inc(labels, d.health.failures);
        overruns.inc(labels, d.health.overruns);
        online.set(labels, d.health.online ? 1 : 0);
        for (const [code, n] of Object.entries(d.errors)) errors.inc({ ...labels, code }, n ?? 0);
      }
      for (const x of source.rejections())
        rejected.inc({ device: x.deviceId, reason: x.reason }, x.count);
      for (const c of source.channels()) {
        for (const [name, n] of Object.entries(c.counters)) {
          if (name === 'queue_depth') depth.set({ driver: c.driver, link: c.channel }, n);
          else if (name !== 'in_flight' && name !== 'latency_ms_total')
            channel.inc({ driver: c.driver, link: c.channel, counter: name }, n);
        }
      }
      const log = source.log();
      logPending.set(log.pending);
      logDropped.inc(log.dropped);
      uplinkConnected.set(source.uplinkConnected() ? 1 : 0);
    };
  }

  /** Hook for links: `onTransaction`. */
  readonly observe = (e: TransactionEvent): void => {
    this.#latency.observe({ link: e.link }, e.latencyMs / 1000);
  };

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** `GET /metrics` on node:http; anything else is 404. Bind to loopback unless told otherwise. */
export async function serveMetrics(
  metrics: EdgeMetrics,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('GL_INTERNAL\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new GridlinkError('GL_PORT_IN_USE', `metrics ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
