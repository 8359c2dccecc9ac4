import { z } from 'zod';
import { valueNameSchema } from '../wire/telemetry.js';

export const registerTypes = [
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
  'string',
  'bits',
] as const;
export type RegisterType = (typeof registerTypes)[number];

/**
 * Byte and word order, named by where bytes A (most significant) .. D land on the wire.
 * ABCD big-endian; DCBA little-endian; BADC bytes swapped in each word; CDAB words swapped.
 * 64-bit values extend the same rule (CDAB → GHEFCDAB).
 */
export const wordOrders = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
export type WordOrder = (typeof wordOrders)[number];

export const registerFieldSchema = z
  .object({
    name: valueNameSchema,
    quantity: z.string().min(1).max(64),
    unit: z.string().max(16).default(''),
    fn: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    address: z.number().int().min(0).max(0xffff),
    type: z.enum(registerTypes),
    order: z.enum(wordOrders).default('ABCD'),
    /** Registers a string occupies (2 characters each). */
    length: z.number().int().min(1).max(125).optional(),
    /** For `bits`: one bit of the register (0 = least significant); absent = the whole mask. */
    bit: z.number().int().min(0).max(15).optional(),
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
    writable: z.boolean().default(false),
    /**
     * Holding registers: the write function the device accepts. Absent = 16 (write multiple
     * registers, Modbus Application Protocol v1.1b3 §6.12); 6 = write single register (§6.6),
     * for one-register types only, e.g. KEBA's control registers.
     */
    writeFn: z.union([z.literal(6), z.literal(16)]).optional(),
    /**
     * false = write-only: the device refuses reads of it, so pollers skip it and the value never
     * appears in a reading. Absent = readable.
     */
    readable: z.boolean().optional(),
    /** For enumerated states: the meaning of each raw value (documentation; the value stays a number). */
    enum: z
      .record(
        z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'must be a non-negative integer'),
        z.string().min(1).max(64),
      )
      .optional(),
    description: z.string().max(200).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'string' && f.length === undefined) {
      ctx.addIssue({ code: 'custom', path: ['length'], message: 'is required for type string' });
    }
    if ((f.fn === 1 || f.fn === 2) && f.type !== 'bits') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'coils and discrete inputs (fn 1/2) must be bits',
      });
    }
    if (f.writeFn !== undefined && !(f.fn === 3 && f.writable)) {
      ctx.addIssue({
        code: 'custom',
        path: ['writeFn'],
        message: 'is only for writable holding registers (fn 3)',
      });
    }
    if (f.writeFn === 6 && registerCount(f) !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['writeFn'],
        message: `6 writes one register; a ${f.type} spans ${registerCount(f)}`,
      });
    }
    if (f.readable === false && !f.writable) {
      ctx.addIssue({
        code: 'custom',
        path: ['readable'],
        message: 'a field that cannot be read must be writable',
      });
    }
    if (f.address + registerCount(f) - 1 > 0xffff) {
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'field runs past register 65535',
      });
    }
  });
export type RegisterField = z.output<typeof registerFieldSchema>;
export type RegisterFieldInput = z.input<typeof registerFieldSchema>;

/** How many 16-bit registers (or coils, for fn 1/2) a field spans. */
export function registerCount(field: {
  type: RegisterType;
  length?: number | undefined;
  fn: number;
}): number {
  if (field.fn === 1 || field.fn === 2) return 1;
  switch (field.type) {
    case 'int16':
    case 'uint16':
    case 'bits':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return field.length ?? 1;
  }
}
