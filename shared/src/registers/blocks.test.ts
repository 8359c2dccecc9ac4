import { describe, expect, it } from 'vitest';
import { planBlocks } from './blocks.js';
import { registerFieldSchema } from './field.js';

const f = (name: string, address: number, type: 'float32' | 'uint16' = 'float32', fn: 3 | 4 = 4) =>
  registerFieldSchema.parse({ name, quantity: 'q', fn, address, type });

describe('planBlocks', () => {
  it('joins neighbours and gaps up to maxGap into one read', () => {
    const blocks = planBlocks([f('a', 0), f('b', 2), f('c', 10)], { maxGap: 6 });
    expect(blocks.map((b) => [b.fn, b.start, b.count, b.fields.map((x) => x.name)])).toEqual([
      [4, 0, 12, ['a', 'b', 'c']],
    ]);
  });

  it('splits when the gap is larger than maxGap', () => {
    const blocks = planBlocks([f('a', 0), f('c', 10)], { maxGap: 5 });
    expect(blocks.map((b) => [b.start, b.count])).toEqual([
      [0, 2],
      [10, 2],
    ]);
  });

  it('never exceeds 125 registers per read (spec §6.4)', () => {
    const fields = Array.from({ length: 100 }, (_, i) => f(`v${i}`, i * 2));
    const blocks = planBlocks(fields, { maxRegisters: 500 });
    expect(blocks.every((b) => b.count <= 125)).toBe(true);
    expect(blocks.reduce((n, b) => n + b.fields.length, 0)).toBe(100);
    expect(blocks.map((b) => b.count)).toEqual([124, 76]);
  });

  it('keeps function codes apart and sorts by address', () => {
    const blocks = planBlocks([
      f('h', 5, 'uint16', 3),
      f('i2', 4),
      f('i1', 0),
      f('h0', 0, 'uint16', 3),
    ]);
    expect(blocks.map((b) => [b.fn, b.start, b.count])).toEqual([
      [3, 0, 6],
      [4, 0, 6],
    ]);
  });
});
