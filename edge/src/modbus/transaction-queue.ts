/**
 * The bus arbiter. With `concurrency: 1` (the default) one transaction at a time on a link: an
 * RS-485 bus, or a Modbus TCP gateway whose serial line is one bus (Modbus over Serial Line
 * v1.02 §2.1: one master, one request outstanding). A native Modbus TCP device may take several
 * requests in flight (Modbus Messaging on TCP/IP v1.0b §4.2, matched by transaction identifier).
 * Commands go ahead of waiting polls; within a priority, first come first served.
 */
export type Priority = 'command' | 'poll';

export interface TransactionQueueOptions {
  /** Transactions in flight at once; 1 for a bus. */
  concurrency?: number;
}

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class TransactionQueue {
  readonly #commands: Job[] = [];
  readonly #polls: Job[] = [];
  readonly #concurrency: number;
  #active = 0;
  #closed = false;
  readonly #release = (): void => {
    this.#active--;
    this.#pump();
  };

  constructor(options: TransactionQueueOptions = {}) {
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  }

  get depth(): number {
    return this.#commands.length + this.#polls.length;
  }

  get active(): number {
    return this.#active;
  }

  run<T>(priority: Priority, task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('transaction queue closed'));
    // A free slot and nobody waiting: start at once, without queueing (the common case on a
    // native TCP device, and on any link that keeps up with its polls).
    if (this.#active < this.#concurrency && this.depth === 0) return this.#start(task);
    return new Promise<T>((resolve, reject) => {
      const job: Job = { task, resolve: resolve as (value: unknown) => void, reject };
      (priority === 'command' ? this.#commands : this.#polls).push(job);
      this.#pump();
    });
  }

  /**
   * The idle fast path without a promise of the queue's own: takes a slot when one is free and
   * nobody waits, and the caller must then call `release()` exactly once when its transaction is
   * over. Returns false (nothing taken) otherwise; then use `run`.
   */
  tryAcquire(): boolean {
    if (this.#closed || this.#active >= this.#concurrency || this.depth > 0) return false;
    this.#active++;
    return true;
  }

  /** Gives back a slot taken by `tryAcquire`, starting the next waiting job. */
  release(): void {
    this.#release();
  }

  close(): void {
    this.#closed = true;
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#active++;
    let p: Promise<T>;
    try {
      p = task();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(this.#release, this.#release);
    return p;
  }

  #pump(): void {
    while (this.#active < this.#concurrency) {
      const job = this.#commands.shift() ?? this.#polls.shift();
      if (!job) return;
      this.#start(job.task).then(job.resolve, job.reject);
    }
  }
}
