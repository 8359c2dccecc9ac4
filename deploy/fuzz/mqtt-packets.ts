import { gzipSync } from 'node:zlib';
import { edgeTopic } from '@gridlink/shared';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { type ByteMutation, mutateBytes } from './byte-mutations.js';
import type { Rng } from './rng.js';

/** Who the packets claim to be. Only `fuzzEdge` holds real credentials. */
export interface MqttIdentities {
  /** The fuzzer's own edge, provisioned: CONNECTs with its secret authenticate. */
  fuzzEdge: { edgeId: string; secret: string };
  /** The well-behaved edge: its topics and client id are targets, its secret is never known. */
  victimEdgeId: string;
}

/** The packet types a client may send (MQTT 3.1.1 §2.2.1), and those only a server sends. */
export const CLIENT_PACKETS = [
  'connect',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'unsubscribe',
  'pingreq',
  'disconnect',
] as const;
export const SERVER_PACKETS = ['connack', 'suback', 'unsuback', 'pingresp', 'auth'] as const;
export type PacketLabel = (typeof CLIENT_PACKETS)[number] | (typeof SERVER_PACKETS)[number];

export interface ScriptPacket {
  bytes: Buffer;
  label: PacketLabel | 'random';
  mutation?: ByteMutation;
}

/**
 * One connection's worth of packets.
 * - `session`: a CONNECT with the fuzzer's good credentials; after its CONNACK, a long pipelined
 *   run of valid packets of every type with some damaged, then a PINGREQ whose PINGRESP proves
 *   that everything before it was handled (the broker handles a connection's packets in order).
 * - `handshake`: a CONNECT of any kind (bad, anonymous, another protocol level, damaged) with a
 *   few packets pipelined behind it before any CONNACK.
 * - `garbage`: damaged packets and random bytes from the first byte on.
 */
export type MqttProfile = 'session' | 'handshake' | 'garbage';

export interface MqttScript {
  profile: MqttProfile;
  /** Sent first; in a session the rest waits for its CONNACK. */
  connect?: ScriptPacket;
  body: ScriptPacket[];
  /**
   * A session's last packet: a SUBSCRIBE to its own ack topic with message id 65535. Its SUBACK
   * proves the broker read and dispatched every packet before it.
   */
  sentinel?: ScriptPacket;
}

export interface ScriptOptions {
  /** Packets in a session's body: [min, max]. */
  sessionPackets?: [number, number];
  /** Chance that a session carries damaged packets (1-3 of them). */
  damagedSessions?: number;
}

/**
 * mqtt-packet's encoder, with its refusals as exceptions: `generate` reports an input it will not
 * encode (e.g. an empty client id at protocol level 3) as an 'error' event nobody listens to.
 */
export function encodePacket(p: Packet, opts?: { protocolVersion?: number }): Buffer {
  const chunks: Buffer[] = [];
  let refused: Error | undefined;
  const sink = {
    write(chunk: Buffer | string) {
      chunks.push(Buffer.from(chunk));
      return true;
    },
    destroy(err?: Error) {
      refused ??= err;
    },
    cork() {},
    uncork() {},
  };
  mqttPacket.writeToStream(p, sink as unknown as NodeJS.WritableStream, opts);
  if (refused) throw refused;
  return Buffer.concat(chunks);
}

const generate = (p: Packet): Buffer => encodePacket(p);

/** 65535 is left to the closing SUBSCRIBE of a session (mqtt-connection.ts). */
const messageId = (rng: Rng) => rng.range(1, 65534);
export const SENTINEL_MESSAGE_ID = 65535;

/** Strings that parsers and ACLs trip on. */
function oddString(rng: Rng): string {
  return rng.pick([
    '',
    ' ',
    'a\u0000b',
    '\u0000',
    'é',
    '😀',
    '\ud800',
    '\uffff',
    '/',
    '//',
    '+',
    '#',
    '$SYS',
    '%',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    // Up to the 65,535-byte limit of an MQTT string (MQTT 3.1.1 §1.5.3), less a topic's prefix.
    'x'.repeat(rng.size(65_000)),
  ]);
}

