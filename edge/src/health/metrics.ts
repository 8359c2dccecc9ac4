import { createServer, type Server } from 'node:http';
import { GridlinkError } from '@gridlink/shared';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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

/** Wholes: every request/reply transaction, every pushed message. */
const TRANSACTION_WHOLES = ['transactions', 'requests'];
const MESSAGE_WHOLES = ['datagrams', 'lines'];
/** Parts of a transaction's whole, by outcome label. */
const TRANSACTION_OUTCOMES: Record<string, string> = {
  ok: 'ok',
  timeouts: 'timeout',
  crc_errors: 'crc_error',
  exceptions: 'exception',
  bad_frames: 'bad_frame',
  refused: 'refused',
};
/** Parts of a pushed message's whole, by outcome label. */
const MESSAGE_OUTCOMES: Record<string, string> = {
  accepted: 'accepted',
  malformed: 'malformed',
  unknown_senders: 'unknown_sender',
  too_large: 'too_large',
  invalid_readings: 'invalid_reading',
  auth_failed: 'auth_failed',
  meter_taken: 'meter_taken',
  unexpected: 'unexpected',
};
const CLOSE_REASONS: Record<string, string> = { connection_limit: 'limit', idle_closed: 'idle' };
/** Instantaneous figures or sums that are not events (latency is the histogram's job). */
const NOT_EVENTS = new Set(['queue_depth', 'in_flight', 'latency_ms_total']);

export interface LinkCounterSplit {
  transactions: [string, number][];
  messages: [string, number][];
  closed: [string, number][];
  other: [string, number][];
  broadcasts?: number;
  connections?: number;
  queueDepth?: number;
}

/**
 * A link's counters (snake_case, as in the edge status) as clean metrics: one whole per metric,
 * split by an `outcome` label whose values add up to it (an outcome the driver does not report
 * is `ok` when no `ok` is given, else `other`), never a whole and its parts in one label.
 */
export function splitLinkCounters(counters: Record<string, number>): LinkCounterSplit {
  const out: LinkCounterSplit = { transactions: [], messages: [], closed: [], other: [] };
  const whole = (names: string[]) => names.find((n) => counters[n] !== undefined);
  const parts = (
    wholeName: string | undefined,
    outcomes: Record<string, string>,
    into: [string, number][],
    rest: string,
  ) => {
    if (wholeName === undefined) return;
    let sum = 0;
    for (const [name, label] of Object.entries(outcomes)) {
      const n = counters[name];
      if (n === undefined) continue;
      into.push([label, n]);
      sum += n;
    }
    const remainder = (counters[wholeName] ?? 0) - sum;
    if (remainder > 0) into.push([rest, remainder]);
  };
  const tx = whole(TRANSACTION_WHOLES);
  parts(tx, TRANSACTION_OUTCOMES, out.transactions, counters.ok === undefined ? 'ok' : 'other');
  const msg = whole(MESSAGE_WHOLES);
  parts(msg, MESSAGE_OUTCOMES, out.messages, 'other');
  for (const [name, n] of Object.entries(counters)) {
    if (name === 'queue_depth') out.queueDepth = n;
    else if (name === 'broadcasts') out.broadcasts = n;
    else if (name === 'connections') out.connections = n;
    else if (CLOSE_REASONS[name]) out.closed.push([CLOSE_REASONS[name], n]);
    else if (
      NOT_EVENTS.has(name) ||
      name === tx ||
      name === msg ||
      (tx !== undefined && TRANSACTION_OUTCOMES[name]) ||
      (msg !== undefined && MESSAGE_OUTCOMES[name])
    )
      continue;
    else out.other.push([name, n]);
  }
  return out;
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
    // Node's standard process_* / nodejs_* metrics, unprefixed (docs/OBSERVABILITY.md).
    collectDefaultMetrics({ register: r });
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
    const transactions = totals(
      r,
      'gridlink_edge_link_transactions_total',
      'Request/reply transactions on a link (Modbus, KEBA UDP) by outcome; the outcomes add up to all transactions',
      ['driver', 'link', 'outcome'],
    );
    const messages = totals(
      r,
      'gridlink_edge_link_messages_total',
      'Messages pushed to a listener (datagrams, JSON lines) by outcome; the outcomes add up to all messages',
      ['driver', 'link', 'outcome'],
    );
    const broadcasts = totals(
      r,
      'gridlink_edge_link_broadcasts_total',
      'Broadcast datagrams a listener received (KEBA UDP)',
      ['driver', 'link'],
    );
    const connections = totals(
      r,
      'gridlink_edge_link_connections_total',
      'Connections a TCP listener accepted',
      ['driver', 'link'],
    );
    const closed = totals(
      r,
      'gridlink_edge_link_connections_closed_total',
      'Connections a TCP listener closed on its own, by reason (limit, idle)',
      ['driver', 'link', 'reason'],
    );
    const otherEvents = totals(
      r,
      'gridlink_edge_link_other_events_total',
      'Link counters no other metric takes (a driver newer than this table)',
      ['driver', 'link', 'event'],
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
      for (const m of [
        polls,
        failures,
        overruns,
        errors,
        rejected,
        transactions,
        messages,
        broadcasts,
        connections,
        closed,
        otherEvents,
        logDropped,
      ])
        m.reset();
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
        const link = { driver: c.driver, link: c.channel };
        const split = splitLinkCounters(c.counters);
        if (split.queueDepth !== undefined) depth.set(link, split.queueDepth);
        for (const [outcome, n] of split.transactions) transactions.inc({ ...link, outcome }, n);
        for (const [outcome, n] of split.messages) messages.inc({ ...link, outcome }, n);
        if (split.broadcasts !== undefined) broadcasts.inc(link, split.broadcasts);
        if (split.connections !== undefined) connections.inc(link, split.connections);
        for (const [reason, n] of split.closed) closed.inc({ ...link, reason }, n);
        for (const [event, n] of split.other) otherEvents.inc({ ...link, event }, n);
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
