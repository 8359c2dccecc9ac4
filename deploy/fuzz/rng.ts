import { seededRandom } from '@gridlink/shared';

/**
 * The fuzz suite's randomness: the project's seeded PRNG behind a few helpers. Every case draws
 * from its own `caseRng(seed, index)`, so any one case replays alone from its seed and index
 * (`npm run fuzz -- --seed S --case I`), whatever ran before it.
 */
export class Rng {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = seededRandom(seed);
  }

  /** [0, 1) */
  float(): number {
    return this.#next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }

  /** One entry of `table`, each with the probability of its weight. */
  weighted<T>(table: ReadonlyArray<readonly [T, number]>): T {
    const total = table.reduce((s, [, w]) => s + w, 0);
    let x = this.#next() * total;
    for (const [value, w] of table) {
      x -= w;
      if (x < 0) return value;
    }
    return (table.at(-1) as readonly [T, number])[0];
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** Sizes spread over orders of magnitude: mostly small, sometimes up to `max`. */
  size(max: number): number {
    return Math.min(max, Math.floor(2 ** (this.#next() * Math.log2(max + 1))));
  }
}

/** A 32-bit seed for case `index` of a run seeded `seed` (a murmur3 finaliser over both). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ (index >>> 16), 0x27d4eb2f);
  h ^= h >>> 15;
  return h >>> 0;
}

export const caseRng = (seed: number, index: number): Rng => new Rng(caseSeed(seed, index));
