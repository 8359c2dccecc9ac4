import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type Database,
  hashSecret,
  listMqttCredentials,
  mqttAuthenticator,
  openDatabase,
  startEmbeddedBroker,
  upsertEdgeCredential,
  upsertMqttCredential,
  verifyEdgeCredential,
} from '@gridlink/central';
import {
  type CredentialKind,
  canPublish,
  canSubscribe,
  type MqttPrincipal,
  renderMosquittoAcl,
} from '@gridlink/central/mqtt-policy';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclFor, defaultAclPath, defaultPrincipalsPath } from '../mosquitto/generate.js';
import { mosquittoInstalled, type RunningMosquitto, startMosquitto } from './helpers/mosquitto.js';

/**
 * One table of MQTT policy cases (docs/SECURITY.md, "MQTT: principals and policy"), run three
 * ways that must all give the table's answer: the policy's evaluator (canPublish/canSubscribe),
 * the embedded aedes broker with its real authenticator over PGlite, and a real Mosquitto
 * started from the ACL the generator writes for the same credentials. Real MQTT.js clients.
 * What counts is delivery, seen by a privileged subscriber (the service): Mosquitto drops a
 * denied QoS 0/1 publish silently (MQTT 3.1.1 has no negative PUBACK) where aedes disconnects.
 */
// The third way needs the mosquitto binaries: a failure under CI=true, a loud skip elsewhere (the
// evaluator and aedes halves still run).
if (!mosquittoInstalled && process.env.CI === 'true')
  throw new Error('the MQTT policy agreement suite needs mosquitto under CI=true');
if (!mosquittoInstalled)
  console.warn(
    '\n*** mosquitto missing: SKIPPING the Mosquitto third of the MQTT policy agreement suite. ***\n',
  );

type Who = 'service' | 'edge' | 'car' | 'station' | 'operator' | 'peer';
interface Case {
  who: Who;
  action: 'publish' | 'subscribe';
  /** A topic name to publish to, or a filter to subscribe to. */
  topic: string;
  /** For a subscription: the topic the service publishes to see whether it is delivered. */
  probe?: string;
  allow: boolean;
}

const PLATE = 'ABC1D23';
const principals: Record<Who, MqttPrincipal> = {
  service: { kind: 'service', name: 'central' },
  edge: { kind: 'edge', edgeId: 'site-7' },
  car: { kind: 'car', plate: PLATE },
  station: { kind: 'station', clientId: 'st-1' },
  operator: { kind: 'operator', name: 'ops' },
  peer: { kind: 'peer', name: 'acme' },
};
const pub = (who: Who, topic: string, allow: boolean): Case => ({
  who,
  action: 'publish',
  topic,
  allow,
});
const sub = (who: Who, topic: string, allow: boolean, probe = topic): Case => ({
  who,
  action: 'subscribe',
  topic,
  probe,
  allow,
});

