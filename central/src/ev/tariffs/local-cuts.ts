import { localTime } from '../../billing/index.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Milliseconds since the epoch of a civil date's midnight, as if it were UTC. */
function civilMs(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

/** The zone's offset (local wall time − UTC) at `t`, whole minutes. */
function offsetAt(t: number, zone: string): number {
  const lt = localTime(new Date(t), zone);
  const wall = civilMs(lt.date) + lt.minuteOfDay * MINUTE;
  return wall - Math.floor(t / MINUTE) * MINUTE;
}

/**
 * The instants in (from, to) where the wall clock of `zone` reads one of `minutes` (minutes since
 * local midnight, 0..1439), in order. Found from the zone's offset through Intl (never a fixed
 * offset), checked back, so a wall time a DST change skips is not a cut and a repeated one cuts
 * twice at most once per offset.
 */
export function localCuts(from: number, to: number, zone: string, minutes: readonly number[]) {
  const out = new Set<number>();
  if (minutes.length === 0 || to <= from) return [];
  const first = civilMs(localTime(new Date(from), zone).date) - DAY;
  const last = civilMs(localTime(new Date(to), zone).date) + DAY;
  for (let day = first; day <= last; day += DAY) {
    for (const m of minutes) {
      const wall = day + m * MINUTE;
      for (const guess of [wall - offsetAt(wall, zone), wall - offsetAt(wall - DAY / 2, zone)]) {
        const t = wall - offsetAt(guess, zone);
        const back = localTime(new Date(t), zone);
        if (civilMs(back.date) === day && back.minuteOfDay === m && t > from && t < to) out.add(t);
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}
