import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type Bound, type Clock, listen, systemClock } from '@gridlink/shared';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { addressBlock } from '../auth/index.js';
import { type MqttLimits, mqttLimitsSchema } from '../config/index.js';
import { CONNACK, decideConnect, type Refusal } from './connect-policy.js';
import { ConnectRate } from './connect-rate.js';
import { type Breach, ConnectionGuard } from './connection-guard.js';
import { canPublish, canSubscribe, stationRequestProblem } from './policy.js';
import { describePrincipal, type MqttPrincipal } from './principals.js';
import { EdgeSessions } from './sessions.js';

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  fallback?: boolean;
  /** Resolves a CONNECT's username/password to a principal, or undefined to refuse. */
  authenticate: (username: string, password: string) => Promise<MqttPrincipal | undefined>;
  /**
   * Anonymous station clients (seed B), where the operator enables them: the principal a CONNECT
   * without username and password becomes, by client id (authenticator.ts `anonymousStations`).
   * Absent: anonymous clients are refused.
   */
  anonymous?: (clientId: string) => Promise<MqttPrincipal | undefined>;
  /** Hard cap on one PUBLISH payload; larger ones are refused at the broker. */
  maxPayloadBytes: number;
  /** Client-id, session, packet and connection-rate limits; absent keys take the config defaults. */
  limits?: Partial<MqttLimits>;
  /** Where refusals are counted (`gridlink_mqtt_connections_refused_total{reason}`). */
  metrics?: { mqttRefused: Counter<'reason'>; mqttConnections?: Gauge<'kind'> };
  /** Clock for the connection-rate buckets and the rate log's interval; default the system's. */
  clock?: Clock;
  logger: Logger;
}

export interface EmbeddedBroker {
  readonly bound: Bound;
  readonly url: string;
  readonly aedes: Aedes;
  close(): Promise<void>;
}

/**
 * A PUBLISH packet around a payload of `maxPayloadBytes`: topic (≤ 65,535 bytes and its 2-byte
 * length, MQTT 3.1.1 §3.3.2.1) and packet identifier (2 bytes). The fixed header is added by the
 * guard's count.
 */
const PUBLISH_OVERHEAD = 2 + 65_535 + 2;

/** Metric label of each refusal code. */
const REFUSAL_REASON: Record<string, string> = {
  GL_MQTT_AUTH_FAILED: 'auth_failed',
  GL_MQTT_CLIENT_ID_DENIED: 'client_id_denied',
  GL_MQTT_SESSION_LIMIT: 'session_limit',
  GL_INTERNAL: 'auth_unavailable',
};

