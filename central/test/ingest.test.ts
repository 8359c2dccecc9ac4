import { type AddressInfo, createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { compressIfSmaller, edgeTopic, type Reading, type TelemetryBatch } from '@gridlink/shared';
import { Aedes } from 'aedes';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { nextMessage, startTestCentral, waitForLog } from './helpers/central.js';

const batch = (
  edgeId: string,
  firstSeq: number,
  count: number,
  epoch = 'epoch-0001',
): TelemetryBatch => ({
  edgeId,
  epoch,
  firstSeq,
  lastSeq: firstSeq + count - 1,
  dropped: 0,
  droppedUpTo: 0,
  readings: Array.from({ length: count }, (_, i) => ({
    seq: firstSeq + i,
    deviceId: 'meter-1',
    ts: Date.now(),
    quality: 'good' as const,
    values: { energy_import: firstSeq + i },
  })),
});

describe('telemetry ingest over MQTT', () => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  beforeAll(async () => {
    t = await startTestCentral({ ingest: { maxPayloadBytes: 64 * 1024 } });
  });
  afterAll(() => t.close());

  /** Readings stored by COPY so far, from the central's /metrics. */
  const copied = async () => {
    const token = await mintToken(t.central.database.db, { role: 'operator' });
    const res = await fetch(`${t.central.http.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return Number(/^gridlink_ingest_copy_readings_total (\d+)$/m.exec(await res.text())?.[1]);
  };

  const count = async (edgeId: string) =>
    (
      await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.edge_id = ${edgeId}`.execute(
        t.central.database.db,
      )
    ).rows[0]?.n;

  it('stores a batch, then acknowledges it; a replay is acknowledged again and not stored twice', async () => {
    const edge = await t.connectEdge('edge-i1');
    await edge.subscribeAsync(edgeTopic('edge-i1', 'ack'), { qos: 1 });
    let ack = nextMessage(edge, edgeTopic('edge-i1', 'ack'));
    await edge.publishAsync(
      edgeTopic('edge-i1', 'telemetry'),
      JSON.stringify(batch('edge-i1', 1, 10)),
      { qos: 1 },
    );
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 10 });
    expect(await count('edge-i1')).toBe(10);

    ack = nextMessage(edge, edgeTopic('edge-i1', 'ack'));
    await edge.publishAsync(
      edgeTopic('edge-i1', 'telemetry'),
      JSON.stringify(batch('edge-i1', 1, 10)),
      { qos: 1 },
    );
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 10 });
    expect(await count('edge-i1')).toBe(10);
    expect(t.lines.some((l) => l.code === 'GL_BATCH_DUPLICATE' && l.edgeId === 'edge-i1')).toBe(
      true,
    );
  });

  it("a stream's first batch goes in as JSON and teaches the decoder its ids; later ones go in by COPY", async () => {
    const before = await copied();
    const edge = await t.connectEdge('edge-copy');
    const ackTopic = edgeTopic('edge-copy', 'ack');
    await edge.subscribeAsync(ackTopic, { qos: 1 });
    const send = async (b: TelemetryBatch) => {
      const ack = nextMessage(edge, ackTopic);
      await edge.publishAsync(edgeTopic('edge-copy', 'telemetry'), JSON.stringify(b), { qos: 1 });
      return JSON.parse((await ack).toString()) as { upTo: number };
    };
    expect(await send(batch('edge-copy', 1, 10))).toMatchObject({ upTo: 10 }); // JSON, teaches
    expect(await copied()).toBe(before);
    expect(await send(batch('edge-copy', 11, 10))).toMatchObject({ upTo: 20 }); // COPY
    expect(await copied()).toBe(before + 10);
    // A device the decoder has not been taught: JSON again, then COPY once it is known.
    const third = batch('edge-copy', 21, 5);
    third.readings[4] = { ...(third.readings[4] as Reading), deviceId: 'meter-2' };
    expect(await send(third)).toMatchObject({ upTo: 25 });
    expect(await copied()).toBe(before + 10);
    const fourth = batch('edge-copy', 26, 5);
    fourth.readings[0] = { ...(fourth.readings[0] as Reading), deviceId: 'meter-2' };
    expect(await send(fourth)).toMatchObject({ upTo: 30 });
    expect(await copied()).toBe(before + 15);
    const rows = await sql<{ seq: string; device_id: string; energy: number }>`
      SELECT r.seq::text AS seq, m.device_id, (r.values->>'energy_import')::float8 AS energy
      FROM readings r JOIN meters m ON m.id = r.meter_id
      WHERE m.edge_id = 'edge-copy' ORDER BY r.seq`.execute(t.central.database.db);
    expect(rows.rows.map((r) => [Number(r.seq), r.device_id, r.energy])).toEqual(
      Array.from({ length: 30 }, (_, i) => [
        i + 1,
        i + 1 === 25 || i + 1 === 26 ? 'meter-2' : 'meter-1',
        i + 1,
      ]),
    );
  });

  it("holds a new edge's batches behind its first until that one taught the decoder, so they go in by COPY", async () => {
    const before = await copied();
    const edge = await t.connectEdge('edge-burst');
    const ackTopic = edgeTopic('edge-burst', 'ack');
    await edge.subscribeAsync(ackTopic, { qos: 1 });
    const acked = new Promise<void>((resolve) => {
      edge.on('message', (topic, payload) => {
        if (topic === ackTopic && JSON.parse(payload.toString()).upTo === 40) resolve();
      });
    });
    // Four batches back to back, as an edge with a window in flight sends them on connect.
    await Promise.all(
      [1, 11, 21, 31].map((first) =>
        edge.publishAsync(
          edgeTopic('edge-burst', 'telemetry'),
          JSON.stringify(batch('edge-burst', first, 10)),
          { qos: 1 },
        ),
      ),
    );
    await acked;
    expect(await count('edge-burst')).toBe(40);
    // The first went as JSON (it taught the decoder); the three behind it by COPY.
    expect(await copied()).toBe(before + 30);
  });

  it('rejects malformed payloads with logged codes, stores and acks nothing, and other edges keep flowing', async () => {
    const bad = await t.connectEdge('edge-bad');
    const good = await t.connectEdge('edge-good');
    await bad.subscribeAsync(edgeTopic('edge-bad', 'ack'), { qos: 1 });
    await good.subscribeAsync(edgeTopic('edge-good', 'ack'), { qos: 1 });
    let badAcks = 0;
    bad.on('message', () => {
      badAcks++;
    });
    const topic = edgeTopic('edge-bad', 'telemetry');
    const wrongSchema = { ...batch('edge-bad', 1, 2), firstSeq: 'one' };
    const mismatch = batch('edge-good', 1, 2); // edge-bad claiming to be edge-good
    const oversized = batch('edge-bad', 1, 1);
    (oversized.readings[0] as { values: Record<string, number> }).values = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`v_${i}`, i]),
    );
    await bad.publishAsync(topic, '{"edgeId": "edge-bad", ', { qos: 1 });
    await bad.publishAsync(topic, JSON.stringify(wrongSchema), { qos: 1 });
    await bad.publishAsync(topic, JSON.stringify(mismatch), { qos: 1 });
    await bad.publishAsync(topic, JSON.stringify(oversized), { qos: 1 });

    const ack = nextMessage(good, edgeTopic('edge-good', 'ack'));
    await good.publishAsync(
      edgeTopic('edge-good', 'telemetry'),
      JSON.stringify(batch('edge-good', 1, 5)),
      { qos: 1 },
    );
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 5 });

    for (const code of [
      'GL_PAYLOAD_INVALID_JSON',
      'GL_PAYLOAD_SCHEMA',
      'GL_EDGE_MISMATCH',
      'GL_PAYLOAD_TOO_LARGE',
    ]) {
      const line = await waitForLog(t.lines, (l) => l.code === code && l.edgeId === 'edge-bad');
      expect(line.msg).toBe('telemetry payload rejected');
    }
    await t.central.ingest.idle();
    expect(await count('edge-bad')).toBe(0);
    expect(await count('edge-good')).toBe(5);
    expect(badAcks).toBe(0);
    expect(bad.connected).toBe(true);
  });

  it('stores a gzip-compressed batch as it stores JSON; a corrupt or bomb gzip payload is rejected', async () => {
    const edge = await t.connectEdge('edge-gz');
    await edge.subscribeAsync(edgeTopic('edge-gz', 'ack'), { qos: 1 });
    let edgeAcks = 0;
    edge.on('message', () => {
      edgeAcks++;
    });
    const topic = edgeTopic('edge-gz', 'telemetry');
    // Corrupt (magic, then junk) and a bomb: 64 KiB limit, 1 MiB of spaces inside ~1 KB.
    await edge.publishAsync(topic, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]), { qos: 1 });
    await edge.publishAsync(topic, gzipSync(Buffer.alloc(1 << 20, 0x20)), { qos: 1 });
    for (const code of ['GL_PAYLOAD_ENCODING', 'GL_PAYLOAD_TOO_LARGE']) {
      const line = await waitForLog(t.lines, (l) => l.code === code && l.edgeId === 'edge-gz');
      expect(line.msg).toBe('telemetry payload rejected');
    }
    expect(edgeAcks).toBe(0);

    const { payload, compressed } = compressIfSmaller(JSON.stringify(batch('edge-gz', 1, 50)));
    expect(compressed).toBe(true);
    const ack = nextMessage(edge, edgeTopic('edge-gz', 'ack'));
    await edge.publishAsync(topic, payload, { qos: 1 });
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 50 });
    expect(await count('edge-gz')).toBe(50);
  });

  it('refuses a batch beyond a gap and re-sends the mark so the edge can go back', async () => {
    const edge = await t.connectEdge('edge-gap');
    await edge.subscribeAsync(edgeTopic('edge-gap', 'ack'), { qos: 1 });
    let ack = nextMessage(edge, edgeTopic('edge-gap', 'ack'));
    await edge.publishAsync(
      edgeTopic('edge-gap', 'telemetry'),
      JSON.stringify(batch('edge-gap', 1, 3)),
      { qos: 1 },
    );
    await ack;
    ack = nextMessage(edge, edgeTopic('edge-gap', 'ack'));
    await edge.publishAsync(
      edgeTopic('edge-gap', 'telemetry'),
      JSON.stringify(batch('edge-gap', 7, 3)),
      { qos: 1 },
    );
    expect(JSON.parse((await ack).toString())).toEqual({ epoch: 'epoch-0001', upTo: 3 });
    expect(await count('edge-gap')).toBe(3);
  });

  it('records edge status', async () => {
    const edge = await t.connectEdge('edge-st');
    await edge.publishAsync(
      edgeTopic('edge-st', 'status'),
      JSON.stringify({ edgeId: 'edge-st', online: true, agentVersion: '0.1.0' }),
      { qos: 1 },
    );
    await t.central.ingest.idle();
    for (;;) {
      const row = await t.central.database.db
        .selectFrom('edges')
        .select('status')
        .where('id', '=', 'edge-st')
        .executeTakeFirstOrThrow();
      if (row.status) {
        expect(row.status).toMatchObject({ online: true, agentVersion: '0.1.0' });
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
  });
});

