import { isValidCnpj, isValidCpf } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';

/** The largest PostgreSQL `integer` (int4): every serial id of the central fits in 1..INT4_MAX. */
export const INT4_MAX = 2_147_483_647;

const ID_TEXT = /^[1-9][0-9]{0,9}$/;
const idMessage = `expected an id: a whole number from 1 to ${INT4_MAX} in decimal digits`;

/**
 * A serial id as text (a path or query parameter): decimal digits only, no sign, exponent, hex,
 * spaces or leading zeros, and within int4, so it can never reach the database out of range.
 */
export const serialIdText = () =>
  z
    .string()
    .regex(ID_TEXT, idMessage)
    .transform(Number)
    .pipe(z.number().max(INT4_MAX, idMessage))
    .openapi({ type: 'integer', minimum: 1, maximum: INT4_MAX, example: 1 });

/** A serial id inside a JSON body: an integer in 1..INT4_MAX. */
export const serialIdNumber = () =>
  z.number().int(idMessage).min(1, idMessage).max(INT4_MAX, idMessage);

/** `{id}` path parameter. */
export const IdParam = z.object({
  id: serialIdText().openapi({ param: { name: 'id', in: 'path' } }),
});

/** A path parameter `{name}` holding a serial id. */
export const idPathParam = (name: string) =>
  serialIdText().openapi({ param: { name, in: 'path' } });

/** A customer named by its serial id, or by its CPF (11 digits) or CNPJ (14 digits). */
export type CustomerKey = { id: number } | { document: string };

const DOCUMENT_TEXT = /^(\d{11}|\d{14})$/;

/**
 * `{id}` of a customer: a serial id, or the customer's CPF/CNPJ in digits (what seed D's
 * clients use as the id). Unambiguous: an id has at most 10 digits, a document 11 or 14, and its
 * check digits must hold (an 11- or 14-digit number that is not a valid document is 400).
 */
export const customerKeyText = () =>
  z
    .string()
    .superRefine((text, ctx) => {
      if (ID_TEXT.test(text) && Number(text) <= INT4_MAX) return;
      if (DOCUMENT_TEXT.test(text) && (text.length === 11 ? isValidCpf(text) : isValidCnpj(text)))
        return;
      ctx.addIssue({
        code: 'custom',
        message: `${idMessage}, or a CPF (11 digits) or CNPJ (14 digits) with valid check digits`,
      });
    })
    .transform(
      (text): CustomerKey => (text.length <= 10 ? { id: Number(text) } : { document: text }),
    )
    .openapi({
      type: 'string',
      pattern: '^([1-9][0-9]{0,9}|[0-9]{11}|[0-9]{14})$',
      description: 'The customer id, or its CPF (11 digits) or CNPJ (14 digits)',
      example: '1',
    });
