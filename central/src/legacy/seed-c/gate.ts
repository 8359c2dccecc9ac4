/**
 * At most `limit` tasks at once, the rest in arrival order; past `maxQueued` waiting, `run`
 * answers `null` at once (the caller says 503) instead of queueing without bound.
 */
export class Gate {
  readonly #limit: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number, maxQueued: number) {
    this.#limit = limit;
    this.#maxQueued = maxQueued;
  }

  async run<T>(task: () => Promise<T>): Promise<T | null> {
    if (this.#running >= this.#limit) {
      if (this.#waiting.length >= this.#maxQueued) return null;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next) next();
      else this.#running--;
    }
  }
}
