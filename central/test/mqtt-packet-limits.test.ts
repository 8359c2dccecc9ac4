import { type Socket, connect as tcpConnect } from 'node:net';
import { edgeTopic } from '@gridlink/shared';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { startTestCentral, waitForLog } from './helpers/central.js';

/**
 * Packet-size limits at the broker's socket, met as an attacker meets them: raw TCP sockets that
 * declare huge packets (MQTT 3.1.1 §2.2.3, Remaining Length) and keep streaming.
 */
const DECLARED = 150_000_000;
/** What the attacker streams after the header before giving up on being cut. */
const SENT = 32 * 1024 * 1024;

/** Fixed header of a packet of type `type` (first byte) declaring `length` remaining bytes. */
function fixedHeader(firstByte: number, length: number): Buffer {
  const bytes = [firstByte];
  let n = length;
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80; // continuation bit, §2.2.3
    bytes.push(digit);
  } while (n > 0);
  return Buffer.from(bytes);
}

/**
 * Writes `head`, then 64 KiB chunks (each after the last was taken) until `total` bytes or until
 * the broker closes the socket; resolves with the bytes the socket took before it closed.
 */
function stream(socket: Socket, head: Buffer, total: number): Promise<{ written: number }> {
  return new Promise((resolve) => {
    let written = 0;
    let closed = false;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      closed = true;
      resolve({ written });
    });
    const pump = () => {
      while (!closed && written < total) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      // Everything was taken: the broker never closed. End so the test reports, not hangs.
      if (!closed) socket.end();
    };
    socket.write(head);
    written = head.length;
    pump();
  });
}

describe('MQTT packet limits (embedded broker)', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let port: number;
  beforeAll(async () => {
    t = await startTestCentral({ ingest: { maxPayloadBytes: 256 * 1024 } });
    port = Number(new URL(t.central.mqttUrl).port);
  });
  afterAll(() => t.close());

  const raw = async () => {
    const socket = tcpConnect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return socket;
  };

  it('an unauthenticated CONNECT declaring 150 MB is cut at its header: ≤ 64 KiB read', async () => {
    const socket = await raw();
    // Client side: the broker closes the socket before 32 MiB of the 150 MB went out (what it
    // took is the kernel's socket buffers, ~4 MB on loopback). Without the limit, aedes took all
    // 32 MiB and the client ended the stream itself.
    const { written } = await stream(socket, fixedHeader(0x10, DECLARED), SENT);
    expect(written).toBeLessThan(SENT);
    const line = await waitForLog(
      t.lines,
      (l) => l.code === 'GL_PAYLOAD_TOO_LARGE' && l.stage === 'pre-auth',
    );
    expect(line).toMatchObject({ declared: DECLARED, limit: 64 * 1024 });
    // What the broker's process read off the socket before it dropped it.
    expect(line.bytesRead).toBeLessThanOrEqual(64 * 1024);
  });

  it('a CONNECT of 60 KiB (a large will) is still served', async () => {
    const secret = await upsertEdgeCredential(t.central.database.db, 'edge-big');
    const client = await mqtt.connectAsync(t.central.mqttUrl, {
      username: 'edge-big',
      password: secret,
      clientId: 'edge-edge-big',
      reconnectPeriod: 0,
      will: {
        topic: edgeTopic('edge-big', 'status'),
        payload: Buffer.alloc(60 * 1024, 0x20),
        qos: 1,
        retain: false,
      },
    });
    expect(client.connected).toBe(true);
    await client.publishAsync(
      edgeTopic('edge-big', 'status'),
      '{"edgeId":"edge-big","online":true}',
      {
        qos: 1,
      },
    );
    await client.endAsync();
  });

  it('an authenticated edge declaring a PUBLISH beyond the payload limit is cut at its header', async () => {
    const secret = await upsertEdgeCredential(t.central.database.db, 'edge-huge');
    const socket = await raw();
    const connect = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'edge-edge-huge',
      keepalive: 60,
      username: 'edge-huge',
      password: Buffer.from(secret),
    });
    const connack = new Promise<number>((resolve) => {
      const parser = mqttPacket.parser();
      parser.on('packet', (p) => {
        if (p.cmd === 'connack') resolve(p.returnCode ?? -1);
      });
      socket.on('data', (d) => parser.parse(d));
    });
    socket.write(connect);
    expect(await connack).toBe(0);
    // PUBLISH QoS 0 (0x30) declaring 150 MB; the broker's limit is 2 × 256 KiB of payload.
    const { written } = await stream(socket, fixedHeader(0x30, DECLARED), SENT);
    expect(written).toBeLessThan(SENT);
    const line = await waitForLog(
      t.lines,
      (l) => l.code === 'GL_PAYLOAD_TOO_LARGE' && l.stage === 'connected',
    );
    expect(line).toMatchObject({ who: 'edge:edge-huge', declared: DECLARED });
    expect(line.bytesRead).toBeLessThanOrEqual(connect.length + 64 * 1024);
  });
});
