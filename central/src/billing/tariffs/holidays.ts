import { addDays } from './calendar.js';

/** Easter Sunday (Gregorian, anonymous "Meeus/Jones/Butcher" algorithm) as `YYYY-MM-DD`. */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Days that are entirely "fora de ponta" for time-of-use tariffs, besides weekends: the national
 * list in ANEEL's definition of "posto tarifário ponta" (REN 1.000/2021, carried over from
 * REN 414/2010): Carnival Tuesday, Good Friday, Corpus Christi and 01-01, 04-21, 05-01, 09-07,
 * 10-12, 11-02, 11-15, 12-25 — plus 11-20 from 2024 (Lei 14.759/2023 made it national).
 * A convenience default: tariffs may pass their own list (distributors publish theirs).
 */
export function brazilianNationalHolidays(year: number): string[] {
  const easter = easterSunday(year);
  const fixed = ['01-01', '04-21', '05-01', '09-07', '10-12', '11-02', '11-15', '12-25'];
  if (year >= 2024) fixed.push('11-20');
  return [
    addDays(easter, -47), // Carnival Tuesday
    addDays(easter, -2), // Good Friday
    addDays(easter, 60), // Corpus Christi
    ...fixed.map((md) => `${year}-${md}`),
  ].sort();
}