/**
 * An aedes broker on a TCP port, where every client authenticates, connects under a client id of
 * its own, holds a bounded number of sessions and stays in its own topics; where no one can make
 * it buffer a large packet before authenticating, and one address cannot flood it with
 * connections (docs/SECURITY.md, "MQTT: identities, sessions and limits").
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger;
  const limits = mqttLimitsSchema.parse(options.limits ?? {});
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const refused = (reason: string) => options.metrics?.mqttRefused.inc({ reason });
  const principals = new WeakMap<Client, MqttPrincipal>();
  const guards = new WeakMap<Client, { guard: ConnectionGuard; address: string }>();
  const sessions = new EdgeSessions<Client>(limits.sessionsPerEdge);

  const refuse = (client: Client, refusal: Refusal, done: (err: AuthenticateError) => void) => {
    const fields = {
      code: refusal.code,
      who: refusal.who,
      clientId: client.id.slice(0, 64),
      address: guards.get(client)?.address,
      ...refusal.details,
    };
    if (refusal.err) log.error({ ...fields, err: refusal.err }, refusal.message);
    else log.warn(fields, `MQTT CONNECT refused: ${refusal.message}`);
    refused(REFUSAL_REASON[refusal.code] ?? 'other');
    // aedes closes a refused client by its id, and that cleans the id's inbound QoS 2 store
    // (MQTT-3.1.2-6): the id it asked for may be a live session's, so the refused one leaves
    // under an id of its own.
    (client as { id: string }).id = `refused-${randomUUID()}`;
    done(Object.assign(new Error(refusal.message), { returnCode: refusal.returnCode }));
  };

  /**
   * Takes a session place for a client, or says why not: every principal but the service holds
   * at most `sessionsPerEdge` client ids (an edge's, a car's or an operator's `:{suffix}` ids).
   */
  const admit = (client: Client, principal: MqttPrincipal): Refusal | undefined => {
    if (principal.kind === 'service') return undefined;
    const admitted = sessions.admit(describePrincipal(principal), client.id, client);
    if (!admitted.ok)
      return {
        returnCode: CONNACK.serverUnavailable,
        code: 'GL_MQTT_SESSION_LIMIT',
        message: 'session limit',
        who: describePrincipal(principal),
        details: { sessions: admitted.sessions, limit: limits.sessionsPerEdge },
      };
    // The socket may have gone while the credentials were checked: nothing to hold then.
    if (client.conn.destroyed) sessions.release(client);
    return undefined;
  };

  const aedes = await Aedes.createBroker({
    // A frozen subscriber must not stall delivery to everyone else.
    drainTimeout: 10_000,
    authenticate: (client, username, password, done) => {
      void decideConnect(
        options.authenticate,
        { clientId: client.id, username, password: password ?? undefined },
        options.anonymous,
      ).then((verdict) => {
        const refusal = verdict.ok ? admit(client, verdict.principal) : verdict.refusal;
        if (refusal) return refuse(client, refusal, (err) => done(err, false));
        if (verdict.ok) principals.set(client, verdict.principal);
        guards.get(client)?.guard.markAuthenticated();
        done(null, true);
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
      const mismatch = stationRequestProblem(principal, packet.topic, packet.payload);
      if (mismatch) {
        log.warn(
          {
            code: 'GL_MQTT_PUBLISH_DENIED',
            who: describePrincipal(principal),
            topic: packet.topic,
            reason: mismatch,
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
  // A session ends when aedes unregisters its client (also when a takeover closes it); a client
  // that never got that far is let go when its socket closes.
  aedes.on('clientDisconnect', (client) => sessions.release(client));
  // `gridlink_mqtt_connections{kind}`: up when aedes registers an authenticated client, down
  // when it unregisters it (a takeover or a disconnect), once per client.
  const counted = new WeakMap<Client, string>();
  aedes.on('client', (client) => {
    const kind = principals.get(client)?.kind;
    if (!kind || counted.has(client)) return;
    counted.set(client, kind);
    options.metrics?.mqttConnections?.inc({ kind });
  });
  aedes.on('clientDisconnect', (client) => {
    const kind = counted.get(client);
    if (kind === undefined) return;
    counted.delete(client);
    options.metrics?.mqttConnections?.dec({ kind });
  });

  const rate = new ConnectRate({
    burst: limits.connectRate.burst,
    perSecond: limits.connectRate.perSecond,
    clock,
  });
  let rateLoggedAt = Number.NEGATIVE_INFINITY;
  let rateRefusals = 0;
  const maxPacketBytes = options.maxPayloadBytes + PUBLISH_OVERHEAD;

  const accept = (socket: Socket) => {
    const address = addressBlock(socket.remoteAddress);
    if (!rate.take(address)) {
      // Closed without a CONNACK: MQTT.js gives up for good on a refusing CONNACK (unless
      // reconnectOnConnackError), but retries a dropped connection after its reconnect period.
      socket.on('error', () => undefined);
      socket.destroy();
      refused('rate_limited');
      rateRefusals++;
      if (now() - rateLoggedAt >= limits.connectRate.logIntervalMs) {
        log.warn(
          { code: 'GL_RATE_LIMITED', address, refused: rateRefusals },
          'MQTT connections refused: too many from one address',
        );
        rateLoggedAt = now();
        rateRefusals = 0;
      }
      return;
    }
    const client = aedes.handle(socket);
    socket.once('close', () => sessions.release(client));
    const guard = new ConnectionGuard(
      socket,
      { preAuthBytes: limits.preAuthBytes, maxPacketBytes },
      (breach) => onBreach(breach, client, address),
    );
    guards.set(client, { guard, address });
  };
  const onBreach = (breach: Breach, client: Client, address: string) => {
    const principal = principals.get(client);
    log.warn(
      {
        code: 'GL_PAYLOAD_TOO_LARGE',
        who: principal && describePrincipal(principal),
        address,
        ...breach,
      },
      breach.stage === 'pre-auth'
        ? 'MQTT connection cut before authentication: packet limit'
        : 'MQTT connection cut: packet limit',
    );
    refused(breach.stage === 'pre-auth' ? 'pre_auth_limit' : 'packet_limit');
  };

  const server: Server = createServer(accept);
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
