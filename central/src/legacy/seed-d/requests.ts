import { type Cpf, formatZodIssues, GridlinkError, normalizeCpf } from '@gridlink/shared';
import { z } from 'zod';

/**
 * The request bodies of seed D's terminal (SEEDS.md D), as its client builds them:
 * `json.dumps({...}, separators=(',',':'), indent='\t')`. Pure: each parser takes the body text
 * and returns the typed request or throws GL_VALIDATION with a message naming the field.
 */

export const ROUTES = [
  'cadCliente',
  'cadMedidor',
  'postConsumo',
  'getConsumoHist',
  'getFatura',
  'getAlarme',
] as const;
export type RouteName = (typeof ROUTES)[number];

/** The method the original server answered each route on; anything else is its 404. */
export const ROUTE_METHOD: Readonly<Record<RouteName, 'GET' | 'POST'>> = Object.freeze({
  cadCliente: 'POST',
  cadMedidor: 'POST',
  postConsumo: 'POST',
  getConsumoHist: 'GET',
  getFatura: 'GET',
  getAlarme: 'GET',
});

/** Registration and manual readings are the utility's acts; the rest read one customer's data. */
export const OPERATOR_ROUTES: ReadonlySet<RouteName> = new Set([
  'cadCliente',
  'cadMedidor',
  'postConsumo',
]);

/**
 * The CPF the original used as the customer id: the client sends the text typed in (`input()`),
 * formatted or not; a JSON number is accepted too (leading zeros restored).
 */
const cpfField = z
  .union([z.string().max(32), z.number().int().min(0).max(99_999_999_999)])
  .transform((v, ctx): Cpf => {
    const text = typeof v === 'number' ? String(v).padStart(11, '0') : v;
    try {
      return normalizeCpf(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid CPF (11 digits, check digits)' });
      return z.NEVER;
    }
  });

/** A meter number: 1, 2, … per customer, sent as text (the client's `input()`) or a number. */
const meterNumber = z
  .union([z.string().regex(/^\d{1,9}$/, 'expected a meter number'), z.number().int()])
  .transform(Number)
  .pipe(z.number().int().min(1, 'meter numbers start at 1').max(999_999_999));

/** kWh of the interval: a JSON number (the meter's float) or its decimal text. */
const kwhField = z
  .union([
    z.number(),
    z
      .string()
      .max(32)
      .regex(/^\d+(\.\d+)?$/, 'expected a decimal number'),
  ])
  .transform(Number)
  .pipe(
    z
      .number()
      .refine(Number.isFinite, 'must be finite')
      .pipe(z.number().min(0, 'must not be negative').max(1_000_000_000)),
  );

/** Epoch seconds, integer or fractional (`time.time()`), as a number or its text. */
const epochSeconds = z
  .union([
    z.number(),
    z
      .string()
      .max(32)
      .regex(/^\d+(\.\d+)?$/, 'expected epoch seconds'),
  ])
  .transform(Number)
  .pipe(z.number().refine(Number.isFinite, 'must be finite').pipe(z.number().min(0)));

const periodoField = z
  .union([z.number().int(), z.string().regex(/^\d{1,6}$/, 'expected a whole number')])
  .transform(Number)
  .pipe(z.number().int().min(0, 'must be 0 (current) or more').max(100_000));

const kindField = z
  .string()
  .max(8)
  .transform((k) => k.toUpperCase())
  .pipe(z.enum(['D', 'M', 'Y'], { message: 'expected D (day), M (month) or Y (year)' }));

const nameField = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, 'must not be empty').max(120, 'at most 120 characters'));

/** Unknown fields are ignored, as the original server did; the known ones are checked. */
const schemas = {
  cadCliente: z.object({ id: cpfField, name: nameField }),
  cadMedidor: z.object({ id: cpfField }),
  postConsumo: z.object({
    id: cpfField,
    id_medidor: meterNumber,
    valor: kwhField,
    timestamp: epochSeconds,
  }),
  getConsumoHist: z.object({
    id: cpfField,
    id_medidor: meterNumber.optional(),
    periodo: periodoField,
    kind: kindField,
  }),
  getFatura: z.object({ id: cpfField }),
  getAlarme: z.object({ id: cpfField }),
} satisfies Record<RouteName, z.ZodType>;

export type TerminalRequest = {
  [K in RouteName]: { route: K; body: z.output<(typeof schemas)[K]> };
}[RouteName];

/** Parses a route's body text; GL_VALIDATION (400) naming the field when it is wrong. */
export function parseRequest(route: RouteName, text: string): TerminalRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GridlinkError('GL_VALIDATION', `body is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new GridlinkError('GL_VALIDATION', 'body must be a JSON object');
  const parsed = schemas[route].safeParse(json);
  if (!parsed.success) throw new GridlinkError('GL_VALIDATION', formatZodIssues(parsed.error));
  return { route, body: parsed.data } as TerminalRequest;
}
