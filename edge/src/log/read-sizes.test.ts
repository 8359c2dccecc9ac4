import { describe, expect, it } from 'vitest';
import { ReadSizes } from './read-sizes.js';

describe('ReadSizes', () => {
  it('sums recorded ranges only when they cover the span exactly', () => {
    const sizes = new ReadSizes();
    sizes.record(1, 10, 100);
    sizes.record(11, 20, 150);
    expect(sizes.bytesOf(1, 20)).toBe(250);
    expect(sizes.bytesOf(1, 10)).toBe(100);
    expect(sizes.bytesOf(1, 15)).toBeUndefined(); // ends inside a range
    expect(sizes.bytesOf(2, 10)).toBeUndefined(); // starts inside a range
    expect(sizes.bytesOf(1, 25)).toBeUndefined(); // beyond what was recorded
    sizes.forgetUpTo(10);
    expect(sizes.bytesOf(1, 10)).toBeUndefined();
    expect(sizes.bytesOf(11, 20)).toBe(150);
  });

  it('keeps at most `limit` ranges, forgetting the oldest', () => {
    const sizes = new ReadSizes(2);
    sizes.record(1, 1, 1);
    sizes.record(2, 2, 1);
    sizes.record(3, 3, 1);
    expect(sizes.bytesOf(1, 1)).toBeUndefined();
    expect(sizes.bytesOf(2, 3)).toBe(2);
  });
});
