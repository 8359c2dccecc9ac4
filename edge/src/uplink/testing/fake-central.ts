import { EventEmitter } from 'node:events';
import {
  type Ack,
  allEdgesFilter,
  decodePayload,
  edgeTopic,
  parseJsonPayload,
  type Reading,
  type TelemetryBatch,
  telemetryBatchSchema,
} from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';

export type Outcome = { kind: 'stored' | 'duplicate' | 'gap'; upTo: number };

export interface FakeCentralOptions {
  url: string;
  /** 'lose' acts as if the n-th batch (from 0) never arrived. */
  onBatch?: (batch: TelemetryBatch, n: number) => 'process' | 'lose';
  /** false withholds the ack after the batch was decided (stored, duplicate or gap). */
  shouldAck?: (batch: TelemetryBatch, outcome: Outcome, n: number) => boolean;
}

/**
 * The central's exactly-once rule in miniature, on a real MQTT client: a high-water mark per
 * (edgeId, epoch), mirroring central/src/ingest/store-batch.ts. A batch at or below the mark is a
 * duplicate (re-acked); one starting beyond mark + 1 is stored only when the edge dropped the
 * gap (droppedUpTo >= firstSeq - 1), otherwise refused with the current mark; straddling is fine.
 */
export class FakeCentral extends EventEmitter<{ batch: [TelemetryBatch, Outcome] }> {
  readonly marks = new Map<string, number>();
  /** seq → times stored (tests use one edge and one epoch). */
  readonly storeCounts = new Map<number, number>();
  readonly stored: Reading[] = [];
  readonly counts = { stored: 0, duplicate: 0, gap: 0, lost: 0 };
  largestPayload = 0;
  readonly #o: FakeCentralOptions;
  readonly #client: MqttClient;
  #n = 0;

  private constructor(options: FakeCentralOptions, client: MqttClient) {
    super();
    this.#o = options;
    this.#client = client;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  static async start(options: FakeCentralOptions): Promise<FakeCentral> {
    const client = mqtt.connect(options.url, { clientId: 'fake-central', reconnectPeriod: 20 });
    client.on('error', () => {});
    const central = new FakeCentral(options, client);
    const subscribe = () => client.subscribeAsync(allEdgesFilter('telemetry'), { qos: 1 });
    client.on('connect', () => void subscribe().catch(() => {}));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await subscribe();
    return central;
  }

  /** Publishes an ack as the central would (tests use it for foreign or stale acks). */
  async ack(edgeId: string, ack: Ack): Promise<void> {
    await this.#client.publishAsync(edgeTopic(edgeId, 'ack'), JSON.stringify(ack), { qos: 1 });
  }

  /** Resolves once a batch satisfying `predicate` was decided. */
  waitForBatch(predicate: (batch: TelemetryBatch, outcome: Outcome) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const listener = (batch: TelemetryBatch, outcome: Outcome) => {
        if (!predicate(batch, outcome)) return;
        this.off('batch', listener);
        resolve();
      };
      this.on('batch', listener);
    });
  }

  /** Seqs stored more than once, and seqs in 1..upTo never stored. */
  audit(upTo: number): { twice: number[]; missing: number[] } {
    const twice = [...this.storeCounts].filter(([, n]) => n > 1).map(([seq]) => seq);
    const missing: number[] = [];
    for (let seq = 1; seq <= upTo; seq++) if (!this.storeCounts.has(seq)) missing.push(seq);
    return { twice, missing };
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }

  #onMessage(_topic: string, payload: Buffer): void {
    this.largestPayload = Math.max(this.largestPayload, payload.byteLength);
    const json = decodePayload(payload, 10_000_000);
    const batch = parseJsonPayload(telemetryBatchSchema, json, 10_000_000);
    const n = this.#n++;
    if (this.#o.onBatch?.(batch, n) === 'lose') {
      this.counts.lost++;
      return;
    }
    const outcome = this.#store(batch);
    this.counts[outcome.kind]++;
    this.emit('batch', batch, outcome);
    if (this.#o.shouldAck?.(batch, outcome, n) === false) return;
    void this.ack(batch.edgeId, { epoch: batch.epoch, upTo: outcome.upTo }).catch(() => {});
  }

  #store(batch: TelemetryBatch): Outcome {
    const key = `${batch.edgeId}/${batch.epoch}`;
    const mark = this.marks.get(key) ?? 0;
    if (batch.lastSeq <= mark) return { kind: 'duplicate', upTo: mark };
    if (batch.firstSeq > mark + 1 && batch.droppedUpTo < batch.firstSeq - 1)
      return { kind: 'gap', upTo: mark };
    for (const reading of batch.readings) {
      if (reading.seq <= mark) continue;
      this.storeCounts.set(reading.seq, (this.storeCounts.get(reading.seq) ?? 0) + 1);
      this.stored.push(reading);
    }
    this.marks.set(key, batch.lastSeq);
    return { kind: 'stored', upTo: batch.lastSeq };
  }
}
