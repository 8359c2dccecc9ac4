import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@gridlink/central';
import { createMemoryReadingLog } from '@gridlink/edge';
import { canonicalValues, readCentral } from '../../reconcile/index.js';
import { type InProcessEdge, SyntheticProducer, startInProcessEdge } from '../../soak/harness.js';
import { deadline } from '../deadline.js';

/** How long the last acks may take once production stopped: a liveness bound, not a benchmark. */
const DRAIN_DEADLINE_MS = 60_000;

/**
 * The party that must keep being served while a target is attacked: a real edge's
 * store-and-forward half (LevelDB log, Uplink, mqtt.js client with its credentials) fed by a
 * steady synthetic producer. Every disconnect is counted: nothing a fuzzer does may take its
 * session away.
 */
export interface WellBehavedEdge {
  readonly edgeId: string;
  readonly edge: InProcessEdge;
  /** Times its MQTT connection closed. */
  disconnects(): number;
  /** Stops producing, waits until every committed reading is acknowledged, and closes. */
  finish(): Promise<{ committed: number }>;
  cleanup(): Promise<void>;
}

export async function startWellBehavedEdge(o: {
  edgeId: string;
  mqttUrl: string;
  secret: string;
  seed: number;
}): Promise<WellBehavedEdge> {
  const dir = await mkdtemp(join(tmpdir(), `gl-fuzz-${o.edgeId}-`));
  const edge = await startInProcessEdge({
    edgeId: o.edgeId,
    dir,
    mqttUrl: o.mqttUrl,
    secret: o.secret,
    seed: o.seed,
    maxReadings: 50,
  });
  if (!edge.client.connected)
    await new Promise<void>((r) => edge.client.once('connect', () => r()));
  let disconnects = 0;
  edge.client.on('close', () => disconnects++);
  // 10 readings every 20 ms, acknowledged batch by batch throughout the attack.
  edge.producer.steady(10, 20);
  await once(edge.uplink, 'ack');
  let closed = false;
  return {
    edgeId: o.edgeId,
    edge,
    disconnects: () => disconnects,
    async finish() {
      await edge.producer.stop();
      await deadline(
        edge.drained(),
        DRAIN_DEADLINE_MS,
        `${o.edgeId}: not every committed reading was acknowledged`,
      );
      const committed = edge.log.stats().lastSeq;
      await edge.close();
      closed = true;
      return { committed };
    },
    async cleanup() {
      if (!closed) await edge.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Compares what the central stored for the well-behaved edge with what it produced: seqs
 * 1..committed once each, every value as produced. Returns the mismatches (empty when exact).
 */
export async function checkWellBehavedStored(
  database: Database,
  edgeId: string,
  committed: number,
): Promise<string[]> {
  const central = await readCentral(database, edgeId);
  const problems: string[] = [];
  if (central.readings.length !== committed)
    problems.push(`${edgeId}: ${central.readings.length} readings stored, ${committed} committed`);
  // The producer's readings are a pure function of their position: make them again.
  const expected = new SyntheticProducer(createMemoryReadingLog(), () => undefined).next(committed);
  central.readings.forEach((r, i) => {
    const want = expected[r.seq - 1];
    if (r.seq !== i + 1) problems.push(`${edgeId}: stored seq ${r.seq} at position ${i + 1}`);
    else if (
      !want ||
      want.deviceId !== r.deviceId ||
      want.ts !== r.ts ||
      canonicalValues(want.values) !== canonicalValues(r.values)
    )
      problems.push(`${edgeId}: seq ${r.seq} stored as ${JSON.stringify(r)}`);
  });
  return problems.slice(0, 10);
}
