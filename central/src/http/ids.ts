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
