import type { ClockAndTimers, TimerHandle } from './clock.js';

interface FakeTimer extends TimerHandle {
  readonly id: number;
  at: number;
  readonly fn: () => void;
  /** Repeat period for an interval; undefined for a timeout. */
  readonly every: number | undefined;
}

/** Node runs a delay below 1 ms (or not a number) after 1 ms; so does this clock. */
const delay = (ms: number) => (Number.isFinite(ms) && ms >= 1 ? Math.floor(ms) : 1);

/**
 * A clock that moves only when told to, for tests (semantics of `@sinonjs/fake-timers`): `advance`
 * runs every timer due within the step in due order (ties in creation order), with `now()` at
 * each timer's due time, including timers those timers set; an interval is re-armed from its own
 * due time. `advanceAsync` lets promise callbacks and I/O run between timers.
 */
export class FakeClock implements ClockAndTimers {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, delay(ms));
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete((handle as FakeTimer).id);
  }

  clearInterval(handle: TimerHandle | undefined): void {
    this.clearTimeout(handle);
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (let t = this.#due(end); t; t = this.#due(end)) this.#fire(t);
    this.#now = end;
  }

  /** As `advance`, with a turn of the event loop before each timer and after the last. */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      const t = this.#due(end);
      if (!t) break;
      this.#fire(t);
    }
    this.#now = end;
  }

  /** Sets the wall clock without running timers (a clock jump); timers keep their due times. */
  set(ms: number): void {
    this.#now = ms;
  }

  #add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: FakeTimer = {
      id: this.#nextId++,
      at: this.#now + delay(ms),
      fn,
      every,
      unref: () => timer,
    };
    this.#timers.set(timer.id, timer);
    return timer;
  }

  /** The earliest timer due at or before `end`; of two due together, the one set first. */
  #due(end: number): FakeTimer | undefined {
    let first: FakeTimer | undefined;
    for (const t of this.#timers.values())
      if (t.at <= end && (!first || t.at < first.at || (t.at === first.at && t.id < first.id)))
        first = t;
    return first;
  }

  #fire(t: FakeTimer): void {
    this.#now = Math.max(this.#now, t.at);
    // An interval is re-armed before it runs, so clearInterval inside the callback stops it.
    if (t.every === undefined) this.#timers.delete(t.id);
    else t.at += t.every;
    t.fn();
  }
}
