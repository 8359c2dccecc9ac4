import type { Worker } from 'node:worker_threads';
import { type ErrorCode, GridlinkError, type ReadingWindow } from '@gridlink/shared';
import { moduleWorker } from '../threads/index.js';
import type { LearnedIds } from './copy-rows.js';
import type { DecodedBatch } from './decoded-batch.js';

export type DecodeRequest =
  /** `nowMs`: the central's clock when the payload arrived, for the reading window. */
  | { type: 'decode'; id: number; edgeId: string; payload: Uint8Array; nowMs: number }
  /** Ids the worker may write into COPY rows from now on. */
  | { type: 'learn'; ids: LearnedIds };

export type DecodeResponse =
  | { id: number; ok: true; batch: DecodedBatch }
  | { id: number; ok: false; code: ErrorCode; message: string };

interface Waiter {
  resolve: (batch: DecodedBatch) => void;
  reject: (err: Error) => void;
}

/**
 * Decodes telemetry payloads (inflate, JSON, validation, re-encoding) on a worker thread, so the
 * thread that runs the broker only hands batches on and stores. Results come back in the order the
 * payloads went in. A worker that dies fails what it held (those batches are not acknowledged,
 * so their edges resend them) and the next payload starts a new one.
 */
export interface BatchDecoderOptions {
  maxPayloadBytes: number;
  /** The window each reading's time must fall in (the worker's for its whole life). */
  window: ReadingWindow;
}

export class BatchDecoder {
  readonly #options: BatchDecoderOptions;
  readonly #waiting = new Map<number, Waiter>();
  #worker: Worker | undefined;
  #nextId = 1;
  /** What the current worker was taught: `s` + edge + epoch, `m` + edge + device. */
  #taught = new Set<string>();

  constructor(options: BatchDecoderOptions) {
    this.#options = { maxPayloadBytes: options.maxPayloadBytes, window: { ...options.window } };
  }

  /** Starts the worker ahead of the first payload (it loads in the background). */
  start(): void {
    this.#worker ??= this.#spawn();
  }

  /** Decodes `payload`, checking its readings' times against the window at `nowMs`. */
  decode(edgeId: string, payload: Buffer, nowMs: number): Promise<DecodedBatch> {
    this.#worker ??= this.#spawn();
    const id = this.#nextId++;
    // A copy the worker can own: the MQTT payload may be a view into a larger buffer.
    const bytes = new Uint8Array(payload);
    const worker = this.#worker;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage(
        { type: 'decode', id, edgeId, payload: bytes, nowMs } satisfies DecodeRequest,
        [bytes.buffer],
      );
    });
  }

  /**
   * Teaches the worker a stream's id and meter ids, so later batches of that stream come back as
   * COPY rows. Only what this worker does not know yet is sent; messages keep their order, so
   * payloads sent after this are decoded knowing it.
   */
  learn(
    edgeId: string,
    epoch: string,
    streamId: number,
    meters: ReadonlyMap<string, number>,
  ): void {
    const worker = this.#worker;
    if (!worker) return;
    const streamKey = `s${edgeId}\u0000${epoch}`;
    const fresh: Array<[string, number]> = [];
    for (const [deviceId, meterId] of meters) {
      const key = `m${edgeId}\u0000${deviceId}`;
      if (this.#taught.has(key)) continue;
      this.#taught.add(key);
      fresh.push([deviceId, meterId]);
    }
    if (fresh.length === 0 && this.#taught.has(streamKey)) return;
    this.#taught.add(streamKey);
    worker.postMessage({
      type: 'learn',
      ids: { edgeId, epoch, streamId, meters: fresh },
    } satisfies DecodeRequest);
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new GridlinkError('GL_INTERNAL', 'the ingest is stopping'));
    await worker?.terminate();
  }

  #spawn(): Worker {
    this.#taught = new Set(); // a new worker knows no ids
    const worker = moduleWorker(import.meta.url, 'decode-worker', {
      workerData: this.#options,
    });
    worker.unref();
    worker.on('message', (res: DecodeResponse) => {
      const waiter = this.#waiting.get(res.id);
      if (!waiter) return;
      this.#waiting.delete(res.id);
      if (res.ok) waiter.resolve(res.batch);
      else waiter.reject(new GridlinkError(res.code, res.message));
    });
    const lost = (reason: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failAll(new GridlinkError('GL_INTERNAL', `the ingest decode worker ${reason}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    return worker;
  }

  #failAll(err: Error): void {
    for (const waiter of this.#waiting.values()) waiter.reject(err);
    this.#waiting.clear();
  }
}
