import { isValidCpf, normalizeCpf } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { seededCpf } from './index.js';

describe('seededCpf', () => {
  it('draws CPFs the central accepts (check digits by the shared documents module)', () => {
    const drawn = Array.from({ length: 2000 }, (_, n) => seededCpf(7, n));
    expect(drawn.filter((cpf) => !isValidCpf(cpf))).toEqual([]);
    expect(new Set(drawn).size).toBeGreaterThan(1990);
  });

  it('is a function of seed and index only', () => {
    expect(seededCpf(7, 3)).toBe(seededCpf(7, 3));
    expect(seededCpf(7, 3)).not.toBe(seededCpf(8, 3));
    expect(normalizeCpf(seededCpf(1, 0))).toBe(seededCpf(1, 0));
  });
});
