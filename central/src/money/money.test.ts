import { isGridlinkError } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import {
  allocateLargestRemainder,
  formatDecimal,
  parseDecimal,
  ratio,
  roundHalfEven,
} from './decimal.js';
import {
  type Centavos,
  centavos,
  energyCost,
  formatBrl,
  formatKwh,
  formatReaisPlain,
  kwhToWh,
  reaisToCentavos,
  roundCentavos,
  sumCentavos,
  wattHours,
} from './money.js';

const c = (n: number) => n as Centavos;

describe('roundHalfEven (ABNT NBR 5891)', () => {
  // [numerator, denominator, expected]
  const rows: Array<[bigint, bigint, bigint]> = [
    [5n, 2n, 2n], // 2.5 → 2 (tie, 2 is even)
    [7n, 2n, 4n], // 3.5 → 4 (tie, 4 is even)
    [1n, 2n, 0n], // 0.5 → 0
    [3n, 2n, 2n], // 1.5 → 2
    [251n, 100n, 3n], // 2.51 → 3 (above the half)
    [249n, 100n, 2n], // 2.49 → 2
    [-5n, 2n, -2n], // -2.5 → -2 (symmetric)
    [-7n, 2n, -4n], // -3.5 → -4
    [-251n, 100n, -3n],
    [10n, 5n, 2n], // exact
    [0n, 7n, 0n],
  ];
  it.each(rows)('%s/%s → %s', (num, den, expected) => {
    expect(roundHalfEven(ratio(num, den))).toBe(expected);
  });
});

describe('parseDecimal', () => {
  it.each([
    ['1.07', 107n, 2],
    ['0.40', 40n, 2],
    ['0.0165', 165n, 4],
    [1.07, 107n, 2], // String(1.07) === '1.07': the literal's digits, not its binary value
    [0.1, 1n, 1],
    ['12', 12n, 0],
    [1e-7, 1n, 7],
    ['1.5e2', 150n, 0],
    ['-2.50', -250n, 2],
  ] as const)('%s → %s × 10^-%s', (text, units, scale) => {
    expect(parseDecimal(text)).toEqual({ units, scale });
  });

  it.each(['', 'abc', '1,07', '1.', '.5', 'NaN'])('rejects %j', (text) => {
    expect(() => parseDecimal(text)).toThrow(
      expect.objectContaining({ code: 'GL_BILLING_INPUT_INVALID' }),
    );
  });

  it('rejects non-finite numbers', () => {
    expect(() => parseDecimal(Number.POSITIVE_INFINITY)).toThrow();
  });

  it('formats back without trailing zeros', () => {
    expect(formatDecimal(parseDecimal('0.40'))).toBe('0.4');
    expect(formatDecimal(parseDecimal('1.885'))).toBe('1.885');
    expect(formatDecimal(parseDecimal('0.05'))).toBe('0.05');
    expect(formatDecimal(parseDecimal('-0.5'))).toBe('-0.5');
    expect(formatDecimal(parseDecimal('100'))).toBe('100');
  });
});

describe('centavos', () => {
  it('accepts safe integers only', () => {
    expect(centavos(123)).toBe(123);
    expect(centavos(-5n)).toBe(-5);
    for (const bad of [1.5, Number.NaN, 2 ** 60, Number.POSITIVE_INFINITY]) {
      try {
        centavos(bad);
        expect.unreachable();
      } catch (err) {
        expect(isGridlinkError(err, 'GL_BILLING_INPUT_INVALID')).toBe(true);
        expect((err as { details: { reason: string } }).details.reason).toBe('money.not-integer');
      }
    }
    expect(() => centavos(2n ** 60n)).toThrow();
  });

  it('sums', () => {
    expect(sumCentavos([c(1), c(2), c(3)])).toBe(6);
    expect(sumCentavos([])).toBe(0);
  });
});

describe('reaisToCentavos', () => {
  it.each([
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    ['0.05', 5],
    ['15.300', 1530], // extra zeros are harmless
    [15.3, 1530],
  ] as const)('%s → %s', (text, expected) => {
    expect(reaisToCentavos(text)).toBe(expected);
  });

  it('refuses sub-centavo precision', () => {
    expect(() => reaisToCentavos('1.005')).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ reason: 'money.too-precise' }),
      }),
    );
  });
});

describe('formatBrl', () => {
  it.each([
    [0, 'R$ 0,00'],
    [5, 'R$ 0,05'],
    [100, 'R$ 1,00'],
    [123456, 'R$ 1.234,56'],
    [100000000, 'R$ 1.000.000,00'],
    [-100, '-R$ 1,00'],
    [99999, 'R$ 999,99'],
  ])('%s → %s', (value, text) => {
    expect(formatBrl(c(value))).toBe(text);
  });

  it('formats plain reais for Pix', () => {
    expect(formatReaisPlain(c(123456))).toBe('1234.56');
    expect(formatReaisPlain(c(5))).toBe('0.05');
    expect(formatReaisPlain(c(-250))).toBe('-2.50');
  });
});

describe('energy quantities', () => {
  it.each([
    ['123.456', 123456],
    [250, 250000],
    [0.001, 1],
    ['0.0005', 0], // half a Wh → 0 (even)
    ['0.0015', 2], // 1.5 Wh → 2 (even)
    ['1234.5678', 1234568],
  ] as const)('kwhToWh(%s) = %s Wh', (kwh, wh) => {
    expect(kwhToWh(kwh)).toBe(wh);
  });

  it('formats Wh as kWh with three places', () => {
    expect(formatKwh(wattHours(123456))).toBe('123.456');
    expect(formatKwh(wattHours(5))).toBe('0.005');
  });

  it('rejects negative or fractional Wh', () => {
    expect(() => wattHours(-1)).toThrow();
    expect(() => wattHours(0.5)).toThrow();
  });

  it('prices energy exactly before one rounding', () => {
    // 123.456 kWh × R$ 1.07 = R$ 132.09792 = 13209.792 centavos → 13210
    const exact = energyCost(123456, parseDecimal('1.07'));
    expect(exact.num * 1000n).toBe(13209792n * exact.den);
    expect(roundCentavos(exact)).toBe(13210);
  });
});

describe('allocateLargestRemainder', () => {
  it.each([
    // total, weights, parts — comment: exact shares
    [200000n, [20n, 11n], [129032n, 70968n]], // 129032.26 / 70967.74 → the .74 gets the last Wh
    [10n, [1n, 1n, 1n], [4n, 3n, 3n]], // 3.33 each; tie → the first
    [3746n, [1800n, 165n, 760n], [2474n, 227n, 1045n]], // 2474.41 / 226.82 / 1044.76
    [0n, [1n, 2n], [0n, 0n]],
    [7n, [0n, 5n], [0n, 7n]],
  ] as const)('%s over %s', (total, weights, parts) => {
    const out = allocateLargestRemainder(total, weights);
    expect(out).toEqual(parts);
    expect(out.reduce((a, b) => a + b, 0n)).toBe(total);
  });

  it('rejects all-zero weights', () => {
    expect(() => allocateLargestRemainder(1n, [0n, 0n])).toThrow();
  });
});
