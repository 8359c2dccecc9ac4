import { z } from 'zod';
import { pixKeyType, toPixText } from '../billing/index.js';
import { parseCron } from '../jobs/index.js';

/**
 * Value checks the central's config runs at parse time, each a zod schema, so a bad value fails
 * start-up (exit 2) with its key path instead of failing later inside a job as GL_INTERNAL.
 */

/**
 * A cron expression as the job scheduler reads it (jobs/cron.ts: 5 fields, or 6 with seconds
 * first), checked by the same parser, so a schedule the config accepts is one the scheduler runs.
 * Use it for every schedule in the config: `cronExpression.default('0 3 1 * *')`.
 */
export const cronExpression = z.string().superRefine((expression, ctx) => {
  const spec = parseCron(expression);
  if (typeof spec === 'string')
    ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${spec}` });
});

/** True when `zone` names an IANA time zone this Node knows (no bare UTC offsets). */
export function isIanaTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone such as America/Bahia or America/Sao_Paulo. */
export const ianaTimeZone = z
  .string()
  .refine(isIanaTimeZone, { message: 'not an IANA time zone (e.g. America/Bahia)' });

/**
 * A Pix key as the BCB's DICT registers it: a CPF (11 digits, valid check digits) or a CNPJ (14,
 * valid check digits), digits only; an e-mail of at most 77 characters; a phone `+55` + area code
 * + number (10-11 digits); or a random (EVP) key, a lower-case UUID.
 */
export const pixKey = z.string().refine(
  (k) => {
    const type = pixKeyType(k);
    if (type === 'phone') return /^\+55[1-9]\d\d{8,9}$/.test(k);
    if (type === 'evp') return k === k.toLowerCase();
    return type !== undefined;
  },
  {
    message:
      'not a Pix key: a CPF or CNPJ (digits only, valid check digits), an e-mail, +55 and a phone number, or a random key (lower-case UUID)',
  },
);

/**
 * Merchant name (EMV tag 59, at most 25) or city (tag 60, at most 15): what is left after accents
 * are removed (`São Paulo` → `Sao Paulo`) must be printable ASCII, not blank, within the limit.
 */
export const emvText = (max: number) =>
  z.string().superRefine((v, ctx) => {
    const text = toPixText(v).trim();
    if (text.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be blank' });
    else if (!/^[\x20-\x7e]+$/.test(text))
      ctx.addIssue({
        code: 'custom',
        message: 'only letters (accents are dropped), digits, spaces and ASCII punctuation',
      });
    else if (text.length > max)
      ctx.addIssue({ code: 'custom', message: `at most ${max} characters (EMV QRCPS)` });
  });
