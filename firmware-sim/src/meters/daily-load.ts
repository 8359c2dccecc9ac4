/**
 * A household's daily load shape, pure: a small morning bump, a midday plateau and an evening
 * peak, as a fraction 0..1 of the way from base load to peak load.
 */

const MS_PER_HOUR = 3_600_000;

/** A Gaussian bump centred on `centre` hours, measured around the clock (23 h is near 1 h). */
function bump(hour: number, centre: number, width: number): number {
  const d = Math.abs(hour - centre);
  const distance = Math.min(d, 24 - d);
  return Math.exp(-0.5 * (distance / width) ** 2);
}

/** Local hour of day, 0 ≤ h < 24, for a Unix time and a UTC offset in minutes. */
export function hourOfDay(ms: number, utcOffsetMinutes: number): number {
  const hours = (ms + utcOffsetMinutes * 60_000) / MS_PER_HOUR;
  return ((hours % 24) + 24) % 24;
}

/** Day of week of a Unix time in a UTC offset: 0 Sunday … 6 Saturday. */
export function dayOfWeek(ms: number, utcOffsetMinutes: number): number {
  const days = Math.floor((ms + utcOffsetMinutes * 60_000) / (24 * MS_PER_HOUR));
  // 1970-01-01 was a Thursday (4).
  return (((days + 4) % 7) + 7) % 7;
}

export type LoadKind = 'residential' | 'commercial';

/**
 * 0 (base load) … 1 (peak). Residential: a morning bump, a midday plateau and the evening peak;
 * at weekends the morning comes later and the household is home at midday. Commercial: a working
 * day plateau with a lunch dip on weekdays, a short Saturday morning, closed on Sunday.
 */
export function dailyShape(hour: number, weekday = 3, kind: LoadKind = 'residential'): number {
  const weekend = weekday === 0 || weekday === 6;
  if (kind === 'commercial') {
    if (weekday === 0) return 0;
    const open = (from: number, to: number) =>
      1 / (1 + Math.exp(-(hour - from) * 3)) - 1 / (1 + Math.exp(-(hour - to) * 3));
    if (weekday === 6) return 0.6 * open(8, 13);
    return Math.max(0, open(8, 18) - 0.15 * bump(hour, 12.5, 0.6));
  }
  const shape = weekend
    ? 0.3 * bump(hour, 9.5, 1.5) + 0.45 * bump(hour, 13, 3) + bump(hour, 19.5, 1.8)
    : 0.35 * bump(hour, 7.5, 1.2) + 0.2 * bump(hour, 13, 2.5) + bump(hour, 19.5, 1.8);
  return Math.min(1, shape);
}
