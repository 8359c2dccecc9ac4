import { join } from 'node:path';
import {
  type ChannelHealth,
  type ClockAndTimers,
  type EdgeStatus,
  edgeTopic,
  GridlinkError,
  systemClock,
} from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';
import { CommandHandler } from '../commands/index.js';
import { type EdgeConfig, type EdgeConfigInput, parseEdgeConfig } from '../config/index.js';
import {
  type ChannelView,
  createDrivers,
  type DeviceView,
  type Driver,
  servedDevices,
} from '../drivers/index.js';
import {
  buildEdgeStatus,
  deviceIdentities,
  type EdgeMetrics,
  loadMetrics,
  type MetricsServer,
} from '../health/index.js';
import { openReadingLog, type ReadingLog } from '../log/index.js';
import type { TransactionEvent } from '../modbus/index.js';
import { bindingsFor, PendingStore } from '../provisioning/index.js';
import { isConnackRefusal, Uplink } from '../uplink/index.js';
import { ReadingGate, readingWindowOf } from './reading-gate.js';
import { ReadingSink } from './reading-sink.js';
import { RemoteConfig } from './remote-config.js';

export const AGENT_VERSION = '0.1.0';

export interface EdgeAgent {
  /** The running config (changes when a remote config is applied). */
  readonly config: EdgeConfig;
  readonly remoteConfig: RemoteConfig;
  readonly log: ReadingLog;
  readonly uplink: Uplink;
  readonly mqtt: MqttClient;
  readonly drivers: readonly Driver[];
  readonly commands: CommandHandler;
  /** Unknown push meters held until bound (docs/PROVISIONING.md). */
  readonly pending: PendingStore;
  /** Created (and prom-client loaded) when the endpoint is first enabled; undefined before. */
  readonly metrics: EdgeMetrics | undefined;
  /** The bound /metrics port, when enabled. */
  readonly metricsPort: number | undefined;
  /** Stops every driver's polling and listening (links stay until close). */
  readonly pollers: readonly { stop(): void }[];
  /** The status payload it publishes (docs/WIRE.md "Edge status"). */
  status(): EdgeStatus & { channels: ChannelHealth[] };
  devices(): DeviceView[];
  /** Runs a profile command on a device through its driver (ahead of polls). */
  command(deviceId: string, command: string, value?: number): Promise<void>;
  /** Commits readings still buffered in memory. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface StartEdgeOptions {
  logger?: Logger;
  /**
   * The edge's clock and timers (shared `ClockAndTimers`): the reading window's "now", the time
   * drivers stamp on readings, poll grids and device timeouts, the log's age bound, the
   * uplink's batching and resend timers, the status interval, command and config result times.
   * Defaults to the system clock.
   */
  clock?: ClockAndTimers;
  /**
   * Port decorators, applied once before anything uses the port (the edge's counterpart of the
   * central's `StartOptions.decorate`): how a harness injects faults without hooks in production.
   */
  decorate?: { log?: (log: ReadingLog) => ReadingLog };
}

/**
 * The edge agent: pollers → group commit into the log → uplink. The MQTT connection is started
 * without waiting: an edge whose central is unreachable keeps polling and buffering.
 */