/**
 * A client id for a CONNECT: inside the fuzzing edge's namespace (`edge-{edgeId}` or
 * `edge-{edgeId}:{suffix}`), or, unless `own`, anywhere (another edge's, the service's, none).
 */
function clientId(rng: Rng, ids: MqttIdentities, own = false): string {
  const edge = ids.fuzzEdge.edgeId;
  if (own || rng.chance(0.5))
    return rng.chance(0.6) ? `edge-${edge}` : `edge-${edge}:${rng.int(4)}`;
  return otherClientId(rng, ids);
}

function otherClientId(rng: Rng, ids: MqttIdentities): string {
  const own = ids.fuzzEdge.edgeId;
  return rng.weighted<() => string>([
    [() => `edge-${own}`, 4],
    // A second, named session of its own (`edge-{edgeId}:{suffix}`).
    [() => `edge-${own}:${rng.int(1000)}`, 3],
    // Outside its namespace: another principal's client id is a session takeover attempt.
    [() => `edge-${own}-${rng.int(1000)}`, 0.5],
    [() => `edge-${ids.victimEdgeId}`, 1],
    [() => `edge-${ids.victimEdgeId}:${rng.int(10)}`, 0.3],
    [() => `central-${rng.int(1e6).toString(16)}`, 0.5],
    [() => `fz-${rng.int(1e9)}`, 2],
    [() => oddString(rng), 1],
  ])();
}

function topic(rng: Rng, ids: MqttIdentities): string {
  const own = ids.fuzzEdge.edgeId;
  const victim = ids.victimEdgeId;
  return rng.weighted<() => string>([
    [() => edgeTopic(own, 'telemetry'), 12],
    [() => edgeTopic(own, 'status'), 2],
    [() => edgeTopic(own, 'config/applied'), 1],
    [() => edgeTopic(own, 'commands/result'), 1],
    // Outside its own topics: the broker disconnects the publisher, so these are rare in a
    // session (a session should live long enough to carry many packets).
    [() => edgeTopic(victim, 'telemetry'), 0.005],
    [() => edgeTopic(victim, 'ack'), 0.005],
    [() => edgeTopic(own, 'ack'), 0.003],
    [() => 'gl/v1/edges/+/telemetry', 0.003],
    [() => '#', 0.002],
    [() => `${edgeTopic(own, 'telemetry')}/${oddString(rng)}`, 0.005],
    [() => oddString(rng), 0.005],
  ])();
}

function filter(rng: Rng, ids: MqttIdentities): string {
  const own = ids.fuzzEdge.edgeId;
  const victim = ids.victimEdgeId;
  return rng.weighted<() => string>([
    [() => edgeTopic(own, 'ack'), 3],
    [() => edgeTopic(own, 'config'), 2],
    [() => edgeTopic(own, 'commands'), 2],
    // Refused with SUBACK 0x80 (MQTT-3.9.3): others' topics, wildcards, the broker's own tree.
    [() => edgeTopic(victim, 'ack'), 1],
    [() => edgeTopic(own, 'telemetry'), 1],
    [() => 'gl/v1/edges/+/ack', 1],
    [() => 'gl/v1/#', 0.5],
    [() => '#', 0.5],
    [() => '$SYS/#', 0.5],
    [() => '$share/g/gl/v1/edges/+/telemetry', 0.3],
    // Some of these (the empty filter) end the connection.
    [() => oddString(rng), 0.3],
  ])();
}

/**
 * A payload the central must refuse: never a valid telemetry batch or status, so nothing the
 * fuzzer publishes can become a stored reading (the suite checks the database for exactly that).
 */
function payload(rng: Rng, ids: MqttIdentities): Buffer {
  const own = ids.fuzzEdge.edgeId;
  return rng.weighted<() => Buffer>([
    [() => rng.bytes(rng.size(2048)), 3],
    [() => Buffer.from(rng.pick(['', '{}', '[]', 'null', '{"a":', '"x"', '1e999'])), 2],
    [() => Buffer.from(JSON.stringify({ edgeId: own, epoch: 'e', readings: [] })), 1],
    [() => Buffer.from(JSON.stringify({ edgeId: ids.victimEdgeId, readings: [{}] })), 1],
    [() => Buffer.from(`{"edgeId":"${own}","online":"maybe"}`), 0.5],
    [() => gzipSync(rng.bytes(rng.size(512))), 1],
    [() => Buffer.concat([Buffer.from([0x1f, 0x8b]), rng.bytes(rng.size(256))]), 1],
  ])();
}

