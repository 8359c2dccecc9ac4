import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface CredentialBroker {
  port: number;
  url: string;
  /** Usernames the broker refused, in order (CONNACK 4). */
  readonly refused: string[];
  /** Resolves the next time a login is refused. */
  nextRefusal(): Promise<string>;
  /** A client logged in as `monitor` that records every message under `filter`. */
  monitor(filter: string): Promise<MessageLog>;
  close(): Promise<void>;
}

export interface MessageLog {
  /** The next message not yet taken, in arrival order. */
  next(): Promise<{ topic: string; payload: Record<string, unknown>; qos: number }>;
}

/**
 * A real aedes broker on port 0 whose authenticate hook checks username/password against
 * `users` (a table, or a function of the username; MQTT 3.1.1 §3.1.3.4-5); any other login gets CONNACK return code 4, bad user name
 * or password (§3.2.2.3). A `monitor` user is added for the test's own subscriber.
 */
export async function startCredentialBroker(
  users: Record<string, string> | ((username: string) => string | undefined),
): Promise<CredentialBroker> {
  const passwordOf = (user: string) =>
    user === 'monitor' ? 'monitor-pw' : typeof users === 'function' ? users(user) : users[user];
  const refused: string[] = [];
  let refusalWaiters: Array<(user: string) => void> = [];
  const aedes = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const user = username ?? '';
      const expected = passwordOf(user);
      if (expected !== undefined && expected === password?.toString('utf8')) {
        done(null, true);
        return;
      }
      refused.push(user);
      for (const w of refusalWaiters.splice(0)) w(user);
      done(
        Object.assign(new Error('bad user name or password'), {
          returnCode: 4,
        }) as AuthenticateError,
        false,
      );
    },
  });
  const server: Server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const url = `mqtt://127.0.0.1:${port}`;
  const clients: MqttClient[] = [];
  return {
    port,
    url,
    refused,
    nextRefusal: () => new Promise((resolve) => refusalWaiters.push(resolve)),
    async monitor(filter) {
      const client = await mqtt.connectAsync(url, {
        username: 'monitor',
        password: 'monitor-pw',
        reconnectPeriod: 0,
      });
      clients.push(client);
      const queue: Array<{ topic: string; payload: Record<string, unknown>; qos: number }> = [];
      let wake: (() => void) | undefined;
      client.on('message', (topic, payload, packet) => {
        queue.push({ topic, payload: JSON.parse(payload.toString()), qos: packet.qos });
        wake?.();
      });
      await client.subscribeAsync(filter, { qos: 1 });
      return {
        async next() {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          return queue.shift()!;
        },
      };
    },
    async close() {
      refusalWaiters = [];
      for (const c of clients.splice(0)) await c.endAsync(true);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
