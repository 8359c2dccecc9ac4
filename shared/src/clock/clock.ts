/**
 * The one time port of GridLink (issue #15 item 8): wall-clock time and timers, injected from the
 * composition roots (`startEdge`, `startCentral`, `startFleet`/`startSimulator`) so retry, expiry,
 * windows and sweeps are tested with a FakeClock instead of waiting. Shape after MQTT.js
 * `src/lib/get-timer.ts`: an object with the four timer functions, the real ones by default.
 */

/** Milliseconds since the Unix epoch. Take only this when nothing needs a timer. */
export interface Clock {
  now(): number;
}

/** What a timer function returns. `unref` lets the process exit while the timer is pending. */
export interface TimerHandle {
  unref(): TimerHandle;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

/** The port the composition roots take and pass down. */
export type ClockAndTimers = Clock & Timers;

/** The system clock and Node's timers: the default everywhere. */
export const systemClock: ClockAndTimers = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: TimerHandle | undefined) =>
    clearTimeout(h as ReturnType<typeof setTimeout> | undefined),
  setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
  clearInterval: (h: TimerHandle | undefined) =>
    clearInterval(h as ReturnType<typeof setInterval> | undefined),
});
