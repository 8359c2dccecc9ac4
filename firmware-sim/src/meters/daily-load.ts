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

/** 0 (night) … 1 (evening peak). */
export function dailyShape(hour: number): number {
  const shape = 0.35 * bump(hour, 7.5, 1.2) + 0.2 * bump(hour, 13, 2.5) + bump(hour, 19.5, 1.8);
  return Math.min(1, shape);
}
