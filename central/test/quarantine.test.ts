import { edgeTopic } from '@gridlink/shared';
import { sql } from 'kysely';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepAlarms } from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { startTestCentral } from './helpers/central.js';
import { describeEachStore, freshPostgres } from './helpers/stores.js';

const EPOCH = 'epoch-q-0001';
const HOUR = 3_600_000;

/** A valid reading at `seq`, an hour old by the real clock (the central's clock here). */
const good = (seq: number) => ({
  seq,
  deviceId: 'meter-1',
  ts: Date.now() - HOUR + seq,
  quality: 'good',
  values: { energy_import: seq / 4, voltage_l1: 220.5 },
});

/**
 * What an edge that skips its own validation (or a hostile one) can put in a batch from `first`,
 * by seq, with the reason the central must give; null: stored. The reading with an unknown key
 * is stored: the wire schema is not strict, so the key is stripped.
 */
const poison = (first: number): Record<number, [unknown, string | null]> => ({
  [first + 0]: [{ ...good(first + 0), ts: 1e20 }, 'schema'],
  [first + 1]: [{ ...good(first + 1), ts: 0 }, 'time_before_window'],
  [first + 2]: [{ ...good(first + 2), ts: 253_402_300_800_000 }, 'schema'], // year 10000
  [first + 3]: [{ ...good(first + 3), ts: 8.7e15 }, 'schema'], // year 277,662
  [first + 4]: [{ ...good(first + 4), deviceId: undefined }, 'schema'],
  [first + 5]: [{ ...good(first + 5), values: { energy_import: '12.5' } }, 'schema'],
  [first + 6]: [{ ...good(first + 6), unknown_key: 'stripped' }, null],
  [first + 7]: [{ ...good(first + 7), ts: Date.now() + 2 * HOUR }, 'time_after_window'],
  [first + 8]: [{ ...good(first + 8), values: { energy_import: 'INFINITY' } }, 'value_not_finite'],
  [first + 9]: [{ ...good(first + 9), seq: undefined }, 'schema'],
});
const setAside = (bad: Record<number, [unknown, string | null]>) =>
  Object.entries(bad)
    .filter(([, [, reason]]) => reason !== null)
    .map(([seq, [, reason]]) => [Number(seq), reason]);

/** The batch text firstSeq..lastSeq with `bad` readings in place (1e999 spelt as JSON allows). */
function batchText(
  firstSeq: number,
  lastSeq: number,
  bad: Record<number, [unknown, string | null]> = {},
  edgeId = 'edge-q',
) {
  const readings = [];
  for (let seq = firstSeq; seq <= lastSeq; seq++) readings.push(bad[seq]?.[0] ?? good(seq));
  return JSON.stringify({
    edgeId,
    epoch: EPOCH,
    firstSeq,
    lastSeq,
    dropped: 0,
    droppedUpTo: 0,
    readings,
  }).replace('"INFINITY"', '1e999');
}

