/**
 * Deterministic randomness without state: a value is a pure function of (seed, keys). The same
 * seed and the same time bucket give the same noise however a model is stepped, so runs replay
 * exactly and a value can be recomputed instead of stored.
 */

/** Avalanche mix of one 32-bit integer (the murmur3 finaliser constants). */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a seed and integer keys to an unsigned 32-bit integer. Keys beyond 2^32 are folded. */
export function hash32(seed: number, ...keys: number[]): number {
  let h = mix32(seed ^ 0x9e3779b9);
  for (const key of keys) {
    const low = key | 0;
    const high = Math.floor(key / 0x100000000) | 0;
    h = mix32(h ^ mix32(low + 0x7f4a7c15));
    if (high !== 0) h = mix32(h ^ mix32(high + 0x165667b1));
  }
  return h;
}

/** A uniform number in [0, 1) for (seed, keys). */
export function uniform(seed: number, ...keys: number[]): number {
  return hash32(seed, ...keys) / 0x100000000;
}

/** A uniform number in [-1, 1) for (seed, keys). */
export function symmetric(seed: number, ...keys: number[]): number {
  return uniform(seed, ...keys) * 2 - 1;
}

/** A sequential generator over the same hash: the n-th call returns uniform(seed, n). */
export function createRandom(seed: number): () => number {
  let n = 0;
  return () => uniform(seed, n++);
}
