import { formatZodIssues, GridlinkError, parseJsonText } from '@gridlink/shared';
import { z } from 'zod';

/** Hello: `{"id":0}` asks for a free meter id, `{"id":N}` names the meter (SEEDS E). */
const hello = z
  .object({ id: z.number().int().min(0), secret: z.string().max(256).optional() })
  .strict();

/**
 * A reading: cumulative kWh at the meter's wall-clock time. `consumption` may be any number JSON
 * can carry (`1e400` parses as Infinity): the reading window turns down what is not finite.
 */
const spent = z
  .object({
    id: z.number().int().min(1),
    consumption: z.number().min(0),
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
