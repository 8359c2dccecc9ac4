import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deepFreeze, looseObjectPaths } from './strict.js';

describe('looseObjectPaths', () => {
  it('finds a loose object behind every kind of wrapper (the config tests are not vacuous)', () => {
    const loose = z.object({ a: z.number() });
    const schema = z
      .object({
        plain: loose,
        optional: loose.optional(),
        defaulted: loose.prefault({ a: 1 }),
        array: z.array(loose).default([]),
        union: z.discriminatedUnion('k', [
          z.object({ k: z.literal('x') }).strict(),
          z.object({ k: z.literal('y'), inner: loose }).strict(),
        ]),
        record: z.record(z.string(), loose),
        piped: loose.transform((v) => v),
        refined: z
          .object({ deep: z.object({ deeper: loose }).strict() })
          .strict()
          .refine(() => true),
        extended: z.object({}).strict().extend({ more: loose }),
        strict: z.object({ b: z.string() }).strict(),
      })
      .passthrough();
    expect(looseObjectPaths(schema)).toEqual([
      '(root)',
      'plain',
      'optional',
      'defaulted',
      'array[]',
      'union|1.inner',
      'record',
      'piped',
      'refined.deep.deeper',
      'extended.more',
    ]);
  });

  it('is empty for a schema strict at every level', () => {
    const strict = z.object({ a: z.array(z.object({ b: z.number() }).strict()) }).strict();
    expect(looseObjectPaths(strict)).toEqual([]);
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, in place', () => {
    const value = { a: { b: [1, { c: 2 }] } };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(() => {
      (value.a.b as unknown[]).push(3);
    }).toThrow(TypeError);
  });
});
