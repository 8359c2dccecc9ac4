import { connect as tcpConnect } from 'node:net';
import { edgeTopic, type TelemetryBatch } from '@gridlink/shared';
import type { Client } from 'aedes';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { nextMessage, startTestCentral, waitForLog } from './helpers/central.js';

/**
 * Client ids are bound to the principal at CONNECT (docs/SECURITY.md, "MQTT: identities, sessions
 * and limits"): an edge may use `edge-{edgeId}` or `edge-{edgeId}:{suffix}` and nothing else, and
 * a refused CONNECT must not touch the live session that holds the id it asked for.
 */
const batch = (edgeId: string, seq: number): TelemetryBatch => ({
  edgeId,
  epoch: 'epoch-0001',
  firstSeq: seq,
  lastSeq: seq,
  dropped: 0,
  droppedUpTo: 0,
  readings: [
    { seq, deviceId: 'meter-1', ts: Date.now(), quality: 'good', values: { energy_import: seq } },
  ],
});

/** A bare MQTT 3.1.1 connection: packets written as given, packets read in order. */
async function rawMqtt(port: number) {
  const socket = tcpConnect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const inbox: Packet[] = [];
  let wake = () => {};
  parser.on('packet', (p) => {
    inbox.push(p);
    wake();
  });
  socket.on('data', (d) => parser.parse(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    send: (packet: Packet) => socket.write(mqttPacket.generate(packet)),
    /** The next packet of type `cmd` (earlier ones of other types are dropped). */
    async next<C extends Packet['cmd']>(cmd: C): Promise<Extract<Packet, { cmd: C }>> {
      for (;;) {
        const i = inbox.findIndex((p) => p.cmd === cmd);
        if (i >= 0) return inbox.splice(0, i + 1).at(-1) as Extract<Packet, { cmd: C }>;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    closed,
    end: () => socket.destroy(),
  };
}

describe('MQTT client ids and sessions (embedded broker)', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  const opened: MqttClient[] = [];
  const secrets = new Map<string, string>();
  beforeAll(async () => {
    t = await startTestCentral({
      mqtt: { mode: 'embedded', port: 0, limits: { sessionsPerEdge: 2 } },
    });
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.endAsync(true)));
    await t.close();
  });

  const secretOf = async (edgeId: string) => {
    let secret = secrets.get(edgeId);
    if (!secret) {
      secret = await upsertEdgeCredential(t.central.database.db, edgeId);
      secrets.set(edgeId, secret);
    }
    return secret;
  };
  /** A real MQTT.js client of `edgeId` asking for `clientId`; rejects with the CONNACK's reason. */
  const connect = async (edgeId: string, clientId: string, extra: IClientOptions = {}) => {
    const client = await mqtt.connectAsync(t.central.mqttUrl, {
      username: edgeId,
      password: await secretOf(edgeId),
      clientId,
      reconnectPeriod: 0,
      ...extra,
    });
    opened.push(client);
    return client;
  };
  /** The status row the central keeps for an edge, as the API shows it. */
  const statusOf = async (edgeId: string) => {
    await t.central.ingest.idle();
    const row = await t.central.database.db
      .selectFrom('edges')
      .select('status')
      .where('id', '=', edgeId)
      .executeTakeFirstOrThrow();
    return row.status as { online: boolean } | null;
  };
  /** Resolves when the broker has let go of the session `clientId` (its close has run). */
  const released = (clientId: string) =>
    new Promise<void>((resolve) => {
      const on = (client: Client) => {
        if (client.id !== clientId) return;
        t.central.broker?.aedes.off('clientDisconnect', on);
        resolve();
      };
      t.central.broker?.aedes.on('clientDisconnect', on);
    });

  it("edge B asking for edge A's client id is refused (CONNACK 2); A keeps its session, its will does not fire", async () => {
    const statusTopic = edgeTopic('edge-ta', 'status');
    const a = await connect('edge-ta', 'edge-edge-ta', {
      will: {
        topic: statusTopic,
        payload: Buffer.from(JSON.stringify({ edgeId: 'edge-ta', online: false })),
        qos: 1,
        retain: true,
      },
    });
    let aClosed = 0;
    a.on('close', () => {
      aClosed++;
    });
    await a.publishAsync(statusTopic, JSON.stringify({ edgeId: 'edge-ta', online: true }), {
      qos: 1,
      retain: true,
    });
    expect(await statusOf('edge-ta')).toMatchObject({ online: true });

    // MQTT 3.1.1 §3.2.2.3: return code 2, identifier rejected.
    await expect(connect('edge-tb', 'edge-edge-ta')).rejects.toThrow(/Identifier rejected/i);
    const denied = await waitForLog(t.lines, (l) => l.code === 'GL_MQTT_CLIENT_ID_DENIED');
    expect(denied).toMatchObject({ who: 'edge:edge-tb', clientId: 'edge-edge-ta' });

    // A is still there: it publishes a batch and the central's ack reaches it on this session.
    await a.subscribeAsync(edgeTopic('edge-ta', 'ack'), { qos: 1 });
    const ack = nextMessage(a, edgeTopic('edge-ta', 'ack'));
    await a.publishAsync(edgeTopic('edge-ta', 'telemetry'), JSON.stringify(batch('edge-ta', 1)), {
      qos: 1,
    });
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 1 });
    expect(aClosed).toBe(0);
    expect(a.connected).toBe(true);
    // No offline flip: A's last will never fired.
    expect(await statusOf('edge-ta')).toMatchObject({ online: true });
  });

  it("an edge whose id prefixes another's cannot claim the other's ids (edge-p vs edge-p-q)", async () => {
    const pq = await connect('edge-p-q', 'edge-edge-p-q');
    let closed = false;
    pq.on('close', () => {
      closed = true;
    });
    await expect(connect('edge-p', 'edge-edge-p-q')).rejects.toThrow(/Identifier rejected/i);
    await expect(connect('edge-p', 'edge-edge-p-q:1')).rejects.toThrow(/Identifier rejected/i);
    await expect(connect('edge-p', 'central-1')).rejects.toThrow(/Identifier rejected/i);
    // An empty id would get a broker-made one: refused too, the edge must name its session.
    await expect(connect('edge-p', '')).rejects.toThrow(/Identifier rejected/i);
    await pq.publishAsync(edgeTopic('edge-p-q', 'status'), '{"edgeId":"edge-p-q","online":true}', {
      qos: 1,
    });
    expect(closed).toBe(false);
    // edge-p's own ids work.
    const p = await connect('edge-p', 'edge-edge-p:diag');
    expect(p.connected).toBe(true);
  });

  it("an edge's reconnect with its own id takes over its own session (MQTT-3.1.4-2)", async () => {
    const first = await connect('edge-tr', 'edge-edge-tr');
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await connect('edge-tr', 'edge-edge-tr');
    await firstClosed;
    expect(second.connected).toBe(true);
    await second.publishAsync(
      edgeTopic('edge-tr', 'status'),
      '{"edgeId":"edge-tr","online":true}',
      {
        qos: 1,
      },
    );
  });

  it('a third session of one edge is refused (limit 2, CONNACK 3); a takeover at the limit and other edges are not', async () => {
    const one = await connect('edge-sl', 'edge-edge-sl:1');
    await connect('edge-sl', 'edge-edge-sl:2');
    await expect(connect('edge-sl', 'edge-edge-sl:3')).rejects.toThrow(/Server unavailable/i);
    expect(await waitForLog(t.lines, (l) => l.code === 'GL_MQTT_SESSION_LIMIT')).toMatchObject({
      who: 'edge:edge-sl',
      sessions: 2,
      limit: 2,
    });
    // Its own id again is a takeover of a session it holds, not a third session.
    const oneClosed = new Promise<void>((resolve) => one.once('close', () => resolve()));
    const again = await connect('edge-sl', 'edge-edge-sl:1');
    await oneClosed;
    expect(again.connected).toBe(true);
    // Another edge is not affected by edge-sl's count.
    await connect('edge-sl2', 'edge-edge-sl2:1');
    // Once a session ends, its place is free.
    const freed = released('edge-edge-sl:1');
    await again.endAsync();
    await freed;
    expect((await connect('edge-sl', 'edge-edge-sl:3')).connected).toBe(true);
  });

  it("a refused CONNECT under a live session's id leaves that session's QoS 2 state alone (§4.3.3)", async () => {
    const port = Number(new URL(t.central.mqttUrl).port);
    const topic = edgeTopic('edge-q2', 'status');
    let delivered = 0;
    t.central.broker?.aedes.on('publish', (packet, client) => {
      if (packet.topic === topic && client?.id === 'edge-edge-q2') delivered++;
    });
    const connectPacket = (password: string): Packet => ({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      clientId: 'edge-edge-q2',
      username: 'edge-q2',
      password: Buffer.from(password),
    });
    const publish = (dup: boolean): Packet => ({
      cmd: 'publish',
      topic,
      payload: '{"edgeId":"edge-q2","online":true}',
      qos: 2,
      messageId: 7,
      dup,
      retain: false,
    });
    const a = await rawMqtt(port);
    a.send(connectPacket(await secretOf('edge-q2')));
    expect((await a.next('connack')).returnCode).toBe(0);
    a.send(publish(false));
    await a.next('pubrec');
    expect(delivered).toBe(1);

    // Someone without the secret asks for A's id: refused (CONNACK 4) and closed by the broker.
    const intruder = await rawMqtt(port);
    intruder.send(connectPacket('not-the-secret'));
    expect((await intruder.next('connack')).returnCode).toBe(4);
    await intruder.closed;

    // A retransmits before releasing (DUP): the broker still holds the packet id, so it answers
    // PUBREC and does not deliver the message a second time.
    a.send(publish(true));
    await a.next('pubrec');
    a.send({ cmd: 'pubrel', messageId: 7 });
    await a.next('pubcomp');
    expect(delivered).toBe(1);
    a.end();
  });
});
