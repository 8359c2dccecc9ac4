export {
  type Clock,
  type ClockAndTimers,
  systemClock,
  type TimerHandle,
  type Timers,
} from './clock.js';
export { FakeClock } from './fake-clock.js';
