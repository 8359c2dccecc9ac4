/**
 * Cron expressions evaluated on an injected clock (no timers of its own): 5 fields
 * `minute hour day-of-month month day-of-week`, or 6 with a leading `second` for sub-minute
 * sweeps (`*∕10 * * * * *`). Each field: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*∕n` and
 * `a-b/n`; day-of-week 0–7 (0 and 7 are Sunday). As in Vixie cron, when both day fields are
 * restricted a day matches either. Times are read in an IANA zone through `Intl`.
 */
export interface CronSpec {
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly dayRestricted: boolean;
  readonly weekdayRestricted: boolean;
}

const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function field(text: string, [lo, hi]: readonly [number, number]): Set<number> | string {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return `'${part}' is not a number, range, list or step`;
    const from = m[1] === '*' ? lo : Number(m[2]);
    const to = m[1] === '*' ? hi : m[3] !== undefined ? Number(m[3]) : m[4] ? hi : from;
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (from < lo || to > hi || from > to) return `'${part}' is outside ${lo}-${hi}`;
    if (step < 1) return `'${part}' has a zero step`;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

const FIELD_NAMES = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
function names(text: string, list: string[], first: number): string {
  return text.replace(/[a-z]+/gi, (w) => {
    const i = list.indexOf(w.slice(0, 3).toLowerCase());
    return i < 0 ? w : String(i + first);
  });
}

/** The parsed expression, or the reason it is not one. */
export function parseCron(expression: string): CronSpec | string {
  const parts = expression.trim().split(/\s+/);
  // Names as node-cron and Vixie cron take them: months and weekdays, three letters or whole.
  const n = parts.length;
  if (n >= 5) {
    parts[n - 2] = names(parts[n - 2] as string, MONTHS, 1);
    parts[n - 1] = names(parts[n - 1] as string, DAYS, 0);
  }
  if (parts.length !== 5 && parts.length !== 6)
    return `expected 5 fields (minute hour day month weekday) or 6 (second first), got ${parts.length}`;
  const all = parts.length === 5 ? ['0', ...parts] : parts;
  const sets: Set<number>[] = [];
  for (const [i, text] of all.entries()) {
    const f = field(text, RANGES[i] as readonly [number, number]);
    if (typeof f === 'string') return `${FIELD_NAMES[i]}: ${f}`;
    sets.push(f);
  }
  const [seconds, minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0);
  const MAX_DAY = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const someDay = [...months].some((m) => [...days].some((d) => d <= (MAX_DAY[m] as number)));
  if (!someDay && all[5] === '*') return 'no month has such a day';
  return {
    seconds,
    minutes,
    hours,
    days,
    months,
    weekdays,
    dayRestricted: all[3] !== '*',
    weekdayRestricted: all[5] !== '*',
  };
}

export function isCronExpression(expression: string): boolean {
  return typeof parseCron(expression) !== 'string';
}

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

function localParts(ms: number, zone: string) {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const { type, value } of f.formatToParts(ms)) p[type] = value;
  return {
    month: Number(p.month),
    day: Number(p.day),
    weekday: WEEKDAY[p.weekday as string] as number,
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
  };
}

/**
 * The first instant strictly after `afterMs` (whole seconds) that `spec` matches in `zone`.
 * Skips a whole local day, hour or minute at a time when that field does not match.
 */
export function nextFire(spec: CronSpec, afterMs: number, zone: string): number {
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  // Five years of seconds cannot all fail for a valid spec (Feb 30 is the only never-match).
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const l = localParts(t, zone);
    const dayOk =
      spec.dayRestricted && spec.weekdayRestricted
        ? spec.days.has(l.day) || spec.weekdays.has(l.weekday)
        : spec.days.has(l.day) && spec.weekdays.has(l.weekday);
    if (!spec.months.has(l.month) || !dayOk) {
      t += ((23 - l.hour) * 3600 + (59 - l.minute) * 60 + (60 - l.second)) * 1000;
    } else if (!spec.hours.has(l.hour)) {
      t += ((59 - l.minute) * 60 + (60 - l.second)) * 1000;
    } else if (!spec.minutes.has(l.minute)) {
      t += (60 - l.second) * 1000;
    } else if (!spec.seconds.has(l.second)) {
      t += 1000;
    } else {
      return t;
    }
  }
  throw new Error('cron expression never matches');
}