const CASES: Case[] = [
  // An edge: its own upstream leaves out, its downstream leaves in; nothing of another edge.
  pub('edge', 'gl/v1/edges/site-7/telemetry', true),
  pub('edge', 'gl/v1/edges/site-7/commands/result', true),
  pub('edge', 'gl/v1/edges/site-8/telemetry', false),
  pub('edge', 'gl/v1/edges/site-7/ack', false), // forging its own acks
  pub('edge', 'carros/site-7/status', false), // an edge is not a car
  sub('edge', 'gl/v1/edges/site-7/commands', true),
  sub('edge', 'gl/v1/edges/site-7/config', true),
  sub('edge', 'gl/v1/edges/#', false, 'gl/v1/edges/site-8/commands'),
  sub('edge', 'gl/v1/edges/+/ack', false, 'gl/v1/edges/site-8/ack'),
  sub('edge', 'gl/v1/+/site-8/commands', false, 'gl/v1/edges/site-8/commands'),
  sub('edge', 'gl/v1/edges/site-7/#', false, 'gl/v1/edges/site-7/telemetry'),
  sub('edge', '#', false, 'gl/v1/edges/site-8/commands'),
  // A car: its own status and battery out, availability in.
  pub('car', `carros/${PLATE}/status`, true),
  pub('car', `carros/${PLATE}/bateria`, true),
  pub('car', 'carros/XYZ9Z99/status', false), // another car's status
  pub('car', 'gl/v1/edges/site-7/telemetry', false),
  pub('car', `gl/v1/edges/car@${PLATE}/telemetry`, false), // the edges' %u patterns at its name
  pub('car', 'pontos/7/disponibilidade', false), // only the central publishes availability
  pub('car', 'reservas/9/status', false),
  sub('car', 'pontos/+/disponibilidade', true, 'pontos/7/disponibilidade'),
  sub('car', 'carros/+/status', false, 'carros/XYZ9Z99/status'),
  sub('car', `carros/${PLATE}/+`, false, `carros/${PLATE}/bateria`),
  sub('car', `carros/${PLATE}/avisos`, true, `carros/${PLATE}/avisos`), // its notices (ev/trips)
  sub('car', 'carros/XYZ9Z99/avisos', false, 'carros/XYZ9Z99/avisos'), // not another car's
  sub('car', 'pontos/#', false, 'pontos/7/manutencao'),
  sub('car', '#', false, 'carros/XYZ9Z99/status'),
  // A station client (seed B): requests out, its own client/{id}/… subtree in.
  pub('station', 'server/postos/request', true),
  pub('station', 'server/postos/reserva', true),
  pub('station', 'client/st-2/postos/response', false), // forging another client's answer
  pub('station', 'client/st-1/postos/response', false),
  sub('station', 'client/st-1/postos/response', true),
  sub('station', 'client/st-1/#', true, 'client/st-1/postos/reserva/response'),
  sub('station', 'client/st-2/#', false, 'client/st-2/postos/response'),
  sub('station', 'client/+/postos/response', false, 'client/st-2/postos/response'),
  sub('station', 'client/#', false, 'client/st-2/postos/response'),
  sub('station', 'server/postos/request', false), // other clients' requests
  // An operator subscriber: alarms, availability and reservation status, publishes nothing.
  sub('operator', 'gl/v1/operators/alarms', true),
  sub('operator', 'gl/v1/customers/+/alarms', true, 'gl/v1/customers/5/alarms'),
  sub('operator', 'pontos/+/disponibilidade', true, 'pontos/7/disponibilidade'),
  sub('operator', 'reservas/+/status', true, 'reservas/9/status'),
  pub('operator', 'reservas/9/status', false),
  sub('operator', 'gl/v1/#', false, 'gl/v1/edges/site-7/commands'),
  sub('operator', 'gl/v1/customers/#', false, 'gl/v1/customers/5/invoices'),
  pub('operator', 'gl/v1/operators/alarms', false),
  pub('operator', 'pontos/7/disponibilidade', false),
  // A peer central: no MQTT rights (federation is HTTP).
  pub('peer', 'server/postos/request', false),
  sub('peer', 'pontos/+/disponibilidade', false, 'pontos/7/disponibilidade'),
  sub('peer', '#', false, `carros/${PLATE}/status`),
  // The central itself.
  pub('service', 'pontos/7/disponibilidade', true),
  pub('service', 'client/st-1/postos/response', true),
  sub('service', 'carros/+/status', true, `carros/${PLATE}/status`),
];

describe('the policy evaluator gives every case its answer', () => {
  it.each(CASES)('$who $action $topic → $allow', (c) => {
    const principal = principals[c.who];
    const verdict =
      c.action === 'publish' ? canPublish(principal, c.topic) : canSubscribe(principal, c.topic);
    expect(verdict).toBe(c.allow);
  });
});

