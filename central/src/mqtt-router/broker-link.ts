import { randomBytes } from 'node:crypto';
import { TOPIC_ROOT } from '@gridlink/shared';
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
  /**
   * The first step of a graceful stop: ends every subscription, so the broker gives new messages
   * to the other centrals of the share group, and resolves once every message it had already
   * routed here has been handed to `deliver` (delivery goes on until then). Handlers then finish
   * what they took; nothing the broker acknowledged to a sender is dropped. A decorator that
   * leaves it out gets `unsubscribe` instead (the router's fallback).
   */
  drain?(): Promise<void>;
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
  const subscribed = new Set<string>();
  /** The drain's marker topic and what to call when it comes back (see drain). */
  let marker: { topic: string; arrived: () => void } | undefined;
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic === marker?.topic) return marker.arrived();
    deliver?.(topic, payload);
  };
  return {
    listen(d) {
      deliver = d;
      client.on('message', onMessage);
    },
    async subscribe(filters) {
      const prefixed = filters.map((f) => prefix + f);
      await client.subscribeAsync(prefixed, { qos: 1 });
      for (const f of prefixed) subscribed.add(f);
    },
    async drain() {
      // Disconnected, the clean session is gone and nothing is queued for it.
      if (!client.connected) {
        subscribed.clear();
        return;
      }
      if (subscribed.size > 0) await client.unsubscribeAsync([...subscribed]);
      subscribed.clear();
      // After the UNSUBACK the broker routes nothing new here (MQTT 3.1.1 §3.10.4), but messages
      // it routed before may still sit in this session's queue. A marker published to a topic
      // only this session reads joins the back of that queue (Mosquitto and EMQX deliver a
      // session's queue in order, §4.6): when it comes back, everything ahead of it has arrived.
      const topic = `${TOPIC_ROOT}/centrals/${randomBytes(9).toString('base64url')}/drained`;
      const arrived = new Promise<void>((resolve) => {
        marker = { topic, arrived: resolve };
      });
      await client.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, '', { qos: 1 });
      await arrived;
      marker = undefined;
      await client.unsubscribeAsync(topic);
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
  const unsubscribe = async () => {
    const all = subscriptions.splice(0);
    deliver = undefined;
    await Promise.all(
      all.map(
        ({ filter, fn }) => new Promise<void>((resolve) => aedes.unsubscribe(filter, fn, resolve)),
      ),
    );
  };
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
    // aedes calls a subscription's function synchronously while it routes: once unsubscribed,
    // nothing more is on its way.
    drain: unsubscribe,
    unsubscribe,
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
