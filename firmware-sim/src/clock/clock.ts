import { type Clock, FakeClock, systemClock } from '@gridlink/shared';

/** The simulator's time is the shared port (`@gridlink/shared` clock/). */
export { type Clock, systemClock };

/** A clock that moves only when told to: the shared FakeClock (set, advance, timers). */
export type ManualClock = FakeClock;

export function createManualClock(startMs = 0): ManualClock {
  return new FakeClock(startMs);
}
