import type { TimerHandle } from '@gridlink/shared';
import type { Timers } from '../types.js';

interface Pending {
  fn: () => void;
  ms: number;
}

interface Handle extends TimerHandle {
  readonly id: number;
}

/** Timers that fire only when the test says so; told apart by their delay. */
export class ManualTimers implements Timers {
  readonly #pending = new Map<number, Pending>();
  #next = 1;

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#pending.set(id, { fn, ms });
    const handle: Handle = { id, unref: () => handle };
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#pending.delete((handle as Handle).id);
  }

  /** How many timers with this delay are armed. */
  armed(ms: number): number {
    return [...this.#pending.values()].filter((p) => p.ms === ms).length;
  }

  /** Fires every armed timer with this delay; returns how many fired. */
  fire(ms: number): number {
    const due = [...this.#pending].filter(([, p]) => p.ms === ms);
    for (const [id, p] of due) {
      this.#pending.delete(id);
      p.fn();
    }
    return due.length;
  }
}