describe('the committed Mosquitto ACL is the generator output', () => {
  it('deploy/mosquitto/gridlink.acl = generate(principals.json)', () => {
    expect(readFileSync(defaultAclPath, 'utf8')).toBe(aclFor(defaultPrincipalsPath));
  });

  it('a name that is not valid for its kind never reaches the ACL text', () => {
    expect(() =>
      renderMosquittoAcl({
        services: [],
        credentials: [{ kind: 'operator', name: 'ops\ntopic readwrite #' }],
      }),
    ).toThrow(/1-64/);
    expect(() => renderMosquittoAcl({ services: ['c 1'], credentials: [] })).toThrow(/not an id/);
  });
});

/** A broker under test: how to reach it, and each principal's username, secret and client id. */
interface Target {
  url: string;
  login(who: Who, n: number): { username: string; password: string; clientId: string };
}

function agreementSuite(name: string, target: () => Target) {
  describe(`${name}: every case as the table says`, () => {
    const opened: MqttClient[] = [];
    let n = 0;
    const connect = async (who: Who) => {
      const client = await mqtt.connectAsync(target().url, {
        ...target().login(who, n++),
        reconnectPeriod: 0,
        clean: true,
      });
      opened.push(client);
      return client;
    };
    let service: MqttClient;
    beforeAll(async () => {
      service = await connect('service');
    });
    afterAll(async () => {
      await Promise.all(opened.map((c) => c.endAsync(true)));
    });

    /** Resolves with the payloads `client` got on `topic` until `fence` arrived there. */
    const until = (client: MqttClient, topic: string, fence: string) =>
      new Promise<string[]>((resolve) => {
        const got: string[] = [];
        const on = (t: string, payload: Buffer) => {
          if (t !== topic) return;
          if (payload.toString() === fence) {
            client.off('message', on);
            resolve(got);
          } else got.push(payload.toString());
        };
        client.on('message', on);
      });

    it.each(CASES)('$who $action $topic → $allow', async (c) => {
      const nonce = randomBytes(6).toString('hex');
      const client = await connect(c.who);
      if (c.action === 'publish') {
        // The service watches the topic; the publish is followed by the service's own fence:
        // once the client's PUBACK (or its disconnection) is in, the broker has routed it.
        await service.subscribeAsync(c.topic, { qos: 0 });
        const seen = until(service, c.topic, `fence-${nonce}`);
        const closed = new Promise<void>((r) => client.once('close', () => r()));
        // A station's request names its own client id, as seed B's clients do: the embedded
        // broker refuses one that names another (broker/policy.ts stationRequestProblem).
        const body =
          c.who === 'station' && c.topic.startsWith('server/postos/')
            ? JSON.stringify({ request_id: nonce, client_id: client.options.clientId })
            : nonce;
        await Promise.race([client.publishAsync(c.topic, body, { qos: 1 }), closed]);
        await service.publishAsync(c.topic, `fence-${nonce}`, { qos: 1 });
        expect((await seen).includes(body)).toBe(c.allow);
        await service.unsubscribeAsync(c.topic);
      } else {
        const probe = c.probe ?? c.topic;
        const granted = await client.subscribeAsync(c.topic, { qos: 0 }).then(
          (g) => g[0]?.qos,
          (e: { packet?: { granted?: number[] } }) => e.packet?.granted?.[0],
        );
        const got: string[] = [];
        client.on('message', (t, p) => t === probe && got.push(p.toString()));
        await service.publishAsync(probe, nonce, { qos: 1 });
        // Fence: a later SUBACK on the client's socket comes after whatever the broker had
        // queued for it when it acknowledged the service's publish.
        await client.subscribeAsync(`fence/${nonce}`, { qos: 0 }).catch(() => undefined);
        expect(got.includes(nonce)).toBe(c.allow);
        // Granted 128 = failure (MQTT-3.9.3); a grant is QoS 0 here.
        if (c.allow) expect(granted).toBe(0);
        else expect(granted === 128 || granted === 0).toBe(true);
      }
      await client.endAsync(true);
    });
  });
}

