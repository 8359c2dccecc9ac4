import { formatZodIssues, GridlinkError, parseJsonText } from '@gridlink/shared';
import { z } from 'zod';

/** Hello: `{"id":0}` asks for a free meter id, `{"id":N}` names the meter (SEEDS E). */
const hello = z
  .object({ id: z.number().int().min(0), secret: z.string().max(256).optional() })
  .strict();

/**
 * A reading: cumulative kWh at the meter's wall-clock time. `consumption` is any number JSON can
 * carry, `1e400` (Infinity) included, which `z.number()` would refuse as a schema error: the
 * reading window turns it down instead, so it is counted as what it is (`value_not_finite`).
 */
const spent = z
  .object({
    id: z.number().int().min(1),
    consumption: z.custom<number>(
      (v) => typeof v === 'number' && !(v < 0),
      'expected a number >= 0',
    ),
    datetime: z.string().max(40),
    type: z.literal('/spent'),
    secret: z.string().max(256).optional(),
  })
  .strict();

export type MeterHello = { hello: number; secret?: string | undefined };
export type MeterSpent = z.infer<typeof spent>;

/**
 * One line: `{"id":0}` (or a known id) to say hello, or a `/spent` reading; either may carry
 * the meter's `"secret"`. Pure; throws catalog errors.
 */
export function parseMeterLine(line: string): MeterHello | MeterSpent {
  const json = parseJsonText(line, 'line is not JSON');
  const h = hello.safeParse(json);
  if (h.success) return { hello: h.data.id, secret: h.data.secret };
  const r = spent.safeParse(json);
  if (r.success) return r.data;
  throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(r.error));
}
