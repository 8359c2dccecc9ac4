/**
 * One transaction at a time on a link (an RS-485 bus, or a Modbus TCP gateway whose serial line
 * is one bus). Commands go ahead of polls; within a priority, first come first served.
 */
export type Priority = 'command' | 'poll';

interface Job {
  run: () => Promise<void>;
}

export class TransactionQueue {
  readonly #commands: Job[] = [];
  readonly #polls: Job[] = [];
  #busy = false;
  #closed = false;

  get depth(): number {
    return this.#commands.length + this.#polls.length;
  }

  run<T>(priority: Priority, task: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('transaction queue closed'));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run: () => task().then(resolve, reject) };
      (priority === 'command' ? this.#commands : this.#polls).push(job);
      this.#pump();
    });
  }

  close(): void {
    this.#closed = true;
  }

  #pump(): void {
    if (this.#busy) return;
    const job = this.#commands.shift() ?? this.#polls.shift();
    if (!job) return;
    this.#busy = true;
    void job.run().finally(() => {
      this.#busy = false;
      this.#pump();
    });
  }
}
