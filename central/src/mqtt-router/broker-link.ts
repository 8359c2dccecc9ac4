import type { Aedes, AedesPublishPacket } from 'aedes';
import type { MqttClient } from 'mqtt';

/**
 * A message as a link hands it to the router. `filter` is the subscription it came through when
 * the link knows it (the embedded broker calls one function per subscription); otherwise the
 * router matches the topic itself.
 */
export type Delivery = (topic: string, payload: Buffer, filter?: string) => void;

/**
 * Where the central meets the broker: the router subscribes through it (QoS 1) and every part of
 * the central publishes through it. Only the router subscribes.
 */
export interface BrokerLink {
  /** Sets where messages go; called once, before the first subscribe. */
  listen(deliver: Delivery): void;
  subscribe(filters: readonly string[]): Promise<void>;
  /** Stops delivery (the external broker's subscriptions end with the session). */
  unsubscribe(): Promise<void>;
  /** Resolves once the broker has the message (QoS 1; `retain` for desired configs). */
  publish(topic: string, payload: string, options?: { retain?: boolean }): Promise<void>;
}

/**
 * An external broker, through the central's MQTT client. `prefix` (e.g. `$share/gridlink/`) makes
 * several centrals split the subscriptions. The client's `message` event carries every message of
 * its session, whichever subscription it came through: the router matches it to a handler.
 */
export function clientLink(client: MqttClient, prefix = ''): BrokerLink {
  let deliver: Delivery | undefined;
  const onMessage = (topic: string, payload: Buffer) => deliver?.(topic, payload);
  return {
    listen(d) {
      deliver = d;
      client.on('message', onMessage);
    },
    async subscribe(filters) {
      await client.subscribeAsync(
        filters.map((f) => prefix + f),
        { qos: 1 },
      );
    },
    async unsubscribe() {
      client.off('message', onMessage);
      deliver = undefined;
    },
    async publish(topic, payload, options) {
      await client.publishAsync(topic, payload, { qos: 1, retain: options?.retain ?? false });
    },
  };
}

type AedesDeliver = (packet: AedesPublishPacket, done: () => void) => void;

/**
 * The embedded broker, subscribed inside aedes. A batch reaches the decoder while aedes parses
 * it: no second trip through a loopback socket and mqtt.js's parser, and no wait for the main
 * thread to read that socket. Each subscription names its filter, so the router looks nothing up.
 */
export function aedesLink(aedes: Aedes): BrokerLink {
  const subscriptions: Array<{ filter: string; fn: AedesDeliver }> = [];
  let deliver: Delivery | undefined;
  return {
    listen(d) {
      deliver = d;
    },
    async subscribe(filters) {
      await Promise.all(
        filters.map(
          (filter) =>
            new Promise<void>((resolve) => {
              const fn: AedesDeliver = (packet, done) => {
                // Handed over, not processed: aedes goes on with the edge's next packet at once.
                done();
                const { payload } = packet;
                deliver?.(
                  packet.topic,
                  typeof payload === 'string' ? Buffer.from(payload) : payload,
                  filter,
                );
              };
              subscriptions.push({ filter, fn });
              aedes.subscribe(filter, fn, resolve);
            }),
        ),
      );
    },
    async unsubscribe() {
      const all = subscriptions.splice(0);
      deliver = undefined;
      await Promise.all(
        all.map(
          ({ filter, fn }) =>
            new Promise<void>((resolve) => aedes.unsubscribe(filter, fn, resolve)),
        ),
      );
    },
    publish(topic, payload, options) {
      return new Promise<void>((resolve, reject) =>
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.from(payload),
            qos: 1,
            retain: options?.retain ?? false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
  };
}