// The principals and their credentials, created as the API does (the store behind
// PUT /api/v1/mqtt/credentials and PUT /api/v1/edges/{id}/credential).
let database: Database;
const secrets = new Map<string, string>();
const serviceSecret = randomBytes(24).toString('base64url');
const credentialOf: Record<Exclude<Who, 'service' | 'edge'>, [CredentialKind, string]> = {
  car: ['car', PLATE],
  station: ['station', 'st-1'],
  operator: ['operator', 'ops'],
  peer: ['peer', 'acme'],
};
const usernames: Record<Who, string> = {
  service: 'gridlink-central-1',
  edge: 'site-7',
  car: `car@${PLATE}`,
  station: 'station@st-1',
  operator: 'operator@ops',
  peer: 'peer@acme',
};

beforeAll(async () => {
  database = await openDatabase({ kind: 'pglite' });
  const at = new Date('2026-12-01T00:00:00Z');
  for (const [kind, name] of Object.values(credentialOf)) {
    const { username, secret } = await upsertMqttCredential(database.db, kind, name, at);
    secrets.set(username, secret);
  }
  // Credentials of principals that are not in the table, so "another car's", "another edge's"
  // and "another client's" topics belong to someone real.
  await upsertMqttCredential(database.db, 'car', 'XYZ9Z99', at);
  await upsertMqttCredential(database.db, 'station', 'st-2', at);
  secrets.set('site-7', await upsertEdgeCredential(database.db, 'site-7'));
  await upsertEdgeCredential(database.db, 'site-8');
  secrets.set('gridlink-central-1', serviceSecret);
});
afterAll(async () => {
  await database?.close();
});

describe('embedded aedes broker', () => {
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      port: 0,
      authenticate: mqttAuthenticator({
        db: database.db,
        service: {
          username: usernames.service,
          secretHash: hashSecret(serviceSecret),
          name: 'central',
        },
        verifyEdge: (edgeId, secret) => verifyEdgeCredential(database.db, edgeId, secret),
      }),
      maxPayloadBytes: 65_536,
      // One connection per case from one address: above the per-address rate.
      limits: { connectRate: { burst: 10_000, perSecond: 10_000, logIntervalMs: 60_000 } },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await broker?.close();
  });
  agreementSuite('aedes', () => ({
    url: broker.url,
    login: (who, n) => ({
      username: usernames[who],
      password: secrets.get(usernames[who]) as string,
      clientId:
        who === 'service'
          ? `central-${n}`
          : who === 'edge'
            ? `edge-site-7:${n}`
            : who === 'station'
              ? 'st-1'
              : `${usernames[who]}:${n}`,
    }),
  }));
});

describe.skipIf(!mosquittoInstalled)('Mosquitto from the generated ACL', () => {
  let broker: RunningMosquitto;
  beforeAll(async () => {
    // The ACL for these credentials, as an operator makes it: the API's list into the generator.
    const acl = renderMosquittoAcl({
      services: [usernames.service, 'gridlink-central-2'],
      shareGroup: 'gridlink',
      credentials: await listMqttCredentials(database.db),
    });
    const users = { ...Object.fromEntries(secrets), 'gridlink-central-2': serviceSecret };
    broker = await startMosquitto(users, usernames.service, { acl });
  });
  afterAll(async () => {
    await broker?.stop();
  });
  agreementSuite('mosquitto', () => ({
    url: broker.url,
    // use_username_as_clientid: the client id becomes the username whatever is sent, so the
    // service's cases connect as a second central (one session per user).
    login: (who, n) => ({
      username: who === 'service' && n > 0 ? 'gridlink-central-2' : usernames[who],
      password: secrets.get(usernames[who]) as string,
      clientId: `${who}-${n}`,
    }),
  }));
});
