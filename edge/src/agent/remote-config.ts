import {
  type Clock,
  type ConfigApplied,
  type DesiredConfig,
  desiredConfigSchema,
  edgeTopic,
  GridlinkError,
  isGridlinkError,
  parseJsonPayload,
  REMOTE_CONFIG_KEYS,
  systemClock,
} from '@gridlink/shared';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type EdgeConfig, parseEdgeConfig } from '../config/index.js';

/** Builds the config a desired document asks for (pure). Throws GL_CONFIG_INVALID. */
export function mergeDesired(local: EdgeConfig, desired: DesiredConfig): EdgeConfig {
  const extra = Object.keys(desired.config).filter(
    (k) => !(REMOTE_CONFIG_KEYS as readonly string[]).includes(k),
  );
  if (extra.length > 0)
    throw new GridlinkError(
      'GL_CONFIG_INVALID',
      `remote config v${desired.version}: ${extra.join(', ')}: not remotely configurable (allowed: ${REMOTE_CONFIG_KEYS.join(', ')})`,
    );
  return parseEdgeConfig(
    { ...local, ...desired.config, configVersion: desired.version },
    `remote config v${desired.version}`,
  );
}

export interface RemoteConfigOptions {
  edgeId: string;
  mqtt: MqttClient;
  current: () => EdgeConfig;
  /** Swaps the running device side to `next`; rejects (and keeps the old one) when it cannot. */
  apply: (next: EdgeConfig) => Promise<void>;
  logger: Logger;
  /** Times of the applied reports; default the system clock. */
  clock?: Clock;
}

/**
 * Follows the retained desired config. A version at or below the running one is acknowledged
 * again, not re-applied (the retained message comes back on every reconnect). Applies are
 * serialized; the readings log is never touched.
 */
export class RemoteConfig {
  readonly #o: RemoteConfigOptions;
  readonly #topic: string;
  readonly #appliedTopic: string;
  #chain: Promise<unknown> = Promise.resolve();
  #last: ConfigApplied | undefined;

  constructor(options: RemoteConfigOptions) {
    this.#o = options;
    this.#topic = edgeTopic(options.edgeId, 'config');
    this.#appliedTopic = edgeTopic(options.edgeId, 'config/applied');
  }

  get last(): ConfigApplied | undefined {
    return this.#last;
  }

  start(): void {
    this.#o.mqtt.on('connect', this.#onConnect);
    this.#o.mqtt.on('message', this.#onMessage);
    if (this.#o.mqtt.connected) this.#onConnect();
  }

  stop(): void {
    this.#o.mqtt.off('connect', this.#onConnect);
    this.#o.mqtt.off('message', this.#onMessage);
  }

  /** Handles one desired-config payload; resolves with the outcome it published. */
  handle(payload: Buffer | string): Promise<ConfigApplied> {
    const run = this.#chain.then(() => this.#handle(payload));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #handle(payload: Buffer | string): Promise<ConfigApplied> {
    const running = this.#o.current().configVersion;
    let result: ConfigApplied;
    let desired: DesiredConfig | undefined;
    try {
      desired = parseJsonPayload(desiredConfigSchema, payload, 1024 * 1024);
      if (desired.version <= running) {
        result = {
          version: desired.version,
          ok: desired.version === running,
          running,
          at: this.#now(),
        };
        if (desired.version < running)
          result.error = {
            code: 'GL_CONFIG_INVALID',
            message: `version ${desired.version} is older than running ${running}`,
          };
      } else {
        const next = mergeDesired(this.#o.current(), desired);
        await this.#o.apply(next);
        result = { version: desired.version, ok: true, running: desired.version, at: this.#now() };
        this.#o.logger.info(
          { version: desired.version, devices: next.devices.length },
          'remote config applied',
        );
      }
    } catch (err) {
      const e = isGridlinkError(err)
        ? err
        : new GridlinkError('GL_INTERNAL', 'applying remote config failed');
      result = {
        version: desired?.version ?? 0,
        ok: false,
        running: this.#o.current().configVersion,
        error: { code: e.code, message: e.message.slice(0, 1000) },
        at: this.#now(),
      };
      this.#o.logger.warn({ code: e.code, version: desired?.version }, 'remote config refused');
    }
    this.#last = result;
    this.#o.mqtt.publish(this.#appliedTopic, JSON.stringify(result), { qos: 1, retain: true });
    return result;
  }

  #now(): number {
    return (this.#o.clock ?? systemClock).now();
  }

  readonly #onConnect = (): void => {
    this.#o.mqtt.subscribe(this.#topic, { qos: 1 }, (err) => {
      if (err) this.#o.logger.warn({ err: err.message }, 'cannot subscribe to remote config');
    });
  };

  readonly #onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== this.#topic || payload.length === 0) return;
    void this.handle(payload);
  };
}
