import { z } from '@hono/zod-openapi';
import { decodeCursor } from '../metering/index.js';
import { INT4_MAX } from './ids.js';

/**
 * Page cursors: the `next` value of one page, passed back as `cursor` for the following one. Each
 * kind is parsed here, once, into values that fit the columns they are compared with, so a forged
 * cursor is a 400 naming `cursor` and never reaches SQL out of range.
 */
const NOT_OURS = 'not a cursor from this API';

/** Keyset pages over a serial id (meters, customers, alarms, invoices): the last id, 1..INT4_MAX. */
export const idCursor = () =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, NOT_OURS)
    .transform(Number)
    .pipe(z.number().max(INT4_MAX, NOT_OURS))
    .optional()
    .openapi({ description: 'The `next` value of the previous page' });

/**
 * Keyset pages over a text key (companies): `k.` + the key in base64url. A value that is not one
 * (a bare id, a number) is a 400, as for the other kinds; `key` checks the decoded key.
 */
export const keyCursor = (key: z.ZodType<string>) =>
  z
    .string()
    .regex(/^k\.[A-Za-z0-9_-]{1,200}$/, NOT_OURS)
    .transform((text, ctx) => {
      const decoded = key.safeParse(Buffer.from(text.slice(2), 'base64url').toString('utf8'));
      if (decoded.success) return decoded.data;
      ctx.addIssue({ code: 'custom', message: NOT_OURS });
      return z.NEVER;
    })
    .optional()
    .openapi({ description: 'The `next` value of the previous page' });

/** The `next` of a page over a text key (keyCursor's inverse). */
export function encodeKeyCursor(key: string | null): string | null {
  return key === null ? null : `k.${Buffer.from(key, 'utf8').toString('base64url')}`;
}

const INT8_MAX = 2n ** 63n - 1n;
/** 9999-12-31T23:59:59.999999Z in µs since the epoch: the newest instant a reading can carry. */
const MAX_TS_MICROS = BigInt(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) * 1000n + 999n;

/** Position of the last reading of a page: [ts µs since epoch, stream id, seq]. */
export type ReadingsCursor = [string, number, string];

/** A readings cursor: ts within timestamptz's range, stream within int4, seq within int8. */
export const readingsCursor = () =>
  z
    .string()
    .max(200)
    .transform((text, ctx): ReadingsCursor => {
      const parts = decodeCursor(text);
      if (parts) {
        const [ts, stream, seq] = parts;
        if (
          BigInt(ts) <= MAX_TS_MICROS &&
          stream >= 1 &&
          stream <= INT4_MAX &&
          BigInt(seq) <= INT8_MAX
        )
          return parts;
      }
      ctx.addIssue({ code: 'custom', message: NOT_OURS });
      return z.NEVER;
    })
    .optional()
    .openapi({ type: 'string', description: 'The `next` value of the previous page' });

/** Token pages: the id of the last token (16 hex digits). */
export const tokenCursor = () =>
  z
    .string()
    .regex(/^[a-f0-9]{16}$/, NOT_OURS)
    .optional()
    .openapi({ description: 'The `next` value of the previous page' });
