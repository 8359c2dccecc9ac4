import { edgeTopic } from '@gridlink/shared';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCentral, waitForLog } from './helpers/central.js';

describe('embedded broker security', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  beforeAll(async () => {
    t = await startTestCentral();
  });
  afterAll(() => t.close());

  it('refuses anonymous clients (CONNACK 4/5, MQTT 3.1.1 §3.2.2.3)', async () => {
    await expect(mqtt.connectAsync(t.central.mqttUrl, { reconnectPeriod: 0 })).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
    expect(t.lines.some((l) => l.code === 'GL_MQTT_AUTH_FAILED')).toBe(true);
  });

  it('refuses a wrong secret and an unknown edge', async () => {
    await t.connectEdge('edge-s1');
    await expect(t.connectEdge('edge-s1', { secret: 'not-the-secret' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(t.connectEdge('edge-nobody', { secret: 'x' })).rejects.toThrow(
      /Bad username or password/i,
    );
  });

  it('edge A cannot subscribe to edge B acks, nor to a wildcard', async () => {
    const a = await t.connectEdge('edge-a');
    await t.connectEdge('edge-b');
    const err = await a
      .subscribeAsync(
        [edgeTopic('edge-b', 'ack'), 'gl/v1/edges/+/ack', edgeTopic('edge-a', 'ack')],
        { qos: 1 },
      )
      .then(
        () => undefined,
        (e: { packet?: { granted?: number[] } }) => e,
      );
    // SUBACK return code 128 = failure (MQTT-3.9.3); only its own ack topic is granted.
    expect(err?.packet?.granted).toEqual([128, 128, 1]);
    expect(t.lines.filter((l) => l.code === 'GL_MQTT_SUBSCRIBE_DENIED')).toHaveLength(2);
  });

  it('edge A cannot publish as edge B: it is disconnected and nothing reaches B topics', async () => {
    const a = await t.connectEdge('edge-a2');
    const spy = await t.connectEdge('edge-b2');
    await spy.subscribeAsync(edgeTopic('edge-b2', 'ack'), { qos: 1 });
    let leaked = false;
    spy.on('message', () => {
      leaked = true;
    });
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish(edgeTopic('edge-b2', 'telemetry'), '{}', { qos: 1 });
    a.publish(edgeTopic('edge-b2', 'ack'), '{"epoch":"epoch-0001","upTo":99}', { qos: 1 });
    await closed;
    await waitForLog(
      t.lines,
      (l) => l.code === 'GL_MQTT_PUBLISH_DENIED' && String(l.topic).includes('edge-b2'),
    );
    // The central's own ack path to B still works and nothing forged arrived.
    expect(leaked).toBe(false);
  });

  it("a last will aimed at another edge's topic is refused like any publish", async () => {
    const { upsertEdgeCredential } = await import('../src/edges/index.js');
    await t.connectEdge('edge-w2');
    const secret = await upsertEdgeCredential(t.central.database.db, 'edge-w1');
    const forged = JSON.stringify({ edgeId: 'edge-w2', online: false });
    const w1 = await mqtt.connectAsync(t.central.mqttUrl, {
      username: 'edge-w1',
      password: secret,
      clientId: 'edge-edge-w1',
      reconnectPeriod: 0,
      will: {
        topic: edgeTopic('edge-w2', 'status'),
        payload: Buffer.from(forged),
        qos: 1,
        retain: true,
      },
    });
    // Drop the connection without DISCONNECT: the broker now publishes the will (MQTT-3.1.2-8).
    w1.stream.destroy();
    await waitForLog(
      t.lines,
      (l) => l.code === 'GL_MQTT_PUBLISH_DENIED' && l.topic === edgeTopic('edge-w2', 'status'),
    );
    await t.central.ingest.idle();
    const row = await t.central.database.db
      .selectFrom('edges')
      .select('status')
      .where('id', '=', 'edge-w2')
      .executeTakeFirstOrThrow();
    expect(row.status).toBeNull();
  });
});