function qos(rng: Rng): 0 | 1 | 2 {
  return rng.weighted<0 | 1 | 2>([
    [0, 2],
    [1, 3],
    [2, 1],
  ]);
}

/** A valid CONNECT; `auth` says whose credentials (if any) it carries. */
export function connectPacket(
  rng: Rng,
  ids: MqttIdentities,
  auth: 'good' | 'wrongSecret' | 'victim' | 'service' | 'anonymous' | 'odd',
  ownClientId = false,
): Buffer {
  const version =
    auth === 'good'
      ? 4
      : rng.weighted<3 | 4 | 5>([
          [4, 6],
          [3, 1],
          [5, 1],
        ]);
  const credentials: { username?: string; password?: Buffer } = {
    good: { username: ids.fuzzEdge.edgeId, password: Buffer.from(ids.fuzzEdge.secret) },
    wrongSecret: { username: ids.fuzzEdge.edgeId, password: rng.bytes(rng.size(64)) },
    victim: { username: ids.victimEdgeId, password: Buffer.from(ids.fuzzEdge.secret) },
    service: { username: 'gridlink-central', password: rng.bytes(32) },
    anonymous: {},
    odd: { username: oddString(rng), password: Buffer.from(oddString(rng)) },
  }[auth];
  const will = rng.chance(0.2)
    ? {
        topic: rng.chance(0.5) ? edgeTopic(ids.fuzzEdge.edgeId, 'status') : topic(rng, ids),
        payload: payload(rng, ids),
        qos: qos(rng),
        retain: rng.chance(0.5),
      }
    : undefined;
  const packet: Packet = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clientId: clientId(rng, ids, ownClientId),
    // A persistent session (clean 0) closes on a PUBACK for an id it never sent (aedes' memory
    // persistence: "no such packet"): rarer in sessions, which should live long.
    clean: rng.chance(ownClientId ? 0.97 : 0.7),
    keepalive: rng.pick([0, 1, 30, 60, 65535]),
    ...credentials,
    ...(will ? { will } : {}),
  };
  try {
    return generate(packet);
  } catch {
    // Not encodable as drawn (e.g. no client id at level 3): the same CONNECT at level 4.
    return generate({
      ...packet,
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: packet.clientId || 'x',
    });
  }
}

/** One valid packet of a connected session, by type. */
function sessionPacket(rng: Rng, ids: MqttIdentities): ScriptPacket {
  const label = rng.weighted<PacketLabel>([
    ['publish', 30],
    ['subscribe', 12],
    ['unsubscribe', 6],
    ['puback', 6],
    ['pubrec', 4],
    ['pubrel', 5],
    ['pubcomp', 4],
    ['pingreq', 15],
    // These end the connection (a second CONNECT, MQTT-3.1.0-2; a server's packet; DISCONNECT):
    // rare here, common in the other profiles.
    ['connect', 0.03],
    ['disconnect', 0.02],
    ['connack', 0.02],
    ['suback', 0.02],
    ['unsuback', 0.02],
    ['pingresp', 0.02],
    ['auth', 0.02],
  ]);
  return { label, bytes: packetOf(rng, ids, label) };
}

