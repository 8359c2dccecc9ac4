import { GridlinkError } from '@gridlink/shared';

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * A meter's time as epoch milliseconds. Accepts epoch seconds or milliseconds (numbers or digit
 * strings), ISO 8601 with a zone, and zone-less wall-clock `YYYY-MM-DD HH:MM:SS` (the original
 * second system's `%Y-%m-%d %H:%M:%S`), read at `offsetMinutes` from UTC; four-digit years are
 * taken literally. Anything else throws GL_PAYLOAD_SCHEMA. Whether the time is plausible is not
 * decided here: every reading passes the edge's reading window before it is logged.
 */
export function parseMeterTime(input: unknown, offsetMinutes: number): number {
  if (typeof input === 'number' || (typeof input === 'string' && /^\d{9,13}$/.test(input))) {
    const n = Number(input);
    if (Number.isInteger(n) && n > 0) return n < 1e11 ? n * 1000 : n;
  }
  if (typeof input === 'string') {
    const m = WALL_CLOCK.exec(input);
    if (m) {
      const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as number[];
      const ms = Number((m[7] ?? '0').padEnd(3, '0'));
      // Not Date.UTC(y, …): it reads years 0-99 as 1900-1999, so `0001-01-01` would become 1901
      // (ECMA-262 §21.4.3.4 MakeFullYear). setUTCFullYear takes the year literally; the reading
      // window then judges it.
      const check = new Date(0);
      check.setUTCFullYear(y as number, (mo as number) - 1, d);
      check.setUTCHours(h as number, mi, s, ms);
      const utc = check.getTime();
      if (
        check.getUTCMonth() === (mo as number) - 1 &&
        check.getUTCDate() === d &&
        (h as number) < 24
      )
        return utc - offsetMinutes * 60_000;
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
