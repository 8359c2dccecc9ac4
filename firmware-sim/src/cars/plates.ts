import { hash32 } from '../random/index.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A Brazilian Mercosul plate (LLLNLNN, e.g. "RBA4E21") drawn from (seed, n, attempt): the same
 * seed gives the same plates. Callers that need unique plates retry with the next attempt.
 */
export function mercosulPlate(seed: number, n: number, attempt = 0): string {
  const h1 = hash32(seed, 0x91a7e, n, attempt);
  const h2 = hash32(seed, 0x91a7f, n, attempt);
  const letter = (v: number) => LETTERS[v % 26] as string;
  return (
    letter(h1) +
    letter(h1 >>> 5) +
    letter(h1 >>> 10) +
    String((h1 >>> 15) % 10) +
    letter(h2) +
    String((h2 >>> 5) % 10) +
    String((h2 >>> 9) % 10)
  );
}