/** A valid encoding of a packet of type `label`. */
export function packetOf(rng: Rng, ids: MqttIdentities, label: PacketLabel): Buffer {
  switch (label) {
    case 'connect':
      return connectPacket(rng, ids, rng.pick(['good', 'wrongSecret', 'anonymous'] as const));
    case 'publish': {
      const q = qos(rng);
      return generate({
        cmd: 'publish',
        topic: topic(rng, ids),
        payload: payload(rng, ids),
        qos: q,
        retain: rng.chance(0.1),
        dup: rng.chance(0.05),
        ...(q > 0 ? { messageId: messageId(rng) } : {}),
      });
    }
    case 'subscribe':
      return generate({
        cmd: 'subscribe',
        messageId: messageId(rng),
        subscriptions: Array.from({ length: rng.range(1, 3) }, () => ({
          topic: filter(rng, ids),
          qos: qos(rng),
        })),
      });
    case 'unsubscribe':
      return generate({
        cmd: 'unsubscribe',
        messageId: messageId(rng),
        unsubscriptions: Array.from({ length: rng.range(1, 3) }, () => filter(rng, ids)),
      });
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return generate({ cmd: label, messageId: messageId(rng) });
    case 'pingreq':
    case 'disconnect':
    case 'pingresp':
      return generate({ cmd: label });
    case 'connack':
      return generate({ cmd: 'connack', returnCode: rng.int(6), sessionPresent: rng.chance(0.5) });
    case 'suback':
      return generate({
        cmd: 'suback',
        messageId: messageId(rng),
        granted: [rng.pick([0, 1, 128])],
      });
    case 'unsuback':
      return generate({ cmd: 'unsuback', messageId: messageId(rng), granted: [] });
    case 'auth':
      return encodePacket({ cmd: 'auth', reasonCode: 0 }, { protocolVersion: 5 });
  }
}

function damaged(rng: Rng, p: ScriptPacket, ids: MqttIdentities): ScriptPacket {
  const other = sessionPacket(rng, ids).bytes;
  const { bytes, kind } = mutateBytes(rng, p.bytes, other);
  return { bytes, label: p.label, mutation: kind };
}

/** The packets of one connection. Pure: the same rng state gives the same bytes. */
export function mqttScript(rng: Rng, ids: MqttIdentities, o: ScriptOptions = {}): MqttScript {
  const [lo, hi] = o.sessionPackets ?? [20, 200];
  const damagedSessions = o.damagedSessions ?? 0.3;
  const profile = rng.weighted<MqttProfile>([
    ['session', 6],
    ['handshake', 3],
    ['garbage', 1],
  ]);
  if (profile === 'session') {
    // A session must get in to carry its packets: its own credentials and client id.
    const connect: ScriptPacket = {
      label: 'connect',
      bytes: connectPacket(rng, ids, 'good', true),
    };
    const body = Array.from({ length: rng.range(lo, hi) }, () => sessionPacket(rng, ids));
    if (rng.chance(damagedSessions))
      for (let n = rng.range(1, 3); n > 0; n--) {
        const i = rng.int(body.length);
        body[i] = damaged(rng, body[i] as ScriptPacket, ids);
      }
    const sentinel: ScriptPacket = {
      label: 'subscribe',
      bytes: generate({
        cmd: 'subscribe',
        messageId: SENTINEL_MESSAGE_ID,
        subscriptions: [{ topic: edgeTopic(ids.fuzzEdge.edgeId, 'ack'), qos: 1 }],
      }),
    };
    return { profile, connect, body, sentinel };
  }
  if (profile === 'handshake') {
    const auth = rng.pick([
      'good',
      'wrongSecret',
      'victim',
      'service',
      'anonymous',
      'odd',
    ] as const);
    let connect: ScriptPacket = { label: 'connect', bytes: connectPacket(rng, ids, auth) };
    if (rng.chance(0.5)) connect = damaged(rng, connect, ids);
    const body = Array.from({ length: rng.int(6) }, () => sessionPacket(rng, ids));
    return { profile, connect, body };
  }
  const body = Array.from({ length: rng.range(1, 10) }, (): ScriptPacket => {
    if (rng.chance(0.3)) {
      const { bytes } = mutateBytes(rng, Buffer.alloc(0), Buffer.alloc(0), 'randomBytes');
      return { bytes, label: 'random', mutation: 'randomBytes' };
    }
    return damaged(rng, sessionPacket(rng, ids), ids);
  });
  return { profile, body };
}

/** Every packet of the script, in sending order. */
export function scriptPackets(s: MqttScript): ScriptPacket[] {
  return [...(s.connect ? [s.connect] : []), ...s.body, ...(s.sentinel ? [s.sentinel] : [])];
}
