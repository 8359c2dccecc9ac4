import {
  type Ack,
  type Clock,
  DEFAULT_CENTRAL_WINDOW,
  edgeTopic,
  GridlinkError,
  isGridlinkError,
  parseEdgeTopic,
  type Reading,
  type ReadingWindow,
  systemClock,
  type Timers,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CentralMetrics } from '../metrics/index.js';
import type { BrokerLink } from '../mqtt-router/index.js';
import type { CopyTransaction, Schema } from '../storage/index.js';
import { BatchDecoder } from './batch-decoder.js';
import { coalesceBatches } from './coalesce.js';
import type { DecodedBatch } from './decoded-batch.js';
import { FirstBatchGate } from './first-batch-gate.js';
import { jsonbText } from './jsonb-document.js';
import { KeyedQueue } from './keyed-queue.js';
import { MeterDirectory } from './meter-directory.js';
import type { QuarantinedReading } from './quarantined-reading.js';
import { type BatchOutcome, storeBatch } from './store-batch.js';

export interface TelemetryIngestOptions {
  db: Kysely<Schema>;
  /**
   * A transaction that can COPY (storage/copy-session.ts). With it, a stream's batches go in by
   * COPY once its ids are known; without it, every batch goes as a JSON document.
   */
  copyTransaction?: CopyTransaction;
  /**
   * Where acks are published: the router's broker link (mqtt-router/). Telemetry comes in through
   * the router, which calls `onTelemetry`.
   */
  link: Pick<BrokerLink, 'publish'>;
  logger: Logger;
  metrics: CentralMetrics;
  maxPayloadBytes: number;
  /** The window each reading's time must fall in; default DEFAULT_CENTRAL_WINDOW. */
  readingWindow?: ReadingWindow;
  /** The clock the window is checked against; default the system clock. */
  clock?: Clock;
  /**
   * How long a batch that starts beyond its stream's mark waits for its predecessor before it is
   * refused as a gap, ms; default 0 (refused at once: on one instance a gap is the edge's).
   * Several centrals on one shared subscription get one edge's in-flight batches dealt round
   * robin, so a batch often overtakes its predecessor on its way to another instance's store; it
   * is tried again as that store commits (docs/SCALE-OUT.md, "Ingest across instances").
   */
  gapWaitMs?: number;
  /** The timers of those waits; default the system's. */
  timers?: Pick<Timers, 'setTimeout'>;
}

/** The first wait of a batch beyond the mark, ms; each next one is twice as long. */
const GAP_FIRST_WAIT_MS = 5;

/**
 * `ingest.gapWaitMs` as configured, else 1000 ms where the broker shares the telemetry among
 * centrals (an external broker with `mqtt.shareGroup`), else 0: alone, a gap is the edge's.
 */
export function gapWaitMsOf(config: {
  ingest: { gapWaitMs?: number | undefined };
  mqtt: { mode: string; shareGroup?: string | undefined };
}): number {
  return (
    config.ingest.gapWaitMs ??
    (config.mqtt.mode === 'external' && config.mqtt.shareGroup ? 1000 : 0)
  );
}

/**
 * Readings of devices that are not meters (chargers…), as one committed transaction stored them:
 * only the seqs above the mark (a redelivery's stored part is left out), in seq order.
 */
export interface CommittedDeviceReadings {
  edgeId: string;
  /** deviceId -> its `devices` row (the readings' `device_ref`), for the devices below. */
  deviceRefs: ReadonlyMap<string, number>;
  readings: readonly Reading[];
}

/** Told after commit; must not throw or block (queue the work and return). */
export type CommittedListener = (committed: CommittedDeviceReadings) => void;

/**
 * The central's side of the data path: validate, store exactly once, then acknowledge.
 * Batches of one edge are processed in order; a bad payload is logged with its code, counted,
 * and neither stored nor acknowledged; it never affects other edges. An invalid reading in a
 * valid batch is set aside (quarantined) with the rest of the batch's transaction, counted and
 * logged; the batch is acknowledged, so one bad reading never stops a stream.
 */
export class TelemetryIngest {
  readonly #o: TelemetryIngestOptions;
  readonly #queue = new KeyedQueue();
  /** Validated batches per edge waiting for the edge's previous transaction to finish. */
  readonly #pending = new Map<string, DecodedBatch[]>();
  /** Payloads handed to the decode thread and not yet back. */
  readonly #decoding = new Set<Promise<void>>();
  /** Acks handed to the broker link and not yet taken by the broker. */
  readonly #acking = new Set<Promise<void>>();
  readonly #decoder: BatchDecoder;
  /** Only with COPY: without it, nothing is learnt from a first store. */
  readonly #gate: FirstBatchGate | undefined;
  readonly #meters: MeterDirectory;
  readonly #clock: Clock;
  readonly #committed = new Set<CommittedListener>();
  /**
   * The router's handler for `gl/v1/edges/+/telemetry`: takes the payload over (to the decode
   * thread) and returns at once.
   */
  readonly onTelemetry = (topic: string, payload: Buffer): void => this.#handle(topic, payload);

