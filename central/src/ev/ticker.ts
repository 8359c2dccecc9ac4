import type { ClockAndTimers, TimerHandle } from '@gridlink/shared';

/**
 * Runs `task` every `periodMs` on `clock`, one run at a time: the next run is armed only when the
 * last has settled. So a run never overlaps the one before, a slow database delays the next run
 * instead of piling runs up, and a fake clock moved by hours runs the task once, not once per
 * period it skipped (a 1 s reconcile under a 6 h step of a test's clock was 21,600 runs). The EV
 * modules' reconcile ticks (live, reservations monitor, sessions, watches) all run on one.
 */
export class Ticker {
  readonly #clock: ClockAndTimers;
  readonly #periodMs: number;
  readonly #task: () => Promise<unknown>;
  readonly #onError: (err: unknown) => void;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    clock: ClockAndTimers,
    periodMs: number,
    task: () => Promise<unknown>,
    onError: (err: unknown) => void,
  ) {
    this.#clock = clock;
    this.#periodMs = periodMs;
    this.#task = task;
    this.#onError = onError;
  }

  /** Arms the first run `periodMs` from now. */
  start(): this {
    this.#arm();
    return this;
  }

  /** No more runs; resolves when the one running (if any) has settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = Promise.resolve()
        .then(this.#task)
        .then(
          () => undefined,
          (err: unknown) => this.#onError(err),
        )
        .finally(() => {
          this.#running = undefined;
          this.#arm();
        });
    }, this.#periodMs);
    this.#timer.unref();
  }
}
