/**
 * Ingest across instances (docs/SCALE-OUT.md): two TelemetryIngest instances on one database, as
 * two centrals on one shared subscription. The broker dealt an edge's second batch to instance B
 * before instance A stored the first: B waits for it (gapWaitMs) and stores its batch once A has,
 * instead of refusing it as a gap and having the edge send it again. A batch whose predecessor
 * never comes is still refused as the gap it is, after the wait. The waits run on injected
 * timers, fired by the test: no sleeps.
 */
import { edgeTopic, type TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { TelemetryIngest } from '../src/ingest/index.js';
import { createCentralMetrics } from '../src/metrics/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const EDGE = 'edge-gap-wait';
const batch = (firstSeq: number, count: number): TelemetryBatch => ({
  edgeId: EDGE,
  epoch: 'epoch-0001',
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
const payload = (b: TelemetryBatch) => Buffer.from(JSON.stringify(b));
const topic = edgeTopic(EDGE, 'telemetry');

/** An instance: its acks, its pending waits (fired by the test), its metrics. */
function instance(db: Database, gapWaitMs: number) {
  const acks: Array<{ epoch: string; upTo: number }> = [];
  const waits: Array<{ fire: () => void; ms: number }> = [];
  let waitAsked: () => void = () => undefined;
  const metrics = createCentralMetrics();
  const ingest = new TelemetryIngest({
    db: db.db,
    ...(db.copyTransaction ? { copyTransaction: db.copyTransaction } : {}),
    link: {
      publish: async (_topic: string, text: string | Buffer) => {
        acks.push(JSON.parse(text.toString()));
      },
    },
    logger: pino({ level: process.env.GL_DEBUG ? 'debug' : 'silent' }),
    metrics,
    maxPayloadBytes: 1 << 20,
    gapWaitMs,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        waits.push({ fire: fn, ms });
        waitAsked();
        return { unref: () => ({ unref: () => undefined }) as never } as never;
      },
    },
  });
  /** Resolves when the instance asks for its next wait. */
  const nextWait = () =>
    new Promise<void>((resolve) => {
      waitAsked = resolve;
    });
  return { ingest, acks, waits, metrics, nextWait };
}

const stored = async (db: Database) =>
  Number(
    (
      await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM readings r JOIN meters m ON m.id = r.meter_id
        WHERE m.edge_id = ${EDGE}`.execute(db.db)
    ).rows[0]?.n,
  );
const gapWaits = async (m: ReturnType<typeof createCentralMetrics>) =>
  (await m.ingestGapWaits.get()).values.map((v) => [v.labels.result, v.value]);

describeEachStore('a batch that overtook its predecessor', (store) => {
  let db: (Database & { dispose(): Promise<void> }) | undefined;
  const started: TelemetryIngest[] = [];
  afterEach(async () => {
    for (const i of started.splice(0)) await i.stop();
    await db?.dispose();
    db = undefined;
  });
  const start = async (d: Database, gapWaitMs: number) => {
    await upsertEdgeCredential(d.db, EDGE); // the edge is registered (its credential issued)
    const i = instance(d, gapWaitMs);
    await i.ingest.start();
    started.push(i.ingest);
    return i;
  };

  it('waits for the other instance to store the predecessor, then is stored, never refused', async () => {
    db = await store.open();
    const a = await start(db, 1000);
    const b = await start(db, 1000);

    // B gets seqs 11..20 first: the mark is 0, so its first try is a gap and it asks to wait.
    const waiting = b.nextWait();
    b.ingest.onTelemetry(topic, payload(batch(11, 10)));
    const first = await Promise.race([
      waiting.then(() => 'waits'),
      b.ingest.idle().then(() => 'done'),
    ]);
    expect(first).toBe('waits');
    expect(b.acks).toEqual([]);

    // A stores seqs 1..10 meanwhile.
    a.ingest.onTelemetry(topic, payload(batch(1, 10)));
    await a.ingest.idle();
    expect(a.acks).toEqual([{ epoch: 'epoch-0001', upTo: 10 }]);

    // B's wait ends: its batch now follows the mark.
    (b.waits.shift() as { fire: () => void }).fire();
    await b.ingest.idle();
    expect(b.acks).toEqual([{ epoch: 'epoch-0001', upTo: 20 }]);
    expect(await stored(db)).toBe(20);
    expect(await gapWaits(b.metrics)).toEqual([['resolved', 1]]);
  });

  it('a predecessor that never comes: refused as a gap once the wait is over', async () => {
    db = await store.open();
    const b = await start(db, 100);
    b.ingest.onTelemetry(topic, payload(batch(11, 10)));
    // Fire each wait as it is asked for, until the instance is done: 5 + 10 + 20 + 40 + 25 ms.
    const done = b.ingest.idle();
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    while (!finished) {
      const asked = b.nextWait();
      const w = b.waits.shift();
      if (w) w.fire();
      else await Promise.race([asked, done]);
    }
    expect(b.acks).toEqual([{ epoch: 'epoch-0001', upTo: 0 }]);
    expect(await stored(db)).toBe(0);
    expect(await gapWaits(b.metrics)).toEqual([['gap', 1]]);
  });

  it('without a wait (one instance) a gap is refused at once', async () => {
    db = await store.open();
    const b = await start(db, 0);
    b.ingest.onTelemetry(topic, payload(batch(11, 10)));
    await b.ingest.idle();
    expect(b.waits).toEqual([]);
    expect(b.acks).toEqual([{ epoch: 'epoch-0001', upTo: 0 }]);
  });
});
