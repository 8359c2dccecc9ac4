import { join } from 'node:path';
import { type EdgeStatus, edgeTopic, getProfile } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';
import { type EdgeConfig, type EdgeConfigInput, parseEdgeConfig } from '../config/index.js';
import { openReadingLog, type ReadingLog } from '../log/index.js';
import { ModbusTcpLink } from '../modbus/index.js';
import { DevicePoller } from '../poller/index.js';
import { Uplink } from '../uplink/index.js';
import { ReadingSink } from './reading-sink.js';

export const AGENT_VERSION = '0.1.0';

export interface EdgeAgent {
  readonly config: EdgeConfig;
  readonly log: ReadingLog;
  readonly uplink: Uplink;
  readonly mqtt: MqttClient;
  readonly pollers: readonly DevicePoller[];
  status(): EdgeStatus;
  /** Commits readings still buffered in memory. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface StartEdgeOptions {
  logger?: Logger;
}

/**
 * The edge agent: pollers → group commit into the log → uplink. The MQTT connection is started
 * without waiting: an edge whose central is unreachable keeps polling and buffering.
 */
export async function startEdge(
  input: EdgeConfigInput | EdgeConfig,
  options: StartEdgeOptions = {},
): Promise<EdgeAgent> {
  const config = parseEdgeConfig(input);
  const logger = options.logger ?? pino({ base: { svc: 'edge', edgeId: config.edgeId } });
  const log = await openReadingLog({
    dir: join(config.dataDir, 'log'),
    sync: config.log.sync,
    maxBytes: config.log.maxBytes,
    maxAgeMs: config.log.maxAgeDays * 86_400_000,
  });
  const statusTopic = edgeTopic(config.edgeId, 'status');
  const client = mqtt.connect(config.mqtt.url, {
    username: config.mqtt.username ?? config.edgeId,
    password: config.mqtt.password,
    clientId: `edge-${config.edgeId}`,
    keepalive: config.mqtt.keepaliveS,
    clean: true,
    will: {
      topic: statusTopic,
      payload: Buffer.from(JSON.stringify({ edgeId: config.edgeId, online: false })),
      qos: 1,
      retain: true,
    },
  });
  client.on('error', (err) => logger.warn({ err: err.message }, 'MQTT error'));

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
  });
  uplink.start();
  const sink = new ReadingSink(log, () => uplink.notify(), logger.child({ component: 'log' }));

  // One link (one connection, one transaction queue) per host:port: devices behind one gateway share it.
  const links = new Map<string, ModbusTcpLink>();
  const pollers = config.devices.map((device) => {
    const key = `${device.host}:${device.port}`;
    let link = links.get(key);
    if (!link) {
      link = new ModbusTcpLink(device.host, device.port);
      links.set(key, link);
    }
    return new DevicePoller({
      device,
      profile: getProfile(device.profile),
      link,
      onReading: (r) => sink.push(r),
      logger: logger.child({ component: 'poller' }),
    });
  });
  for (const p of pollers) p.start();

  const status = (): EdgeStatus => {
    const s = log.stats();
    return {
      edgeId: config.edgeId,
      online: true,
      at: Date.now(),
      agentVersion: AGENT_VERSION,
      configVersion: config.configVersion,
      log: {
        epoch: s.epoch,
        lastSeq: s.lastSeq,
        ackedUpTo: s.ackedUpTo,
        pending: s.pending,
        dropped: s.dropped,
      },
      devices: pollers.map((p) => p.health),
    };
  };
  const publishStatus = () => {
    if (client.connected)
      client.publish(statusTopic, JSON.stringify(status()), { qos: 1, retain: true });
  };
  client.on('connect', publishStatus);
  const statusTimer = setInterval(publishStatus, config.statusIntervalMs);
  statusTimer.unref();
  logger.info({ devices: pollers.length, epoch: log.epoch, mqtt: config.mqtt.url }, 'edge started');

  return {
    config,
    log,
    uplink,
    mqtt: client,
    pollers,
    status,
    flush: () => sink.flush(),
    async close() {
      clearInterval(statusTimer);
      for (const p of pollers) p.stop();
      await sink.flush();
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
      await Promise.all([...links.values()].map((l) => l.close()));
      await log.close();
    },
  };
}
