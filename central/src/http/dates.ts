import { z } from '@hono/zod-openapi';

/**
 * Dates and instants in requests, parsed once: the text must name a day that exists (2024-02-30
 * does not), a time of day that exists (24:00 does not) and an instant between 0001-01-01 and
 * 9999-12-31 UTC, the range both JavaScript and PostgreSQL hold. What passes is handed on as text
 * (the domain interprets local times in a customer's zone) or as a Date.
 */
const DATE = '(\\d{4})-(\\d{2})-(\\d{2})';
const TIME = '(\\d{2}):(\\d{2})(?::(\\d{2})(\\.\\d{1,9})?)?';
const LOCAL_RE = new RegExp(`^${DATE}(?:T${TIME})?$`);
const INSTANT_RE = new RegExp(`^${DATE}T${TIME}(Z|[+-](\\d{2}):(\\d{2}))$`);
const YEAR_MONTH_RE = /^(\d{4})-(\d{2})$/;

const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function dayExists(y: string, m: string, d: string): boolean {
  const [year, month, day] = [Number(y), Number(m), Number(d)];
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

function timeExists(h = '00', min = '00', s = '00'): boolean {
  return Number(h) <= 23 && Number(min) <= 59 && Number(s) <= 59;
}

/** `YYYY-MM-DD[THH:MM[:SS[.fff]]]`: a wall-clock time that exists on the calendar, no zone. */
export function isLocalDateTime(text: string): boolean {
  const [hit, y = '', mo = '', d = '', h, min, s] = LOCAL_RE.exec(text) ?? [];
  return hit !== undefined && dayExists(y, mo, d) && timeExists(h, min, s);
}

/** An ISO 8601 instant with `Z` or a `±HH:MM` offset (at most ±14:59), in range. */
export function parseInstant(text: string): Date | undefined {
  const [hit, y = '', mo = '', d = '', h, min, s, , , oh = '0', om = '0'] =
    INSTANT_RE.exec(text) ?? [];
  if (hit === undefined || !dayExists(y, mo, d) || !timeExists(h, min, s)) return undefined;
  if (Number(oh) > 14 || Number(om) > 59) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS ? new Date(ms) : undefined;
}

const INSTANT_MESSAGE =
  'expected an ISO 8601 instant with Z or an offset, on a real date from 0001-01-01 to 9999-12-31';

/** An instant as a query parameter, handed on as a Date. */
export const instantParam = () =>
  z
    .string()
    .max(40)
    .transform((text, ctx) => {
      const at = parseInstant(text);
      if (at) return at;
      ctx.addIssue({ code: 'custom', message: INSTANT_MESSAGE });
      return z.NEVER;
    })
    .openapi({ type: 'string', format: 'date-time' });

/** A local date/time in the customer's zone, or an instant; handed on as the text. */
export const localOrInstantParam = () =>
  z
    .string()
    .max(40)
    .refine(
      (text) => isLocalDateTime(text) || parseInstant(text) !== undefined,
      'expected a real local date YYYY-MM-DD[THH:MM] or an ISO 8601 instant, from 0001-01-01 to 9999-12-31',
    );

/** A calendar month `YYYY-MM`, year 0001 to 9999. */
export const yearMonth = () =>
  z
    .string()
    .refine((text) => {
      const [hit, y = '', mo = ''] = YEAR_MONTH_RE.exec(text) ?? [];
      return hit !== undefined && dayExists(y, mo, '01');
    }, 'expected YYYY-MM, a month from 0001-01 to 9999-12')
    .openapi({ example: '2024-03' });
