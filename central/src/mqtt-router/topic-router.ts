import { assertTopicFilter, filtersOverlap, GridlinkError, topicMatches } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { BrokerLink } from './broker-link.js';

/**
 * Takes one message. Called on the broker's delivery path: hand the payload over (a queue, a
 * worker) and return; never block. A throw is logged, never reaches the broker.
 */
export type TopicHandler = (topic: string, payload: Buffer) => void;

export interface TopicRouterOptions {
  link: BrokerLink;
  logger: Logger;
  /** Messages no registered filter matches (`gridlink_mqtt_unrouted_total`). */
  unrouted: Pick<Counter, 'inc'>;
}

/**
 * The one owner of the central's MQTT subscriptions. A capability registers a handler per topic
 * filter (MQTT 3.1.1 §4.7); the router subscribes every filter through the broker link and hands
 * each message to the one handler whose filter matches. Filters may not overlap, so a message has
 * exactly one handler. A message no filter matches (another subscription of the service client's
 * session) is counted and logged at debug, never taken for bad telemetry.
 *
 * ```ts
 * router.register(allEdgesFilter('commands/result'), (topic, payload) => results.take(topic, payload));
 * ```
 */
export class TopicRouter {
  readonly #o: TopicRouterOptions;
  readonly #routes = new Map<string, TopicHandler>();
  #started = false;

  constructor(options: TopicRouterOptions) {
    this.#o = options;
    options.link.listen((topic, payload, filter) => this.#dispatch(topic, payload, filter));
  }

  /**
   * Routes messages matching `filter` to `handler`. Throws GL_TOPIC_INVALID for an invalid filter
   * or one that overlaps a registered filter. After start(), the filter is subscribed at once.
   */
  async register(filter: string, handler: TopicHandler): Promise<void> {
    assertTopicFilter(filter);
    for (const other of this.#routes.keys())
      if (filtersOverlap(filter, other))
        throw new GridlinkError(
          'GL_TOPIC_INVALID',
          `topic filter ${filter} overlaps ${other}, which already has a handler`,
        );
    this.#routes.set(filter, handler);
    if (this.#started) await this.#o.link.subscribe([filter]);
  }

  /** The broker link, for publishing (acks, commands, configs). */
  get link(): BrokerLink {
    return this.#o.link;
  }

  /** The registered filters, in registration order. */
  filters(): string[] {
    return [...this.#routes.keys()];
  }

  /** Subscribes every registered filter. */
  async start(): Promise<void> {
    this.#started = true;
    await this.#o.link.subscribe(this.filters());
  }

  /**
   * Takes no new messages: the broker hands them to the other centrals (BrokerLink.drain);
   * resolves once everything already routed here has reached its handler. Called first on a
   * graceful stop, so the handlers' own stops only finish what they took.
   */
  async drain(): Promise<void> {
    this.#started = false;
    const link = this.#o.link;
    await (link.drain ? link.drain() : link.unsubscribe());
  }

  async stop(): Promise<void> {
    this.#started = false;
    await this.#o.link.unsubscribe();
  }

  /** The handler for a topic, or undefined (exported for tests through the router's face). */
  handlerFor(topic: string): TopicHandler | undefined {
    for (const [filter, handler] of this.#routes) if (topicMatches(filter, topic)) return handler;
    return undefined;
  }

  #dispatch(topic: string, payload: Buffer, filter?: string): void {
    const handler = filter === undefined ? this.handlerFor(topic) : this.#routes.get(filter);
    if (!handler) {
      this.#o.unrouted.inc();
      this.#o.logger.debug({ topic: topic.slice(0, 200) }, 'MQTT message on no routed topic');
      return;
    }
    try {
      handler(topic, payload);
    } catch (err) {
      this.#o.logger.error(
        { code: 'GL_INTERNAL', topic: topic.slice(0, 200), err },
        'topic handler threw',
      );
    }
  }
}
