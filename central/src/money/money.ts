import { GridlinkError } from '@gridlink/shared';
import {
  type Decimal,
  decimalToRatio,
  mulRatio,
  parseDecimal,
  type Ratio,
  ratio,
  roundHalfEven,
} from './decimal.js';

declare const centavosBrand: unique symbol;
declare const wattHoursBrand: unique symbol;

/** Money: an integer number of centavos (R$ 0,01). Never a float of reais. */
export type Centavos = number & { readonly [centavosBrand]: true };
/** Energy: an integer number of watt-hours, so kWh quantities keep three exact decimals. */
export type WattHours = number & { readonly [wattHoursBrand]: true };

/** Brands a safe integer as centavos; anything else (1.5, NaN, 2^60) is rejected. */
export function centavos(value: number | bigint): Centavos {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(n) || (typeof value === 'bigint' && BigInt(n) !== value)) {
    throw new GridlinkError(
      'GL_BILLING_INPUT_INVALID',
      `not an integer amount of centavos: ${value}`,
      {
        reason: 'money.not-integer',
        value: String(value),
      },
    );
  }
  return n as Centavos;
}

export const ZERO: Centavos = 0 as Centavos;

export function sumCentavos(values: readonly Centavos[]): Centavos {
  return centavos(values.reduce((acc, v) => acc + v, 0));
}

/** `'12.34'` or `'12'` reais → 1234 centavos, exactly. More than two decimals is an error. */
export function reaisToCentavos(value: string | number): Centavos {
  const d = parseDecimal(value);
  if (d.scale > 2) {
    const trimmed = d.units % 10n ** BigInt(d.scale - 2) === 0n;
    if (!trimmed) {
      throw new GridlinkError('GL_BILLING_INPUT_INVALID', `more than 2 decimals in R$ ${value}`, {
        reason: 'money.too-precise',
        value,
      });
    }
    return centavos(d.units / 10n ** BigInt(d.scale - 2));
  }
  return centavos(d.units * 10n ** BigInt(2 - d.scale));
}

/** Rounds an exact amount of centavos half to even (see docs/BILLING.md). */
export function roundCentavos(amount: Ratio): Centavos {
  return centavos(roundHalfEven(amount));
}

/** `R$ 1.234,56` (pt-BR grouping, comma decimals); negatives as `-R$ 1,00`. */
export function formatBrl(value: Centavos): string {
  const negative = value < 0;
  const abs = Math.abs(value);
  const reais = Math.trunc(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  const cents = (abs % 100).toString().padStart(2, '0');
  return `${negative ? '-' : ''}R$ ${reais},${cents}`;
}

/** `1234.56` — plain dot-decimal reais with two places, as Pix field 54 wants. */
export function formatReaisPlain(value: Centavos): string {
  const negative = value < 0;
  const abs = Math.abs(value);
  const text = `${Math.trunc(abs / 100)}.${(abs % 100).toString().padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

export function wattHours(value: number | bigint): WattHours {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new GridlinkError(
      'GL_BILLING_INPUT_INVALID',
      `not a whole non-negative Wh count: ${value}`,
      {
        reason: 'energy.not-integer',
        value: String(value),
      },
    );
  }
  return n as WattHours;
}

/**
 * kWh (a meter reading such as `123.4567` or `'0.5'`) → Wh, read exactly from its decimal text
 * and rounded half to even only when it has more than three decimals.
 */
export function kwhToWh(kwh: number | string | Decimal): WattHours {
  const d = parseDecimal(kwh);
  return wattHours(roundHalfEven(mulRatio(decimalToRatio(d), ratio(1000n))));
}

/** Wh → `'123.456'` kWh text (trailing zeros kept to three places). */
export function formatKwh(wh: WattHours): string {
  return `${Math.trunc(wh / 1000)}.${(wh % 1000).toString().padStart(3, '0')}`;
}

/**
 * Exact centavos for `wh` of energy at `pricePerKwh` (R$/kWh): price × Wh / 1000 kWh × 100.
 * Returned unrounded so callers round once per invoice line.
 */
export function energyCost(wh: number, pricePerKwh: Decimal): Ratio {
  return mulRatio(decimalToRatio(pricePerKwh), ratio(BigInt(wh) * 100n, 1000n));
}
