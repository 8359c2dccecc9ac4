import {
  allEdgesFilter,
  commandResultSchema,
  configAppliedSchema,
  type DesiredConfig,
  type DeviceCommand,
  desiredConfigSchema,
  edgeTopic,
  GridlinkError,
  isGridlinkError,
  parseEdgeTopic,
  parseJsonPayload,
  REMOTE_CONFIG_KEYS,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../storage/index.js';
import { checkCommand } from './command-check.js';
import {
  type CommandView,
  getCommand,
  insertCommand,
  markSent,
  recordResult,
} from './command-store.js';
import {
  type ConfigView,
  configView,
  edgeKnowledge,
  insertDesired,
  markPublished,
  recordApplied,
} from './desired-config-store.js';
import { knownDevices } from './edge-devices.js';

/** Where the control plane publishes: the central's broker link (mqtt-router `router.link`). */
export interface ControlLink {
  /** Resolves once the broker has the message (QoS 1). */
  publish(topic: string, payload: string, options?: { retain?: boolean }): Promise<void>;
}

export interface ControlPlaneOptions {
  db: Kysely<Schema>;
  link: ControlLink;
  logger: Logger;
  now?: () => Date;
  /** Largest result or applied message read (default 64 KiB). */
  maxPayloadBytes?: number;
}

/** The filters the control plane listens on (edge → central). */
export const CONTROL_FILTERS = [
  allEdgesFilter('commands/result'),
  allEdgesFilter('config/applied'),
] as const;

/**
 * The central acts on edges: device commands out on `…/commands` (QoS 1) with their results from
 * `…/commands/result`, desired configs out on `…/config` (QoS 1, retained) with the outcome from
 * `…/config/applied`. Everything sent is stored first, so what the API shows is what was asked.
 */
export class ControlPlane {
  readonly #o: ControlPlaneOptions;
  readonly #now: () => Date;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: ControlPlaneOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * The handler for every filter of CONTROL_FILTERS, for the central's topic router
   * (`router.register(filter, control.take)`): hands the message over and returns at once.
   */
  readonly take = (topic: string, payload: Buffer): void => {
    const p = this.handleMessage(topic, payload).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  };

  /** Publishes every edge's newest desired config again (retained); see republishDesired. */
  async start(): Promise<void> {
    await this.republishDesired();
  }

  /** Waits for the messages taken so far (the database closes after this). */
  async stop(): Promise<void> {
    await this.idle();
  }

  /** Resolves when every message received so far is handled. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * One message from an edge (`commands/result` or `config/applied`); never throws. The edge id
   * is the topic's: the broker lets an edge publish only under its own.
   */
  async handleMessage(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseEdgeTopic(topic);
    if (!parsed) return;
    const { edgeId, leaf } = parsed;
    const limit = this.#o.maxPayloadBytes ?? 64 * 1024;
    try {
      if (leaf === 'commands/result') {
        const result = parseJsonPayload(commandResultSchema, payload, limit);
        const stored = await recordResult(this.#o.db, edgeId, result, this.#now());
        if (!stored)
          this.#o.logger.debug({ edgeId, id: result.id }, 'result for no open command of edge');
      } else if (leaf === 'config/applied') {
        const applied = parseJsonPayload(configAppliedSchema, payload, limit);
        await recordApplied(this.#o.db, edgeId, applied, this.#now());
        if (!applied.ok)
          this.#o.logger.warn(
            { edgeId, version: applied.version, code: applied.error?.code },
            'edge refused a desired config',
          );
      }
    } catch (err) {
      const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
      this.#o.logger.warn(
        { edgeId, leaf, code, err: isGridlinkError(err) ? err.message : err },
        'control message not stored',
      );
    }
  }

  /**
   * Checks, stores and publishes a device command; resolves with it as stored (`sent` once the
   * broker has it; `pending` if publishing failed: the expiry sweep ends it).
   */
  async sendCommand(
    edgeId: string,
    request: { deviceId: string; command: string; value?: number },
    requestedBy: string,
  ): Promise<CommandView> {
    const known = await edgeKnowledge(this.#o.db, edgeId);
    if (!known) throw new GridlinkError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    const devices = knownDevices(known.desiredConfigs, known.status);
    checkCommand(edgeId, devices.get(request.deviceId), request);
    const stored = await insertCommand(
      this.#o.db,
      { edgeId, ...request, requestedBy },
      this.#now(),
    );
    const wire: DeviceCommand = {
      id: stored.id,
      deviceId: stored.deviceId,
      command: stored.command,
      ...(request.value === undefined ? {} : { value: request.value }),
    };
    try {
      await this.#o.link.publish(edgeTopic(edgeId, 'commands'), JSON.stringify(wire));
      await markSent(this.#o.db, stored.id, this.#now());
    } catch (err) {
      this.#o.logger.warn({ edgeId, id: stored.id, err }, 'command not published');
    }
    return (await getCommand(this.#o.db, edgeId, stored.id)) ?? stored;
  }

  /**
   * Stores a desired config version and publishes it retained. Versions only go up: a stale one
   * resolves `{stale: newest}` and nothing is sent. Keys the edge does not take remotely are
   * refused (GL_CONFIG_INVALID); the edge validates the rest and reports on `config/applied`.
   */
  async setDesiredConfig(
    edgeId: string,
    desired: DesiredConfig,
    setBy: string,
  ): Promise<{ view: ConfigView } | { stale: number }> {
    const extra = Object.keys(desired.config).filter(
      (k) => !(REMOTE_CONFIG_KEYS as readonly string[]).includes(k),
    );
    if (extra.length > 0)
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `config: ${extra.join(', ')}: not remotely configurable (allowed: ${REMOTE_CONFIG_KEYS.join(', ')})`,
        { keys: extra },
      );
    // The exact document the edge will parse.
    desiredConfigSchema.parse(desired);
    const exists = await edgeKnowledge(this.#o.db, edgeId);
    if (!exists) throw new GridlinkError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    const out = await insertDesired(
      this.#o.db,
      { edgeId, version: desired.version, config: desired.config, setBy },
      this.#now(),
    );
    if ('stale' in out) return out;
    await this.#publishDesired(edgeId, desired);
    return { view: (await configView(this.#o.db, edgeId)) as ConfigView };
  }

  /**
   * Publishes each edge's newest desired config again. The embedded broker keeps retained
   * messages in memory only, so after a restart an edge would otherwise never see its config;
   * an edge answers a version it already runs without applying it again.
   */
  async republishDesired(): Promise<number> {
    const rows = await this.#o.db
      .selectFrom('edge_desired_configs')
      .distinctOn('edge_id')
      .select(['edge_id', 'version', 'config'])
      .orderBy('edge_id')
      .orderBy('version', 'desc')
      .execute();
    for (const r of rows)
      await this.#publishDesired(r.edge_id, { version: r.version, config: r.config });
    return rows.length;
  }

  async #publishDesired(edgeId: string, desired: DesiredConfig): Promise<void> {
    try {
      await this.#o.link.publish(edgeTopic(edgeId, 'config'), JSON.stringify(desired), {
        retain: true,
      });
      await markPublished(this.#o.db, edgeId, desired.version, this.#now());
    } catch (err) {
      this.#o.logger.warn(
        { edgeId, version: desired.version, err },
        'desired config not published',
      );
    }
  }
}
