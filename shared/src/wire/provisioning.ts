import { z } from 'zod';
import { idSchema } from '../topics/index.js';

/**
 * Provisioning of push meters (SEEDS D UDP, SEEDS E TCP JSON) without editing the edge's file
 * (docs/PROVISIONING.md). A meter that announces itself unknown is held by its edge as a
 * *pending device*, reported in the edge's status; an operator binds it to a customer at the
 * central, which publishes the binding in the desired config's `provisioned` list; the edge
 * serves it from then on and delivers what it buffered while pending.
 */

/**
 * The stable key of a pending meter on its edge: `udp-meter:{cpf}:{meterNumber}` for a seed D
 * meter (its numbers restart at 1 per customer, so the CPF scopes them) and
 * `tcp-json-meter:{assignedId}` for a seed E meter given a fresh id on `{"id":0}`.
 */
export const pendingKeySchema = z
  .string()
  .regex(/^(udp-meter|tcp-json-meter):[A-Za-z0-9._:-]{1,100}$/, 'not a pending-device key');

/** One pending meter as the edge reports it in `status.pending`. */
export const pendingDeviceSchema = z
  .object({
    key: pendingKeySchema,
    driver: z.enum(['udp-meter', 'tcp-json-meter']),
    /** Seed D: the CPF the datagrams carry (11 digits, check digits valid). */
    cpf: z
      .string()
      .regex(/^\d{11}$/)
      .optional(),
    /** What the meter calls itself: the seed D meter number, or the seed E id it was given. */
    meterId: z.string().min(1).max(64),
    /** Where it was last heard from (`address:port`), to help the operator recognise it. */
    from: z.string().max(80).optional(),
    firstSeenAt: z.number().int().min(0),
    lastSeenAt: z.number().int().min(0),
    /** Readings held on the edge for it (crash-safe), delivered once it is bound. */
    buffered: z.number().int().min(0),
    /** Readings refused because its buffer was full (counted, never silent). */
    dropped: z.number().int().min(0),
  })
  .strict();
export type PendingDevice = z.infer<typeof pendingDeviceSchema>;

/**
 * One entry of the desired config's `provisioned` list: a push meter bound at the central. The
 * edge serves it like a device of its own file (ids must not collide with those), and moves the
 * readings buffered under `pendingKey` (when given) into its log under `id`.
 */
export const provisionedMeterSchema = z.discriminatedUnion('driver', [
  z
    .object({
      id: idSchema,
      driver: z.literal('udp-meter'),
      meterId: z.string().min(1).max(64),
      cpf: z
        .string()
        .regex(/^\d{11}$/)
        .optional(),
      pendingKey: pendingKeySchema.optional(),
    })
    .strict(),
  z
    .object({
      id: idSchema,
      driver: z.literal('tcp-json-meter'),
      meterId: z
        .number()
        .int()
        .min(1)
        .max(2 ** 31 - 1),
      pendingKey: pendingKeySchema.optional(),
    })
    .strict(),
]);
export type ProvisionedMeter = z.infer<typeof provisionedMeterSchema>;

/** The desired config's `provisioned` list (at most this many bound push meters per edge). */
export const provisionedMetersSchema = z.array(provisionedMeterSchema).max(10_000);
