import { systemClock, type Timers } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { NewReading, ReadingLog } from '../log/index.js';

/** How an append the log refused is retried before its readings are counted as dropped. */
export interface SinkRetry {
  /** Attempts per group commit, the first included. */
  attempts: number;
  /** Wait before the second attempt; it doubles up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** 5 attempts over ~3 s: a transient I/O error passes, a dead disk is reported quickly. */
export const DEFAULT_SINK_RETRY: SinkRetry = Object.freeze({
  attempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
});

export interface ReadingSinkOptions {
  log: ReadingLog;
  /** Called after each successful group commit (wakes the uplink). */
  afterCommit: () => void;
  logger: Logger;
  /** The retry waits run on these (the edge's injected clock). */
  timers?: Timers;
  retry?: SinkRetry;
}

export interface ReadingSinkStats {
  /** Readings given up after every attempt failed (never stored, so never sent). */
  dropped: number;
  /** Appends the log refused, retries included. */
  failedAppends: number;
}

/**
 * Collects the readings of one poll cycle and appends them in one group commit: polls that
 * finish in the same turn of the event loop share one LevelDB batch (and one fsync).
 *
 * An append the log refuses is retried with a bounded backoff (warned each time); if every
 * attempt fails its readings are counted as dropped and reported (error log with the count and
 * the error, `stats()`, the edge status' `log.dropped`): never lost silently. Readings pushed
 * meanwhile wait in memory and go in the next commit. Such readings never got seqs, so the
 * log's seq accounting (and the central's reconciliation over it) is untouched (docs/EDGE.md).
 */
export class ReadingSink {
  readonly #log: ReadingLog;
  readonly #afterCommit: () => void;
  readonly #logger: Logger;
  readonly #timers: Timers;
  readonly #retry: SinkRetry;
  #pending: NewReading[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  #closing = false;
  #wake: (() => void) | undefined;
  #dropped = 0;
  #failedAppends = 0;

  constructor(options: ReadingSinkOptions) {
    this.#log = options.log;
    this.#afterCommit = options.afterCommit;
    this.#logger = options.logger;
    this.#timers = options.timers ?? systemClock;
    this.#retry = options.retry ?? DEFAULT_SINK_RETRY;
  }

  push(reading: NewReading): void {
    this.#pending.push(reading);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }

  /** Commits what is buffered; resolves when every reading pushed so far is in the log or counted dropped. */
  flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(() =>
      batch.length === 0 ? undefined : this.#commit(batch),
    );
    return this.#flushing;
  }

  /** The last flush: a failing append is tried once more without waiting, then counted dropped. */
  close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    return this.flush();
  }

  stats(): ReadingSinkStats {
    return { dropped: this.#dropped, failedAppends: this.#failedAppends };
  }

  async #commit(batch: NewReading[]): Promise<void> {
    let delay = this.#retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#log.append(batch);
        if (attempt > 1)
          this.#logger.info(
            { count: batch.length, attempts: attempt },
            'readings appended after retrying',
          );
        this.#afterCommit();
        return;
      } catch (err) {
        this.#failedAppends++;
        if (attempt >= this.#retry.attempts || this.#closing) {
          this.#dropped += batch.length;
          this.#logger.error(
            {
              err,
              code: 'GL_LOG_APPEND_FAILED',
              dropped: batch.length,
              droppedTotal: this.#dropped,
              attempts: attempt,
            },
            'readings dropped: the log refused them on every attempt',
          );
          return;
        }
        this.#logger.warn(
          { err, code: 'GL_LOG_APPEND_FAILED', count: batch.length, attempt, retryInMs: delay },
          'appending readings to the log failed; retrying',
        );
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#retry.maxDelayMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#timers.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        this.#timers.clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