describe('group commit at the central', () => {
  it("stores an edge's next batch while an external broker still holds the previous ack, and acks arrive in order", async () => {
    // The external broker: a plain aedes whose injected fault sits on the central's acks to
    // edge-slow (no PUBACK to the central, no delivery) until the test releases them.
    const aedes = await Aedes.createBroker();
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ackTopic = edgeTopic('edge-slow', 'ack');
    const held: Array<() => void> = [];
    let holding = true;
    aedes.authorizePublish = (_client, packet, done) => {
      if (holding && packet.topic === ackTopic) held.push(() => done(null));
      else done(null);
    };
    const { port } = server.address() as AddressInfo;
    const t = await startTestCentral({
      mqtt: {
        mode: 'external',
        url: `mqtt://127.0.0.1:${port}`,
        username: 'central',
        password: 'not-checked',
      },
    });
    try {
      const edge = await t.connectEdge('edge-slow');
      await edge.subscribeAsync(ackTopic, { qos: 1 });
      const acks: number[] = [];
      const last = new Promise<void>((resolve) =>
        edge.on('message', (_t, p) => {
          acks.push((JSON.parse(p.toString()) as { upTo: number }).upTo);
          if (acks.at(-1) === 20) resolve();
        }),
      );
      const rows = async () =>
        (
          await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM readings r JOIN meters m ON m.id = r.meter_id
            WHERE m.edge_id = 'edge-slow'`.execute(t.central.database.db)
        ).rows[0]?.n;
      const send = (firstSeq: number) =>
        edge.publishAsync(
          edgeTopic('edge-slow', 'telemetry'),
          JSON.stringify(batch('edge-slow', firstSeq, 10)),
          { qos: 1 },
        );
      await send(1);
      await expect.poll(() => held.length).toBe(1); // the first batch committed; its ack is held
      await send(11);
      await expect.poll(rows).toBe(20); // the second committed without the first ack's PUBACK
      expect(acks).toEqual([]);
      holding = false;
      for (const go of held.splice(0)) go();
      await last;
      await t.central.ingest.idle();
      expect(acks).toEqual([10, 20]);
    } finally {
      await t.close();
      await new Promise<void>((resolve) => aedes.close(() => server.close(() => resolve())));
    }
  });

  it('batches published back to back are all stored once and acknowledged up to the last', async () => {
    const t = await startTestCentral();
    try {
      const edge = await t.connectEdge('edge-burst');
      await edge.subscribeAsync(edgeTopic('edge-burst', 'ack'), { qos: 1 });
      const acks: number[] = [];
      const last = new Promise<void>((resolve) =>
        edge.on('message', (_t, p) => {
          acks.push((JSON.parse(p.toString()) as { upTo: number }).upTo);
          if (acks.at(-1) === 200) resolve();
        }),
      );
      // Twenty batches without waiting for acks: later ones queue behind the first transaction.
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          edge.publishAsync(
            edgeTopic('edge-burst', 'telemetry'),
            JSON.stringify(batch('edge-burst', i * 10 + 1, 10)),
            { qos: 1 },
          ),
        ),
      );
      await last;
      await t.central.ingest.idle();
      const rows = await sql<{
        seq: string;
      }>`SELECT r.seq::text AS seq FROM readings r JOIN meters m ON m.id = r.meter_id WHERE m.edge_id = 'edge-burst' ORDER BY r.seq`.execute(
        t.central.database.db,
      );
      expect(rows.rows.map((r) => Number(r.seq))).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      // Acks only move forward; fewer than 20 when batches were merged.
      expect(acks).toEqual([...acks].sort((a, b) => a - b));
      expect(acks.length).toBeLessThanOrEqual(20);
    } finally {
      await t.close();
    }
  });
});
