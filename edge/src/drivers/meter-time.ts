import { GridlinkError } from '@gridlink/shared';

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
/** Epoch seconds with a fraction, as Python's `time.time()` prints it (SEEDS D). */
const FRACTIONAL_SECONDS = /^\d{9,10}\.\d{1,9}$/;

/**
 * Where a meter's zone-less wall-clock times are read: an IANA time zone (`America/Bahia`,
 * daylight saving time applied by Intl), or a fixed offset from UTC in minutes (the deprecated
 * `localTimeOffsetMinutes`).
 */
export type MeterZone = string | number;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** UTC milliseconds of a wall-clock time read as UTC; years taken literally (0-99 included). */
function utcOfWall(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  // Not Date.UTC(y, …): it reads years 0-99 as 1900-1999 (ECMA-262 §21.4.3.4 MakeFullYear).
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

/** The zone's offset from UTC at instant `t` (ms), by Intl: wall clock there minus UTC. */
export function zoneOffsetMs(timeZone: string, t: number): number {
  const parts: Record<string, string> = {};
  for (const p of formatterOf(timeZone).formatToParts(new Date(t))) parts[p.type] = p.value;
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const wall = utcOfWall(
    year,
    Number(parts.month),
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/**
 * The instant a wall-clock time (given as if UTC, `wallAsUtc`) names in `timeZone`. A time that
 * occurs twice (the hour repeated when DST ends) is the earlier instant; a time that never
 * occurs (the hour skipped when DST starts) is read with the offset in force before the jump,
 * i.e. it lands that far after the jump, as a meter whose clock was not yet turned would mean.
 */
export function instantOfWall(timeZone: string, wallAsUtc: number): number {
  const day = 86_400_000;
  const before = zoneOffsetMs(timeZone, wallAsUtc - day);
  const after = zoneOffsetMs(timeZone, wallAsUtc + day);
  const candidates = [wallAsUtc - before, wallAsUtc - after]
    .filter((t) => zoneOffsetMs(timeZone, t) + t === wallAsUtc)
    .sort((a, b) => a - b);
  return candidates[0] ?? wallAsUtc - before;
}

/** Zone offsets by wall-clock hour, for hours with no transition in them (bounded). */
const hourOffsets = new Map<string, number>();
const HOUR = 3_600_000;

/**
 * instantOfWall, cached per zone and wall-clock hour: Intl costs tens of microseconds a call, and
 * a meter's readings fall mostly in the same hour. An hour is cached only when the offset holds
 * from its first to its last millisecond (no DST transition within it).
 */
function cachedInstantOfWall(timeZone: string, wall: number): number {
  const hour = Math.floor(wall / HOUR);
  const key = `${timeZone}|${hour}`;
  const cached = hourOffsets.get(key);
  if (cached !== undefined) return wall - cached;
  const t = instantOfWall(timeZone, wall);
  const offset = wall - t;
  const start = hour * HOUR - offset;
  if (
    zoneOffsetMs(timeZone, start) === offset &&
    zoneOffsetMs(timeZone, start + HOUR - 1) === offset
  ) {
    if (hourOffsets.size >= 4096) hourOffsets.clear();
    hourOffsets.set(key, offset);
  }
  return t;
}

/**
 * A meter's time as epoch milliseconds. Accepts epoch seconds (integer, or with a fraction as
 * Python's `time.time()` prints it, e.g. `1764950400.123456`: kept to the millisecond) or epoch
 * milliseconds (numbers or digit strings), ISO 8601 with a zone, and zone-less wall-clock
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` (the original meters' `%Y-%m-%d %H:%M:%S`), read in `zone`
 * (an IANA zone, DST-correct, or a fixed offset in minutes); four-digit years are taken literally.
 * Anything else throws GL_PAYLOAD_SCHEMA. Whether the time is plausible is not decided here:
 * every reading passes the edge's reading window before it is logged.
 */
export function parseMeterTime(input: unknown, zone: MeterZone): number {
  if (typeof input === 'number' || (typeof input === 'string' && /^\d{9,13}$/.test(input))) {
    const n = Number(input);
    if (Number.isInteger(n) && n > 0) return n < 1e11 ? n * 1000 : n;
    // A float epoch in seconds (a JSON number such as 1764950400.123456).
    if (Number.isFinite(n) && n > 0 && n < 1e11) return Math.round(n * 1000);
  }
  if (typeof input === 'string' && FRACTIONAL_SECONDS.test(input)) {
    const [whole, fraction] = input.split('.') as [string, string];
    return Number(whole) * 1000 + Math.round(Number(`0.${fraction}`) * 1000);
  }
  if (typeof input === 'string') {
    const m = WALL_CLOCK.exec(input);
    if (m) {
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const ms = Math.min(999, Math.round(Number(`0.${m[7] ?? '0'}`) * 1000));
      const wall = utcOfWall(y, mo, d, h, mi, s);
      const check = new Date(wall);
      if (check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && h < 24 && mi < 60 && s < 60)
        return (
          (typeof zone === 'number' ? wall - zone * 60_000 : cachedInstantOfWall(zone, wall)) + ms
        );
    } else if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(input)) {
      const t = Date.parse(input);
      if (Number.isFinite(t)) return t;
    }
  }
  throw new GridlinkError(
    'GL_PAYLOAD_SCHEMA',
    `timestamp ${JSON.stringify(input)?.slice(0, 40)} is not a time`,
  );
}

/** Whether `zone` is an IANA time zone this runtime knows (Intl accepts it). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
