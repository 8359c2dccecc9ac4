import { GridlinkError } from '@gridlink/shared';
import { BILLING_INPUT_INVALID } from '../errors.js';

/**
 * Calendar helpers. Local wall-clock values always come from Intl with an IANA zone
 * (America/Bahia by default) — never from a fixed UTC offset — so a zone that changes its DST
 * rules (Bahia observed DST until 2012) is handled by the runtime's tz database.
 * Date-only values (`'2024-03-01'`) are civil dates; day counts between them are pure calendar
 * arithmetic and do not depend on any zone.
 */
export const DEFAULT_TIME_ZONE = 'America/Bahia';

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6; // 0 = Sunday

export interface LocalTime {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  weekday: Weekday;
  /** Minutes since local midnight, 0..1439. */
  minuteOfDay: number;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a civil date; throws on `2024-02-30` and friends. */
export function dayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw bad(`not a YYYY-MM-DD date: ${date}`, 'date-format', { date });
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw bad(`not a calendar date: ${date}`, 'date-invalid', { date });
  }
  return ms / MS_PER_DAY;
}

export function isCivilDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

export function dateFromDayNumber(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateFromDayNumber(dayNumber(date) + days);
}

/** Days in the half-open range [start, end). */
export function daysBetween(start: string, end: string): number {
  return dayNumber(end) - dayNumber(start);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a GridlinkError unless `zone` is an IANA zone the runtime knows. */
export function assertTimeZone(zone: string): void {
  localFormatter(zone);
}

function localFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        weekday: 'short',
      });
    } catch {
      throw bad(`unknown time zone: ${zone}`, 'time-zone', { zone });
    }
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, Weekday> = {
  Sun: 0,
  Mon: 1,
  Tue: 2,
  Wed: 3,
  Thu: 4,
  Fri: 5,
  Sat: 6,
};

/** The wall-clock date, weekday and minute of `instant` in `zone`. */
export function localTime(instant: Date, zone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of localFormatter(zone).formatToParts(instant)) parts[p.type] = p.value;
  const weekday = WEEKDAYS[parts.weekday ?? ''];
  if (weekday === undefined) throw bad('cannot read local weekday', 'time-zone', { zone });
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday,
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** `'18:30'` → 1110; `'24:00'` → 1440 (only useful as a window end). */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const h = Number(m?.[1]);
  const min = Number(m?.[2]);
  if (!m || min > 59 || h > 24 || (h === 24 && min !== 0)) {
    throw bad(`not a HH:MM time: ${hhmm}`, 'time-format', { time: hhmm });
  }
  return h * 60 + min;
}

function bad(message: string, reason: string, details: Record<string, unknown>): GridlinkError {
  return new GridlinkError(BILLING_INPUT_INVALID, message, {
    reason: `calendar.${reason}`,
    ...details,
  });
}
