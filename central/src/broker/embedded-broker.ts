import { createServer, type Server } from 'node:net';
import { type Bound, listen } from '@gridlink/shared';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { canPublish, canSubscribe, describePrincipal, type MqttPrincipal } from './acl.js';

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  fallback?: boolean;
  /** Resolves a CONNECT's username/password to a principal, or undefined to refuse. */
  authenticate: (username: string, password: string) => Promise<MqttPrincipal | undefined>;
  /** Hard cap on one PUBLISH payload; larger ones are refused at the broker. */
  maxPayloadBytes: number;
  logger: Logger;
}

export interface EmbeddedBroker {
  readonly bound: Bound;
  readonly url: string;
  readonly aedes: Aedes;
  close(): Promise<void>;
}

function authError(message: string): AuthenticateError {
  // CONNACK return code 4, bad user name or password (MQTT 3.1.1 §3.2.2.3).
  return Object.assign(new Error(message), { returnCode: 4 as const }) as AuthenticateError;
}

/** An aedes broker on a TCP port, where every client authenticates and stays in its own topics. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger;
  const principals = new WeakMap<Client, MqttPrincipal>();
  const aedes = await Aedes.createBroker({
    // A frozen subscriber must not stall delivery to everyone else.
    drainTimeout: 10_000,
    authenticate: (client, username, password, done) => {
      if (!username || !password) {
        log.warn(
          { code: 'GL_MQTT_AUTH_FAILED', clientId: client.id.slice(0, 64) },
          'anonymous MQTT client refused',
        );
        done(authError('anonymous clients are not allowed'), false);
        return;
      }
      options
        .authenticate(username, password.toString('utf8'))
        .then((principal) => {
          if (!principal) {
            log.warn(
              { code: 'GL_MQTT_AUTH_FAILED', clientId: client.id.slice(0, 64) },
              'MQTT credentials refused',
            );
            done(authError('bad user name or password'), false);
            return;
          }
          principals.set(client, principal);
          done(null, true);
        })
        .catch((err: Error) => {
          log.error({ code: 'GL_INTERNAL', err }, 'MQTT authentication failed');
          done(authError('authentication unavailable'), false);
        });
    },
    authorizePublish: (client, packet, callback) => {
      if (!client) return callback(null); // the broker's own publishes (wills are checked below)
      const principal = principals.get(client);
      if (!principal || !canPublish(principal, packet.topic)) {
        log.warn(
          {
            code: 'GL_MQTT_PUBLISH_DENIED',
            who: principal && describePrincipal(principal),
            topic: packet.topic.slice(0, 200),
          },
          'publish denied',
        );
        return callback(new Error('publish denied'));
      }
      if (packet.payload.length > options.maxPayloadBytes) {
        log.warn(
          {
            code: 'GL_PAYLOAD_TOO_LARGE',
            who: describePrincipal(principal),
            bytes: packet.payload.length,
          },
          'publish too large',
        );
        return callback(new Error('payload too large'));
      }
      callback(null);
    },
    authorizeSubscribe: (client, sub, callback) => {
      const principal = principals.get(client);
      if (!principal || !canSubscribe(principal, sub.topic)) {
        log.warn(
          {
            code: 'GL_MQTT_SUBSCRIBE_DENIED',
            who: principal && describePrincipal(principal),
            topic: sub.topic.slice(0, 200),
          },
          'subscribe denied',
        );
        // Granted QoS 0x80 = failure (MQTT-3.9.3): a null subscription tells aedes to refuse it.
        return callback(null, null);
      }
      callback(null, sub);
    },
  });
  aedes.on('clientError', (client, err) =>
    log.debug({ clientId: client.id.slice(0, 64), err: err.message }, 'MQTT client error'),
  );
  const server: Server = createServer(aedes.handle);
  const bound = await listen(server, {
    port: options.port,
    host: options.host ?? '127.0.0.1',
    fallback: options.fallback ?? false,
  });
  return {
    bound,
    url: `mqtt://${bound.host}:${bound.port}`,
    aedes,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
