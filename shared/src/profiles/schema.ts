import { z } from 'zod';
import { registerCount, registerFieldSchema } from '../registers/field.js';
import { idSchema } from '../topics/index.js';

export const profileCommandSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  description: z.string().max(200).default(''),
  /** The writable field the command writes. */
  field: z.string(),
  /** A fixed value; absent = the caller passes one. */
  value: z.number().finite().optional(),
  /** Bounds for a caller-supplied value, in engineering units (checked before anything is written). */
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
});

export const profileSchema = z
  .object({
    id: idSchema,
    vendor: z.string().min(1),
    model: z.string().min(1),
    kind: z.enum(['meter', 'charger']),
    /** Where the register map comes from (manufacturer document, version). */
    reference: z.string().min(1),
    fields: z.array(registerFieldSchema).min(1),
    /**
     * Registers the device serves in one read request, when the vendor allows fewer than the
     * protocol's 125 (KEBA: one 32-bit value, 2 registers). The edge never reads more at once.
     */
    maxRegisters: z.number().int().min(1).max(125).optional(),
    commands: z.array(profileCommandSchema).default([]),
  })
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    p.fields.forEach((f, i) => {
      if (names.has(f.name))
        ctx.addIssue({
          code: 'custom',
          path: ['fields', i, 'name'],
          message: `duplicate field ${f.name}`,
        });
      names.add(f.name);
    });
    const max = p.maxRegisters;
    if (max !== undefined) {
      p.fields.forEach((f, i) => {
        if (f.readable !== false && registerCount(f) > max)
          ctx.addIssue({
            code: 'custom',
            path: ['fields', i, 'type'],
            message: `${f.name} spans ${registerCount(f)} registers, more than maxRegisters ${max}`,
          });
      });
    }
    p.commands.forEach((c, i) => {
      const field = p.fields.find((f) => f.name === c.field);
      if (!field)
        ctx.addIssue({
          code: 'custom',
          path: ['commands', i, 'field'],
          message: `no field ${c.field}`,
        });
      else if (!field.writable)
        ctx.addIssue({
          code: 'custom',
          path: ['commands', i, 'field'],
          message: `${c.field} is not writable`,
        });
    });
  });
export type Profile = z.output<typeof profileSchema>;
