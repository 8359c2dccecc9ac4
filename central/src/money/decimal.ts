import { GridlinkError } from '@gridlink/shared';

/**
 * Exact decimal numbers for prices and rates (`'0.65432100'` R$/kWh, `'0.18'` ICMS), kept as
 * `units / 10^scale` with a bigint numerator so no binary float ever touches money.
 */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** An exact fraction `num / den` with `den > 0`; the intermediate form before one final rounding. */
export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * Parses `'1.07'`, `'0.0165'`, `1.07` or `1e-7` exactly. A JS number is read through its shortest
 * round-trip text (`String(1.07) === '1.07'`), so a literal typed in a tariff keeps its digits.
 */
export function parseDecimal(value: string | number | Decimal): Decimal {
  if (typeof value === 'object') return value;
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw invalid(`not a finite number: ${value}`, { value });
  }
  const text = String(value).trim();
  const m = DECIMAL_RE.exec(text);
  if (!m) throw invalid(`not a decimal number: ${JSON.stringify(value)}`, { value });
  const [, sign, intPart = '', fracPart = '', expPart] = m;
  let units = BigInt(intPart + fracPart);
  let scale = fracPart.length - (expPart ? Number(expPart) : 0);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

/** `units / 10^scale` as a ratio. */
export function decimalToRatio(d: Decimal): Ratio {
  return { num: d.units, den: 10n ** BigInt(d.scale) };
}

export function ratio(num: bigint, den: bigint = 1n): Ratio {
  if (den === 0n) throw invalid('division by zero', {});
  return den < 0n ? { num: -num, den: -den } : { num, den };
}

export const mulRatio = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.num, a.den * b.den);
export const addRatio = (a: Ratio, b: Ratio): Ratio =>
  ratio(a.num * b.den + b.num * a.den, a.den * b.den);
export const subRatio = (a: Ratio, b: Ratio): Ratio =>
  ratio(a.num * b.den - b.num * a.den, a.den * b.den);
export const divRatio = (a: Ratio, b: Ratio): Ratio => ratio(a.num * b.den, a.den * b.num);

/**
 * Rounds `num / den` to an integer, half to even (ABNT NBR 5891): exact halves go to the even
 * neighbour, so rounding many invoice lines has no upward bias. Works for negative values too.
 */
export function roundHalfEven(r: Ratio): bigint {
  const { num, den } = r;
  const negative = num < 0n;
  const abs = negative ? -num : num;
  let q = abs / den;
  const rem2 = (abs % den) * 2n;
  if (rem2 > den || (rem2 === den && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

export function compareRatio(a: Ratio, b: Ratio): number {
  const d = a.num * b.den - b.num * a.den;
  return d === 0n ? 0 : d < 0n ? -1 : 1;
}

/** Shortest plain decimal text for `d` (`'1.07'`, `'0.4'`), for descriptions and docs. */
export function formatDecimal(d: Decimal): string {
  const negative = d.units < 0n;
  let digits = (negative ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  let scale = d.scale;
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale -= 1;
  }
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

function invalid(message: string, details: Record<string, unknown>): GridlinkError {
  return new GridlinkError('GL_BILLING_INPUT_INVALID', message, { reason: 'decimal', ...details });
}

/**
 * Splits the integer `total` in proportion to `weights` (all ≥ 0, not all 0) so the parts sum to
 * `total` exactly (largest-remainder / Hamilton method): every part gets the floor of its exact
 * share, then the units left over go one each to the largest fractional remainders; equal
 * remainders favour the earlier part.
 */
export function allocateLargestRemainder(total: bigint, weights: readonly bigint[]): bigint[] {
  const sum = weights.reduce((a, w) => a + w, 0n);
  if (sum <= 0n || weights.some((w) => w < 0n)) throw invalid('bad allocation weights', {});
  const parts = weights.map((w) => (total * w) / sum);
  const remainders = weights.map((w, i) => ({ i, rem: (total * w) % sum }));
  let left = total - parts.reduce((a, p) => a + p, 0n);
  remainders.sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of remainders) {
    if (left <= 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts;
}
