import { GridlinkError } from '@gridlink/shared';
import type { Decimal } from '../../money/index.js';
import {
  addRatio,
  allocateLargestRemainder,
  type Centavos,
  centavos,
  compareRatio,
  decimalToRatio,
  divRatio,
  formatBrl,
  formatDecimal,
  parseDecimal,
  type Ratio,
  ratio,
  roundCentavos,
  subRatio,
} from '../../money/index.js';
import { BILLING_INPUT_INVALID } from '../errors.js';
import { dayNumber } from './calendar.js';
import type { InvoiceLine } from './lines.js';
import type { TaxPeriod } from './schema.js';

export interface TaxResult {
  /** The pre-tax base B. */
  base: Centavos;
  /** T = round(B / (1 − (ICMS + PIS + COFINS))), the base grossed up "por dentro". */
  gross: Centavos;
  lines: InvoiceLine[];
}

const TAXES = [
  { key: 'icms', name: 'ICMS' },
  { key: 'pis', name: 'PIS/PASEP' },
  { key: 'cofins', name: 'COFINS' },
] as const;

/** The tax rates in force on `date`; periods are [from, to). */
export function taxPeriodOn(periods: readonly TaxPeriod[], date: string): TaxPeriod {
  const day = dayNumber(date);
  const found = periods.filter(
    (p) => dayNumber(p.from) <= day && (p.to === undefined || day < dayNumber(p.to)),
  );
  if (found.length !== 1) {
    throw new GridlinkError(
      BILLING_INPUT_INVALID,
      found.length === 0 ? `no tax rates in force on ${date}` : `tax periods overlap on ${date}`,
      { reason: found.length === 0 ? 'tariff.tax-gap' : 'tariff.tax-overlap', date },
    );
  }
  return found[0] as TaxPeriod;
}

/**
 * Gross-up "por dentro": T = B / (1 − Σrates), rounded half to even to the centavo. The tax
 * total T − B is then split over ICMS, PIS and COFINS in proportion to their rates by largest
 * remainder, so B + ICMS + PIS + COFINS = T exactly and each tax is within a centavo of T × rate.
 */
export function grossUp(baseValue: Centavos, rates: TaxPeriod): TaxResult {
  const base = centavos(baseValue);
  const decimals = TAXES.map((t) => parseDecimal(rates[t.key]));
  const sum = decimals.reduce<Ratio>((acc, d) => addRatio(acc, decimalToRatio(d)), ratio(0n));
  const keep = subRatio(ratio(1n), sum);
  if (compareRatio(keep, ratio(0n)) <= 0) {
    throw new GridlinkError(BILLING_INPUT_INVALID, 'ICMS + PIS + COFINS must be below 100 %', {
      reason: 'tariff.tax-sum',
    });
  }
  const gross = roundCentavos(divRatio(ratio(BigInt(base)), keep));
  const taxTotal = BigInt(gross - base);
  const maxScale = Math.max(...decimals.map((d) => d.scale));
  const weights = decimals.map((d) => d.units * 10n ** BigInt(maxScale - d.scale));
  const parts =
    taxTotal === 0n || weights.every((w) => w === 0n)
      ? weights.map(() => 0n)
      : allocateLargestRemainder(taxTotal, weights);
  const lines = TAXES.map((t, i): InvoiceLine => {
    const rate = formatDecimal(decimals[i] ?? { units: 0n, scale: 0 });
    const percent = percentText(decimals[i] ?? { units: 0n, scale: 0 });
    return {
      kind: 'tax',
      code: `tax.${t.key}`,
      description: `${t.name} ${percent.replace('.', ',')} % sobre ${formatBrl(gross)}`,
      unitPrice: rate,
      amount: centavos(parts[i] ?? 0n),
    };
  });
  return { base, gross, lines };
}

/** 0.0165 → `1.65`, 0.18 → `18`. */
function percentText(d: Decimal): string {
  return d.scale >= 2
    ? formatDecimal({ units: d.units, scale: d.scale - 2 })
    : formatDecimal({ units: d.units * 10n ** BigInt(2 - d.scale), scale: 0 });
}