export async function startEdge(
  input: EdgeConfigInput | EdgeConfig,
  options: StartEdgeOptions = {},
): Promise<EdgeAgent> {
  let config = parseEdgeConfig(input);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ base: { svc: 'edge', edgeId: config.edgeId } });
  const opened = await openReadingLog({
    dir: join(config.dataDir, 'log'),
    sync: config.log.sync,
    maxBytes: config.log.maxBytes,
    maxAgeMs: config.log.maxAgeDays * 86_400_000,
    cacheBytes: config.log.cacheBytes,
    writeBufferBytes: config.log.writeBufferBytes,
    tailCacheBytes: config.log.tailCacheBytes,
    clock,
  });
  const log = options.decorate?.log?.(opened) ?? opened;
  const statusTopic = edgeTopic(config.edgeId, 'status');
  const client = mqtt.connect(config.mqtt.url, {
    username: config.mqtt.username ?? config.edgeId,
    password: config.mqtt.password,
    clientId: `edge-${config.edgeId}`,
    keepalive: config.mqtt.keepaliveS,
    clean: true,
    // Reconnects run on the edge's clock, not mqtt.js's own setInterval: mqtt.js never
    // reconnects by itself (reconnectPeriod 0) and the uplink calls reconnect() after each
    // backoff delay, after a refusing CONNACK too (a wrong password is retried forever, warned
    // each time), so a fake clock drives them in tests (docs/EDGE.md, "Uplink connection").
    reconnectPeriod: 0,
    // mqtt-packet would otherwise pre-build 65,536 two-byte Buffers (~6 MB of heap) to encode
    // packet ids and lengths; the edge publishes a few batches a second, so it encodes on demand.
    writeCache: false,
    will: {
      topic: statusTopic,
      payload: Buffer.from(JSON.stringify({ edgeId: config.edgeId, online: false })),
      qos: 1,
      retain: true,
    },
  });
  client.on('error', (err) => {
    if (isConnackRefusal(err)) return; // the uplink warns with the CONNACK code
    logger.warn({ err: err.message }, 'MQTT error');
  });
  /**
   * The status goes first on every connection, ahead of the uplink's batches (registered before
   * the uplink's listener; the uplink sends only after its SUBACK): the central records a status
   * before the batches behind it (docs/WIRE.md "Devices and their kinds"), so a charger's first
   * readings find its kind instead of registering it as a meter for good. A no-op until the
   * drivers exist; the connection may come up before that, and then the status goes out as soon
   * as they do, still before any of their readings.
   */
  let publishStatus = (): void => undefined;
  client.on('connect', () => publishStatus());

  const uplink = new Uplink({
    edgeId: config.edgeId,
    log,
    mqtt: client,
    logger,
    batch: {
      maxReadings: config.uplink.maxReadings,
      maxBytes: config.uplink.maxBytes,
      maxDelayMs: config.uplink.maxDelayMs,
    },
    window: config.uplink.window,
    resendAfterMs: config.uplink.resendAfterMs,
    compression: config.uplink.compression,
    reconnect: config.uplink.reconnect,
    reconnectOnTimers: true,
    timers: clock,
  });
  uplink.start();
  const sink = new ReadingSink({
    log,
    afterCommit: () => uplink.notify(),
    logger: logger.child({ component: 'log' }),
    timers: clock,
    retry: config.log.appendRetry,
  });
  /** The log's figures; `dropped` also counts readings the log refused to store (the sink's). */
  const logStats = () => {
    const stats = log.stats();
    return { ...stats, dropped: stats.dropped + sink.stats().dropped };
  };
  const now = () => clock.now();
  // Every driver's readings pass this one gate on their way to the sink (docs/SECURITY.md).
  const gate = new ReadingGate({
    window: readingWindowOf(config.readings),
    clock,
    admit: (reading) => sink.push(reading),
    logger: logger.child({ component: 'readings' }),
    logIntervalMs: config.readings.logIntervalSeconds * 1000,
  });

  // Unknown push meters' readings pass the same window on their way to the pending store.
  let pendingGate: ReadingGate | undefined;
  let statusSoon = false;
  /** publishStatus, once it exists (pending meters may change while the edge starts). */
  let publishSoon: (() => void) | undefined;
  /** Moves what the pending store holds for the meters `c` serves (docs/PROVISIONING.md). */
  const bindPending = (c: EdgeConfig) =>
    pending.bind(bindingsFor(servedDevices(c), c.provisioned, pending.keys()));
  let pending: PendingStore;
  try {
    pending = await PendingStore.open({
      log,
      limits: () => config.provisioning,
      gate: (reading) => (pendingGate as ReadingGate).admit(reading),
      afterMove: () => uplink.notify(),
      // A meter appearing or bound is told to the central with the next turn's status, not in
      // statusIntervalMs (at most once a turn; at most maxPending new ones).
      onChange: () => {
        if (statusSoon) return;
        statusSoon = true;
        setImmediate(() => {
          statusSoon = false;
          publishSoon?.();
        });
      },
      logger: logger.child({ component: 'provisioning' }),
      clock,
    });
  } catch (err) {
    uplink.stop();
    await client.endAsync();
    await log.close();
    throw err;
  }
  pendingGate = new ReadingGate({
    window: readingWindowOf(config.readings),
    clock,
    admit: pending.accept,
    logger: logger.child({ component: 'readings', pending: true }),
    logIntervalMs: config.readings.logIntervalSeconds * 1000,
  });

  let observe: ((e: TransactionEvent) => void) | undefined;
  const driverContext = {
    onReading: gate.admit,
    logger: logger.child({ component: 'driver' }),
    onTransaction: (e: TransactionEvent) => observe?.(e),
    clock,
    pending,
  };
  let drivers = createDrivers(config, driverContext);
  /** Drivers' devices, their rejected readings counted in. */
  const devicesOf = (ds: readonly Driver[]): DeviceView[] =>
    ds.flatMap((d) => d.devices()).map(gate.decorate);
  const channelsOf = (ds: readonly Driver[]): ChannelView[] => ds.flatMap((d) => d.channels());
  const devices = () => devicesOf(drivers);
  const channels = () => channelsOf(drivers);
  // Kinds and profiles come from the config the drivers serve (identified again when it changes).
  let identified = { of: config, identities: deviceIdentities(servedDevices(config)) };
  /**
   * The status of drivers `ds` serving `c`: the running ones, or a config being applied, announced
   * before its drivers start. `configVersion` is always the running config's: the central counts
   * an edge in sync by it, and an announced config may still fail to start.
   */
  const statusOf = (
    c: EdgeConfig,
    ds: readonly Driver[],
  ): EdgeStatus & { channels: ChannelHealth[] } => {
    if (identified.of !== c) identified = { of: c, identities: deviceIdentities(servedDevices(c)) };
    const built = buildEdgeStatus({
      edgeId: config.edgeId,
      at: now(),
      agentVersion: AGENT_VERSION,
      configVersion: config.configVersion,
      log: logStats(),
      devices: devicesOf(ds),
      identities: identified.identities,
      channels: channelsOf(ds),
    });
    // Always listed (possibly empty): the central forgets a key once it is no longer here.
    return { ...built, pending: pending.list() };
  };
  const status = () => statusOf(config, drivers);
  const announce = (c: EdgeConfig, ds: readonly Driver[]) => {
    if (client.connected)
      client.publish(statusTopic, JSON.stringify(statusOf(c, ds)), { qos: 1, retain: true });
  };
  publishStatus = () => announce(config, drivers);
  publishSoon = publishStatus;
  // Connected already (the connect event came while the edge was opening its stores): now, before
  // the drivers start and read anything.
  publishStatus();
  let statusTimer = clock.setInterval(publishStatus, config.statusIntervalMs);
  statusTimer.unref();
  // prom-client is loaded, and latency observed, only once /metrics is enabled: an edge that
  // never serves it pays neither the memory nor the per-transaction histogram update.
  let metrics: EdgeMetrics | undefined;
  let metricsServer: MetricsServer | undefined;
  const serveMetricsOn = async (m: EdgeConfig['metrics']): Promise<MetricsServer> => {
    const health = await loadMetrics();
    metrics ??= new health.EdgeMetrics({
      devices,
      channels,
      rejections: () => gate.rejections(),
      log: logStats,
      uplinkConnected: () => uplink.stats().ready,
    });
    observe = metrics.observe;
    return health.serveMetrics(metrics, m.host, m.port);
  };
  try {
    for (const d of drivers) await d.start();
    if (config.metrics.enabled) metricsServer = await serveMetricsOn(config.metrics);
    // Meters bound while this edge was down (or before a crash mid-way): delivered now, once.
    await bindPending(config);
  } catch (err) {
    clock.clearInterval(statusTimer);
    await Promise.all(drivers.map((d) => d.close()));
    await pending.flush();
    uplink.stop();
    await client.endAsync();
    await log.close();
    throw err;
  }
  const command = async (deviceId: string, name: string, value?: number): Promise<void> => {
    const driver = drivers.find((d) => d.deviceIds().includes(deviceId));
    if (!driver?.command)
      throw new GridlinkError('GL_COMMAND_INVALID', `no device ${deviceId} that takes commands`);
    await driver.command(deviceId, name, value);
  };
  const commands = new CommandHandler({
    edgeId: config.edgeId,
    mqtt: client,
    execute: (c) => command(c.deviceId, c.command, c.value),
    logger: logger.child({ component: 'commands' }),
    clock,
  });
  commands.start();

  /**
   * Swaps the device side to `next` without a restart; the log, uplink and MQTT session stay.
   * Old drivers close first (a serial port or listening port can be held once); when the new
   * ones cannot start, the old config is started again and the error reported.
   */
  const apply = async (next: EdgeConfig): Promise<void> => {
    // Throws on unknown profiles: nothing changed. Push listeners whose settings did not change
    // are kept, with their connections (a seed E meter bound while connected goes on).
    const fresh = createDrivers(next, driverContext, drivers);
    const kept = new Set(fresh.filter((d) => drivers.includes(d)));
    await Promise.all(drivers.filter((d) => !kept.has(d)).map((d) => d.close()));
    // Its devices' kinds reach the central before any of their readings can.
    announce(next, fresh);
    try {
      for (const d of fresh) if (!kept.has(d)) await d.start();
    } catch (err) {
      await Promise.all(fresh.filter((d) => !kept.has(d)).map((d) => d.close()));
      const survivors = [...kept];
      drivers = createDrivers(config, driverContext, survivors);
      for (const d of survivors) if (!drivers.includes(d)) await d.close();
      for (const d of drivers)
        if (!survivors.includes(d))
          await d
            .start()
            .catch((e: Error) => logger.error({ err: e.message }, 'restoring a driver failed'));
      // The announced devices are not served after all: the running ones, at once.
      publishStatus();
      throw err;
    }
    drivers = fresh;
    const metricsChanged = JSON.stringify(next.metrics) !== JSON.stringify(config.metrics);
    if (next.statusIntervalMs !== config.statusIntervalMs) {
      clock.clearInterval(statusTimer);
      statusTimer = clock.setInterval(publishStatus, next.statusIntervalMs);
      statusTimer.unref();
    }
    config = next;
    // The new config serves the bound meters; only now do their buffered readings move.
    await bindPending(next);
    if (metricsChanged) {
      await metricsServer?.close();
      metricsServer = undefined;
      if (next.metrics.enabled)
        metricsServer = await serveMetricsOn(next.metrics).catch((e: Error) => {
          logger.warn({ err: e.message }, 'metrics endpoint not started');
          return undefined;
        });
    }
    publishStatus();
  };
  const remoteConfig = new RemoteConfig({
    edgeId: config.edgeId,
    mqtt: client,
    current: () => config,
    apply,
    logger: logger.child({ component: 'remote-config' }),
    clock,
  });
  remoteConfig.start();
  for (const key of ['udp', 'tcpJson'] as const)
    if (config[key].localTimeOffsetMinutes !== undefined)
      logger.warn(
        { key: `${key}.localTimeOffsetMinutes`, timeZone: config.timeZone },
        'deprecated: a fixed offset overrides timeZone for this listener (no daylight saving time); set timeZone instead',
      );
  logger.info(
    { devices: devices().length, epoch: log.epoch, mqtt: config.mqtt.url },
    'edge started',
  );

  return {
    get config() {
      return config;
    },
    remoteConfig,
    log,
    uplink,
    mqtt: client,
    get drivers() {
      return drivers;
    },
    commands,
    pending,
    get metrics() {
      return metrics;
    },
    get metricsPort() {
      return metricsServer?.port;
    },
    get pollers() {
      return drivers.map((d) => ({ stop: () => void d.close() }));
    },
    status,
    devices,
    command,
    flush: () => sink.flush(),
    async close() {
      clock.clearInterval(statusTimer);
      commands.stop();
      remoteConfig.stop();
      await metricsServer?.close();
      // Drivers first: polls still on the wire finish into the sink, then one last group commit.
      await Promise.all(drivers.map((d) => d.close()));
      await sink.close();
      await pending.flush();
      uplink.stop();
      if (client.connected) {
        await client
          .publishAsync(statusTopic, JSON.stringify({ edgeId: config.edgeId, online: false }), {
            qos: 1,
            retain: true,
          })
          .catch(() => undefined);
      }
      await client.endAsync();
      await log.close();
    },
  };
}