  constructor(options: TelemetryIngestOptions) {
    this.#o = options;
    this.#meters = new MeterDirectory(options.db);
    this.#clock = options.clock ?? systemClock;
    this.#decoder = new BatchDecoder({
      maxPayloadBytes: options.maxPayloadBytes,
      window: options.readingWindow ?? DEFAULT_CENTRAL_WINDOW,
    });
    this.#gate = options.copyTransaction ? new FirstBatchGate() : undefined;
  }

  async start(): Promise<void> {
    this.#decoder.start();
  }

  /** Stop the router's delivery first; this finishes what was received. */
  async stop(): Promise<void> {
    await this.idle();
    await this.#decoder.close();
  }

  /**
   * Runs `task` in the edge's order with its batch stores (the edge status: a status received
   * before a batch is recorded before the batch is stored). idle() waits for it too.
   */
  inOrder(edgeId: string, task: () => Promise<void>): void {
    void this.#queue.run(edgeId, task);
  }

  /**
   * Tells `listener` of every committed batch that stored readings of devices that are not
   * meters (ev/live: charger telemetry), after the batch is acknowledged. Meter-only batches
   * cost one size check. Returns the unsubscribe.
   */
  onCommitted(listener: CommittedListener): () => void {
    this.#committed.add(listener);
    return () => this.#committed.delete(listener);
  }

  /** Resolves once every message received so far is processed (tests, shutdown). */
  async idle(): Promise<void> {
    // A store may release held payloads to the decoder: go round until nothing is left.
    do {
      await Promise.all(this.#decoding);
      await this.#queue.idle();
    } while (this.#decoding.size > 0);
    await Promise.all(this.#acking);
  }

  #handle(topic: string, payload: Buffer): void {
    const parsed = parseEdgeTopic(topic);
    if (!parsed) {
      this.#reject(
        new GridlinkError('GL_TOPIC_INVALID', `not a gl/v1 edge topic: ${topic.slice(0, 200)}`),
      );
      return;
    }
    const { edgeId, leaf } = parsed;
    if (leaf !== 'telemetry') {
      this.#reject(new GridlinkError('GL_TOPIC_INVALID', `not a telemetry topic: ${topic}`));
      return;
    }
    if (this.#gate && !this.#gate.admit(edgeId, payload)) return;
    this.#decode(edgeId, payload);
  }

  /** Decoded off this thread; results return in arrival order, so each edge's order holds. */
  #decode(edgeId: string, payload: Buffer): void {
    const decoded = this.#decoder.decode(edgeId, payload, this.#clock.now()).then(
      (batch) => {
        const waiting = this.#pending.get(edgeId);
        if (waiting) waiting.push(batch);
        else this.#pending.set(edgeId, [batch]);
        void this.#queue.run(edgeId, () => this.#drain(edgeId));
      },
      (err: unknown) => {
        this.#reject(err, edgeId);
        this.#release(edgeId);
      },
    );
    this.#decoding.add(decoded);
    void decoded.then(() => this.#decoding.delete(decoded));
  }

  /** An edge's first batch is stored or failed: what the gate held behind it goes to decode. */
  #release(edgeId: string): void {
    for (const payload of this.#gate?.release(edgeId) ?? []) this.#decode(edgeId, payload);
  }

  #reject(err: unknown, edgeId?: string): void {
    const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
    this.#o.metrics.ingestRejected.inc({ code });
    this.#o.logger.warn(
      { code, edgeId, reason: (err as Error).message.slice(0, 500) },
      'telemetry payload rejected',
    );
  }

  /** Stores what queued up for one edge, contiguous batches merged into one transaction each. */
  async #drain(edgeId: string): Promise<void> {
    const batches = this.#pending.get(edgeId);
    if (!batches) return; // an earlier run took them
    this.#pending.delete(edgeId);
    for (const group of coalesceBatches(batches)) await this.#store(group.batch, group.count);
  }

  async #store(batch: DecodedBatch, received = 1): Promise<void> {
    const { logger, metrics } = this.#o;
    const timer = metrics.ingestSeconds.startTimer();
    try {
      const owners = await this.#meters.owners(batch.edgeId, batch.deviceIds);
      const meterIds = owners.meters;
      const copy = this.#o.copyTransaction;
      const store = () => storeBatch(this.#o.db, batch, meterIds, copy, owners.devices);
      let outcome = await store();
      if (outcome.kind === 'gap' && (this.#o.gapWaitMs ?? 0) > 0)
        outcome = await this.#awaitPredecessor(outcome, store);
      // The decode thread may write this stream's next batches as COPY rows.
      if (copy) this.#decoder.learn(batch.edgeId, batch.epoch, outcome.streamId, meterIds);
      metrics.ingestBatches.inc({ outcome: outcome.kind }, received);
      if (received > 1) metrics.ingestCoalesced.inc(received - 1);
      const ctx = {
        edgeId: batch.edgeId,
        epoch: batch.epoch,
        firstSeq: batch.firstSeq,
        lastSeq: batch.lastSeq,
      };
      if (outcome.kind === 'stored') {
        metrics.ingestReadings.inc(outcome.stored);
        if (batch.rows.kind === 'copy') metrics.ingestCopyReadings.inc(outcome.stored);
        if (outcome.gap)
          logger.warn(
            { ...ctx, gap: outcome.gap, dropped: batch.dropped },
            'edge dropped readings before sending them',
          );
        if (outcome.quarantined) this.#quarantined(ctx, outcome.quarantined);
      } else if (outcome.kind === 'duplicate') {
        logger.info(
          { ...ctx, code: 'GL_BATCH_DUPLICATE', upTo: outcome.upTo },
          'duplicate batch acknowledged again',
        );
      } else {
        logger.warn(
          { ...ctx, code: 'GL_BATCH_GAP', expected: outcome.expected },
          'batch beyond a gap not stored',
        );
      }
      // Only after commit (step 4): the mark is durable, so the edge may delete up to it.
      this.#ack(batch.edgeId, { epoch: batch.epoch, upTo: outcome.upTo });
      if (outcome.kind === 'stored' && owners.devices.size > 0 && this.#committed.size > 0)
        this.#tellCommitted(batch, owners.devices, outcome.stored, outcome.quarantined?.length);
    } catch (err) {
      metrics.ingestBatches.inc({ outcome: 'error' }, received);
      logger.error(
        { code: 'GL_INTERNAL', edgeId: batch.edgeId, err },
        'storing a batch failed; the edge will resend',
      );
    } finally {
      timer();
      this.#release(batch.edgeId);
    }
  }

  /**
   * Tries a batch beyond the mark again after waits of 5, 10, 20… ms until it is stored (another
   * instance stored its predecessor), or `gapWaitMs` have passed: then it is the gap it was.
   * Only this edge's queue waits; a batch that overtook its predecessor costs a few statements
   * here instead of being refused, resent and stored twice over.
   */
  async #awaitPredecessor(
    first: BatchOutcome & { kind: 'gap' },
    store: () => Promise<BatchOutcome>,
  ): Promise<BatchOutcome> {
    const limit = this.#o.gapWaitMs ?? 0;
    const setTimer = this.#o.timers?.setTimeout ?? setTimeout;
    let outcome: BatchOutcome = first;
    for (let waited = 0, step = GAP_FIRST_WAIT_MS; outcome.kind === 'gap' && waited < limit; ) {
      const ms = Math.min(step, limit - waited);
      await new Promise<void>((resolve) => setTimer(resolve, ms));
      waited += ms;
      step *= 2;
      outcome = await store();
    }
    this.#o.metrics.ingestGapWaits.inc({ result: outcome.kind === 'gap' ? 'gap' : 'resolved' });
    return outcome;
  }

  /**
   * The stored part is the seqs above the old mark: the batch's last `stored + quarantined` seqs.
   * Batches with devices that are not meters always go as JSON rows (store-batch.ts).
   */
  #tellCommitted(
    batch: DecodedBatch,
    deviceRefs: ReadonlyMap<string, number>,
    stored: number,
    quarantined = 0,
  ): void {
    if (batch.rows.kind !== 'json') return;
    try {
      const above = batch.lastSeq - stored - quarantined;
      const all = JSON.parse(jsonbText(batch.rows.doc)) as Reading[];
      const readings = all.filter((r) => r.seq > above && deviceRefs.has(r.deviceId));
      if (readings.length === 0) return;
      const committed = { edgeId: batch.edgeId, deviceRefs, readings };
      for (const listener of this.#committed) listener(committed);
    } catch (err) {
      this.#o.logger.error(
        { code: 'GL_INTERNAL', edgeId: batch.edgeId, err },
        'a committed-batch listener failed',
      );
    }
  }

  /** Counts readings set aside by reason, and logs them once per batch with the first example. */
  #quarantined(ctx: Record<string, unknown>, entries: readonly QuarantinedReading[]): void {
    const reasons: Record<string, number> = {};
    for (const q of entries) {
      reasons[q.reason] = (reasons[q.reason] ?? 0) + 1;
      this.#o.metrics.ingestQuarantined.inc({ reason: q.reason });
    }
    const first = entries[0] as QuarantinedReading;
    this.#o.logger.warn(
      {
        ...ctx,
        code: 'GL_READING_QUARANTINED',
        quarantined: entries.length,
        reasons,
        seq: first.seq,
        example: first.message.slice(0, 200),
      },
      'readings set aside at ingest',
    );
  }

  /**
   * Publishes an ack without waiting for the broker to have it: the next transaction of the edge
   * starts at once instead of one broker round trip later. Both links hand messages on in call
   * order, so an edge sees its acks in order. A lost ack costs nothing but time: acks are
   * cumulative, and the edge resends after its timeout, which the mark turns into a duplicate.
   */
  #ack(edgeId: string, ack: Ack): void {
    const sent = this.#o.link.publish(edgeTopic(edgeId, 'ack'), JSON.stringify(ack)).then(
      () => undefined,
      (err: Error) =>
        this.#o.logger.warn(
          { code: 'GL_INTERNAL', edgeId, upTo: ack.upTo, reason: err.message },
          'publishing an ack failed; the edge will resend',
        ),
    );
    this.#acking.add(sent);
    void sent.then(() => this.#acking.delete(sent));
  }
}
