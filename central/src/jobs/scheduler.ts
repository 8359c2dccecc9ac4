import type { ClockAndTimers, TimerHandle } from '@gridlink/shared';
import { type CronSpec, nextFire, parseCron } from './cron.js';

/** The port jobs are scheduled through: cron on the injected clock in production, manual in tests. */
export interface Scheduler {
  schedule(
    expression: string,
    options: { name: string; timeZone: string },
    /** `at` is the scheduled instant (the same on every instance), not the wall clock. */
    task: (at: Date) => Promise<void>,
  ): { stop(): void };
}

/** Real timers wrap after 2^31 − 1 ms (~24.8 days): a monthly wait is taken in steps. */
const MAX_WAIT_MS = 3_600_000;

/**
 * Cron on `clock`: each fire is computed from `clock.now()` and waited for with `clock`'s timers,
 * so a FakeClock drives the schedule in tests. A fire that comes while the previous run of the
 * same task is still going is skipped (no overlap); the next one is computed from the clock.
 */
export function clockScheduler(clock: ClockAndTimers): Scheduler {
  return {
    schedule(expression, options, task) {
      const spec = parseCron(expression);
      if (typeof spec === 'string') throw new Error(`job ${options.name}: bad cron: ${spec}`);
      let timer: TimerHandle | undefined;
      let stopped = false;
      let running = false;
      const arm = (after: number) => {
        if (stopped) return;
        const due = nextFire(spec as CronSpec, after, options.timeZone);
        const wait = () => {
          const left = due - clock.now();
          if (left > MAX_WAIT_MS) {
            timer = clock.setTimeout(wait, MAX_WAIT_MS).unref();
            return;
          }
          timer = clock.setTimeout(() => fire(due), Math.max(left, 1)).unref();
        };
        wait();
      };
      const fire = (due: number) => {
        if (stopped) return;
        // A clock that jumped past several fires runs the latest one only.
        const latest = latestFire(spec as CronSpec, due, clock.now(), options.timeZone);
        if (!running) {
          running = true;
          void task(new Date(latest)).finally(() => {
            running = false;
          });
        }
        arm(Math.max(latest, clock.now() - 1));
      };
      arm(clock.now());
      return {
        stop: () => {
          stopped = true;
          clock.clearTimeout(timer);
        },
      };
    },
  };
}

function latestFire(spec: CronSpec, due: number, now: number, zone: string): number {
  let at = due;
  for (let i = 0; i < 1000; i++) {
    const next = nextFire(spec, at, zone);
    if (next > now) return at;
    at = next;
  }
  return at;
}