describeEachStore('quarantine at the central over MQTT', (store) => {
  let t: Awaited<ReturnType<typeof startTestCentral>>;
  let drop: (() => Promise<void>) | undefined;
  let edge: MqttClient;
  const acks: Array<{ epoch: string; upTo: number }> = [];

  beforeAll(async () => {
    if (store.name === 'postgres') {
      const fresh = await freshPostgres();
      drop = fresh.drop;
      t = await startTestCentral({ databaseUrl: fresh.url });
    } else t = await startTestCentral();
    edge = await t.connectEdge('edge-q');
    await edge.subscribeAsync(edgeTopic('edge-q', 'ack'), { qos: 1 });
    edge.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString())));
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  const publish = (text: string, edgeId = 'edge-q', client = edge) =>
    client.publishAsync(edgeTopic(edgeId, 'telemetry'), text, { qos: 1 });
  const lastAck = () => acks.at(-1)?.upTo;
  const db = () => t.central.database.db;
  const storedSeqs = async () =>
    (
      await sql<{ seq: string }>`
        SELECT r.seq::text AS seq FROM readings r JOIN ingest_streams s ON s.id = r.stream_id
        WHERE s.edge_id = 'edge-q' ORDER BY r.seq`.execute(db())
    ).rows.map((r) => Number(r.seq));
  const api = async (path: string, role: 'operator' | 'admin' | 'customer' = 'operator') => {
    const token = await mintToken(db(), { role, subject: role === 'customer' ? '1' : undefined });
    const res = await fetch(`${t.central.http.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await res.text();
    return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
  };

  it('stores the good readings, sets the poison aside with reasons, acks the batch, and the next batch flows', async () => {
    // The first batch teaches the decode thread the stream's ids: the poisoned one goes as COPY.
    await publish(batchText(1, 2));
    await expect.poll(lastAck).toBe(2);
    const bad = poison(3);
    await publish(batchText(3, 14, bad));
    // On the code before quarantine this batch was refused whole (GL_PAYLOAD_SCHEMA), never
    // acknowledged, and every later batch was a GL_BATCH_GAP: the stream was dead.
    await expect.poll(lastAck).toBe(14);
    expect(await storedSeqs()).toEqual([1, 2, 9, 13, 14]);

    // The extra key was stripped, the values stored as sent.
    const nine = await sql<{ values: Record<string, number> }>`
      SELECT r.values FROM readings r JOIN ingest_streams s ON s.id = r.stream_id
      WHERE s.edge_id = 'edge-q' AND r.seq = 9`.execute(db());
    expect(nine.rows[0]?.values).toEqual({ energy_import: 9 / 4, voltage_l1: 220.5 });

    const { status, body } = await api('/api/v1/edges/edge-q/quarantine');
    expect(status).toBe(200);
    const items = [...body.items].reverse();
    expect(items.map((q: { seq: number; reason: string }) => [q.seq, q.reason])).toEqual(
      setAside(bad),
    );
    expect(items.find((q: { seq: number }) => q.seq === 7)).toMatchObject({
      epoch: EPOCH,
      deviceId: null, // the reading had no deviceId
      message: expect.stringContaining('deviceId'),
    });
    expect(items.find((q: { seq: number }) => q.seq === 4)).toMatchObject({
      deviceId: 'meter-1',
      message: expect.stringMatching(/before 2000-01-01/),
      raw: expect.stringContaining('"ts":0'),
    });
    expect(items.find((q: { seq: number }) => q.seq === 11)).toMatchObject({
      message: expect.stringContaining('energy_import is Infinity'),
    });
    expect(body.streams).toEqual([
      expect.objectContaining({ epoch: EPOCH, upTo: 14, dropped: 0, quarantined: 9 }),
    ]);

    // The next batch is stored as any other, by the fast path.
    await publish(batchText(15, 17));
    await expect.poll(lastAck).toBe(17);
    expect((await storedSeqs()).filter((s) => s >= 15)).toEqual([15, 16, 17]);
  });

  it('the same batch delivered again is acknowledged and quarantines nothing twice', async () => {
    const before = acks.length;
    await publish(batchText(3, 14, poison(3)));
    await expect.poll(() => acks.length).toBe(before + 1);
    expect(lastAck()).toBe(17);
    const n = await sql<{ n: number; total: string }>`
      SELECT (SELECT count(*)::int FROM ingest_quarantine) AS n,
             (SELECT quarantined::text FROM ingest_streams WHERE edge_id = 'edge-q') AS total`.execute(
      db(),
    );
    expect(n.rows[0]).toEqual({ n: 9, total: '9' });
    expect(t.lines.some((l) => l.code === 'GL_BATCH_DUPLICATE' && l.edgeId === 'edge-q')).toBe(
      true,
    );
  });

  it('a batch whose envelope is bad is still refused whole, with its code', async () => {
    const before = acks.length;
    const wrongSeq = JSON.parse(batchText(18, 19));
    wrongSeq.readings[1].seq = 25; // numbered otherwise than its position
    await publish(JSON.stringify(wrongSeq));
    await publish(batchText(18, 19));
    await expect.poll(lastAck).toBe(19);
    expect(acks.length).toBe(before + 1);
    expect(
      t.lines.find((l) => l.code === 'GL_PAYLOAD_SCHEMA' && l.edgeId === 'edge-q')?.reason,
    ).toContain('readings.1.seq: must be 19');
  });

  it('an edge whose first batch is poisoned: the JSON path sets it aside the same way', async () => {
    const other = await t.connectEdge('edge-q2');
    await other.subscribeAsync(edgeTopic('edge-q2', 'ack'), { qos: 1 });
    const got: number[] = [];
    other.on('message', (_t, p) => got.push(JSON.parse(p.toString()).upTo));
    await publish(
      batchText(1, 3, { 2: [{ ...good(2), ts: -5 }, 'schema'] }, 'edge-q2'),
      'edge-q2',
      other,
    );
    await expect.poll(() => got.at(-1)).toBe(3);
    const { body } = await api('/api/v1/edges/edge-q2/quarantine');
    expect(body.items.map((q: { seq: number; reason: string }) => [q.seq, q.reason])).toEqual([
      [2, 'schema'],
    ]);
  });

  it('is counted in /metrics, raises the edge alarm, and shows in the edge list', async () => {
    const metrics = await api('/metrics');
    expect(metrics.text).toMatch(/^gridlink_ingest_quarantined_total\{reason="schema"\} 7$/m);
    expect(metrics.text).toMatch(
      /^gridlink_ingest_quarantined_total\{reason="time_before_window"\} 1$/m,
    );
    expect(metrics.text).toMatch(
      /^gridlink_ingest_quarantined_total\{reason="time_after_window"\} 1$/m,
    );
    expect(metrics.text).toMatch(
      /^gridlink_ingest_quarantined_total\{reason="value_not_finite"\} 1$/m,
    );

    // One warning per batch with readings set aside, the counts and the first example.
    expect(
      t.lines.filter((l) => l.code === 'GL_READING_QUARANTINED' && l.edgeId === 'edge-q'),
    ).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'readings set aside at ingest',
        firstSeq: 3,
        lastSeq: 14,
        quarantined: 9,
        reasons: { schema: 6, time_before_window: 1, time_after_window: 1, value_not_finite: 1 },
        seq: 3,
        example: expect.stringContaining('ts'),
      }),
    ]);

    await sweepAlarms(db(), { now: new Date() });
    const alarms = await api('/api/v1/alarms?type=edge.readings-quarantined');
    expect(alarms.body.items.map((a: { source: string }) => a.source).sort()).toEqual([
      'edge:edge-q',
      'edge:edge-q2',
    ]);
    expect(
      alarms.body.items.find((a: { source: string }) => a.source === 'edge:edge-q'),
    ).toMatchObject({
      severity: 'MAJOR',
      state: 'ACTIVE_UNACK',
      details: {
        epochs: [EPOCH],
        readings: 9,
        fromSeq: 3,
        toSeq: 12,
        reasons: { schema: 6, time_before_window: 1, time_after_window: 1, value_not_finite: 1 },
      },
    });

    const edges = await api('/api/v1/edges');
    expect(edges.body.items.find((e: { id: string }) => e.id === 'edge-q').ingest).toEqual({
      epoch: EPOCH,
      upTo: 19,
      dropped: 0,
      quarantined: 9,
    });
  });

  it('the quarantine API is for staff, pages newest first, and names an unknown edge', async () => {
    expect((await api('/api/v1/edges/edge-q/quarantine', 'customer')).status).toBe(403);
    const first = await api('/api/v1/edges/edge-q/quarantine?limit=4');
    expect(first.body.items.map((q: { seq: number }) => q.seq)).toEqual([12, 11, 10, 8]);
    const second = await api(`/api/v1/edges/edge-q/quarantine?limit=4&cursor=${first.body.next}`);
    expect(second.body.items.map((q: { seq: number }) => q.seq)).toEqual([7, 6, 5, 4]);
    const last = await api(`/api/v1/edges/edge-q/quarantine?limit=4&cursor=${second.body.next}`);
    expect(last.body).toMatchObject({ next: null });
    expect(last.body.items.map((q: { seq: number }) => q.seq)).toEqual([3]);
    expect((await api('/api/v1/edges/nobody/quarantine')).body.error.code).toBe('GL_EDGE_UNKNOWN');
    for (const cursor of ['0', '-1', 'abc', '99999999999'])
      expect((await api(`/api/v1/edges/edge-q/quarantine?cursor=${cursor}`)).status).toBe(400);
  });
});

describe("the central's reading window (config ingest.readingWindow)", () => {
  it('is validated strictly, has the documented defaults, and parses its own output again', () => {
    const config = parseCentralConfig({});
    expect(config.ingest.readingWindow).toEqual({
      notBefore: '2000-01-01T00:00:00.000Z',
      maxFutureSkewMs: HOUR,
    });
    expect(parseCentralConfig(config).ingest.readingWindow).toEqual(config.ingest.readingWindow);
    for (const [readingWindow, key] of [
      [{ notBeforeMs: 0 }, 'ingest.readingWindow'],
      [{ notBefore: 'yesterday' }, 'ingest.readingWindow.notBefore'],
      [{ maxFutureSkewMs: -1 }, 'ingest.readingWindow.maxFutureSkewMs'],
      [{ maxFutureSkewMs: 25 * HOUR }, 'ingest.readingWindow.maxFutureSkewMs'],
    ] as const)
      expect(() => parseCentralConfig({ ingest: { readingWindow } })).toThrow(key);
  });

  it('is the window the ingest checks against', async () => {
    const t = await startTestCentral({
      ingest: { readingWindow: { notBefore: '2020-01-01T00:00:00Z', maxFutureSkewMs: 60_000 } },
    });
    try {
      const edge = await t.connectEdge('edge-w');
      await edge.subscribeAsync(edgeTopic('edge-w', 'ack'), { qos: 1 });
      const acks: number[] = [];
      edge.on('message', (_t, p) => acks.push(JSON.parse(p.toString()).upTo));
      const text = batchText(
        1,
        3,
        {
          1: [{ ...good(1), ts: Date.UTC(2019, 11, 31) }, 'time_before_window'],
          2: [{ ...good(2), ts: Date.now() + 10 * 60_000 }, 'time_after_window'],
        },
        'edge-w',
      );
      await edge.publishAsync(edgeTopic('edge-w', 'telemetry'), text, { qos: 1 });
      await expect.poll(() => acks.at(-1)).toBe(3);
      const rows = await sql<{ seq: string; reason: string }>`
        SELECT seq::text AS seq, reason FROM ingest_quarantine ORDER BY seq`.execute(
        t.central.database.db,
      );
      expect(rows.rows).toEqual([
        { seq: '1', reason: 'time_before_window' },
        { seq: '2', reason: 'time_after_window' },
      ]);
    } finally {
      await t.close();
    }
  });
});
