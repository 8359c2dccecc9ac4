import type { Logger } from 'pino';
import type { NewReading, ReadingLog } from '../log/index.js';

/**
 * Collects the readings of one poll cycle and appends them in one group commit: polls that
 * finish in the same turn of the event loop share one LevelDB batch (and one fsync).
 */
export class ReadingSink {
  readonly #log: ReadingLog;
  readonly #afterCommit: () => void;
  readonly #logger: Logger;
  #pending: NewReading[] = [];
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(log: ReadingLog, afterCommit: () => void, logger: Logger) {
    this.#log = log;
    this.#afterCommit = afterCommit;
    this.#logger = logger;
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

  /** Commits what is buffered; resolves when every reading pushed so far is in the log. */
  flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#log.append(batch);
        this.#afterCommit();
      } catch (err) {
        this.#logger.error({ err, lost: batch.length }, 'appending readings to the log failed');
      }
    });
    return this.#flushing;
  }
}
