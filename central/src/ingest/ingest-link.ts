import type { Aedes, AedesPublishPacket } from 'aedes';
import type { MqttClient } from 'mqtt';

export type IngestHandler = (topic: string, payload: Buffer) => void;

/**
 * Where the ingest meets the broker: it receives the edges' telemetry and status, and publishes
 * their acks (QoS 1).
 */
export interface IngestLink {
  subscribe(filters: readonly string[], onMessage: IngestHandler): Promise<void>;
  unsubscribe(): Promise<void>;
  /** Resolves once the broker has the message. */
  publish(topic: string, payload: string): Promise<void>;
}

/**
 * An external broker, through the central's MQTT client. `prefix` (e.g. `$share/gridlink/`) makes
 * several centrals split the subscription.
 */
export function clientIngestLink(client: MqttClient, prefix = ''): IngestLink {
  let listener: IngestHandler | undefined;
  return {
    async subscribe(filters, onMessage) {
      listener = onMessage;
      client.on('message', onMessage);
      await client.subscribeAsync(
        filters.map((f) => prefix + f),
        { qos: 1 },
      );
    },
    async unsubscribe() {
      if (listener) client.off('message', listener);
      listener = undefined;
    },
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
  };
}

type Deliver = (packet: AedesPublishPacket, done: () => void) => void;

/**
 * The embedded broker, subscribed inside aedes. A batch reaches the decoder while aedes parses
 * it: no second trip through a loopback socket and mqtt.js's parser, and no wait for the main
 * thread to read that socket.
 */
export function aedesIngestLink(aedes: Aedes): IngestLink {
  const subscriptions: Array<{ filter: string; deliver: Deliver }> = [];
  return {
    async subscribe(filters, onMessage) {
      await Promise.all(
        filters.map(
          (filter) =>
            new Promise<void>((resolve) => {
              const deliver: Deliver = (packet, done) => {
                // Handed over, not processed: aedes goes on with the edge's next packet at once.
                done();
                const { payload } = packet;
                onMessage(
                  packet.topic,
                  typeof payload === 'string' ? Buffer.from(payload) : payload,
                );
              };
              subscriptions.push({ filter, deliver });
              aedes.subscribe(filter, deliver, resolve);
            }),
        ),
      );
    },
    async unsubscribe() {
      const all = subscriptions.splice(0);
      await Promise.all(
        all.map(
          ({ filter, deliver }) =>
            new Promise<void>((resolve) => aedes.unsubscribe(filter, deliver, resolve)),
        ),
      );
    },
    publish(topic, payload) {
      return new Promise<void>((resolve, reject) =>
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.from(payload),
            qos: 1,
            retain: false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    },
  };
}
