import { GridlinkError } from '@gridlink/shared';
import {
  addRatio,
  type Decimal,
  energyCost,
  formatDecimal,
  formatKwh,
  kwhToWh,
  parseDecimal,
  type Ratio,
  ratio,
  roundCentavos,
  type WattHours,
  wattHours,
} from '../../money/index.js';
import { BILLING_INPUT_INVALID } from '../errors.js';
import { localTime, minutesOf } from './calendar.js';
import { brazilianNationalHolidays } from './holidays.js';
import type { InvoiceLine } from './lines.js';
import type { TieredPricing, TimeOfUsePricing } from './schema.js';

export interface HourlySample {
  start: Date;
  wh: WattHours;
}

export type Posto = 'ponta' | 'intermediario' | 'foraDePonta';

const POSTO_TEXT: Record<Posto, string> = {
  ponta: 'ponta',
  intermediario: 'intermediário',
  foraDePonta: 'fora de ponta',
};

function energyLine(
  code: string,
  description: string,
  wh: number,
  price: Decimal,
  kind: InvoiceLine['kind'] = 'energy',
): InvoiceLine {
  return {
    kind,
    code,
    description: `${description} (${formatKwh(wattHours(wh))} kWh × R$ ${formatDecimal(price)})`,
    quantityWh: wattHours(wh),
    unitPrice: formatDecimal(price),
    amount: roundCentavos(energyCost(wh, price)),
  };
}

/** Flat: every kWh at one price. */
export function priceFlat(wh: number, pricePerKwh: Decimal): InvoiceLine[] {
  return wh > 0 ? [energyLine('energy', 'Consumo', wh, pricePerKwh)] : [];
}

interface TierSlice {
  tier: number;
  wh: number;
  price: Decimal;
}

/** Slices of (fromWh, toWh] falling in each block; blocks are (previous bound, upToKwh]. */
function tierSlices(pricing: TieredPricing, fromWh: number, toWh: number): TierSlice[] {
  const slices: TierSlice[] = [];
  let lower = 0;
  pricing.blocks.forEach((block, i) => {
    const upper = block.upToKwh === null ? Number.POSITIVE_INFINITY : kwhToWh(block.upToKwh);
    const wh = Math.max(0, Math.min(toWh, upper) - Math.max(fromWh, lower));
    if (wh > 0) slices.push({ tier: i + 1, wh, price: parseDecimal(block.pricePerKwh) });
    lower = upper;
  });
  return slices;
}

export function validateTiers(pricing: TieredPricing): void {
  let last = 0;
  pricing.blocks.forEach((block, i) => {
    const isLast = i === pricing.blocks.length - 1;
    if (block.upToKwh === null ? !isLast : isLast || kwhToWh(block.upToKwh) <= last) {
      throw new GridlinkError(
        BILLING_INPUT_INVALID,
        'tier bounds must rise and only the last block may be open (upToKwh: null)',
        { reason: 'tariff.tiers', block: i },
      );
    }
    if (block.upToKwh !== null) last = kwhToWh(block.upToKwh);
  });
}

/** Tiered: each block of consumption at its own price, one line per block used. */
export function priceTiered(wh: number, pricing: TieredPricing): InvoiceLine[] {
  return tierSlices(pricing, 0, wh).map((s) =>
    energyLine(`energy.tier-${s.tier}`, `Consumo faixa ${s.tier}`, s.wh, s.price),
  );
}

/** Exact cost of the Wh between `fromWh` and `toWh` continuing through the blocks. */
export function tieredCost(pricing: TieredPricing, fromWh: number, toWh: number): Ratio {
  return tierSlices(pricing, fromWh, toWh).reduce(
    (acc, s) => addRatio(acc, energyCost(s.wh, s.price)),
    ratio(0n),
  );
}

interface Window {
  from: number;
  to: number;
}

function windows(list: ReadonlyArray<readonly [string, string]>): Window[] {
  return list.map(([a, b]) => {
    const w = { from: minutesOf(a), to: minutesOf(b) };
    if (w.to <= w.from) {
      throw new GridlinkError(BILLING_INPUT_INVALID, `time-of-use window ${a}–${b} is empty`, {
        reason: 'tariff.tou-window',
      });
    }
    return w;
  });
}

export type PostoClassifier = (start: Date) => Posto;

/**
 * Tarifa Branca: a sample belongs to the posto of its start instant's local time. Saturdays,
 * Sundays and holidays are wholly fora de ponta; windows are [from, to) in local time.
 */
export function postoClassifier(pricing: TimeOfUsePricing, timeZone: string): PostoClassifier {
  const ponta = windows(pricing.windows.ponta);
  const intermediario = windows(pricing.windows.intermediario);
  for (const p of ponta) {
    for (const q of intermediario) {
      if (p.from < q.to && q.from < p.to) {
        throw new GridlinkError(BILLING_INPUT_INVALID, 'ponta and intermediário windows overlap', {
          reason: 'tariff.tou-overlap',
        });
      }
    }
  }
  const explicit = pricing.holidays ? new Set(pricing.holidays) : undefined;
  const byYear = new Map<number, Set<string>>();
  const isHoliday = (date: string): boolean => {
    if (explicit) return explicit.has(date);
    const year = Number(date.slice(0, 4));
    let set = byYear.get(year);
    if (!set) {
      set = new Set(brazilianNationalHolidays(year));
      byYear.set(year, set);
    }
    return set.has(date);
  };
  const inAny = (ws: Window[], m: number) => ws.some((w) => m >= w.from && m < w.to);
  return (start) => {
    const t = localTime(start, timeZone);
    if (t.weekday === 0 || t.weekday === 6 || isHoliday(t.date)) return 'foraDePonta';
    if (inAny(ponta, t.minuteOfDay)) return 'ponta';
    if (inAny(intermediario, t.minuteOfDay)) return 'intermediario';
    return 'foraDePonta';
  };
}

/** Time of use: Wh summed per posto, one line per posto used, in ponta → fora de ponta order. */
export function priceTimeOfUse(
  samples: readonly HourlySample[],
  pricing: TimeOfUsePricing,
  timeZone: string,
): InvoiceLine[] {
  const classify = postoClassifier(pricing, timeZone);
  const totals: Record<Posto, number> = { ponta: 0, intermediario: 0, foraDePonta: 0 };
  for (const s of samples) totals[classify(s.start)] += s.wh;
  return (['ponta', 'intermediario', 'foraDePonta'] as const)
    .filter((p) => totals[p] > 0)
    .map((p) =>
      energyLine(
        `energy.${p === 'foraDePonta' ? 'fora-de-ponta' : p}`,
        `Consumo ${POSTO_TEXT[p]}`,
        totals[p],
        parseDecimal(pricing.prices[p]),
      ),
    );
}

/**
 * The availability top-up when consumption is below the minimum: the missing Wh priced as the
 * next kWh would have been (flat price; the following tiers; fora de ponta for Tarifa Branca).
 */
export function availabilityLine(
  missingWh: number,
  cost: Ratio,
  unitPrice: Decimal | undefined,
  minimumWh: number,
): InvoiceLine {
  const line: InvoiceLine = {
    kind: 'availability',
    code: 'availability',
    description: `Custo de disponibilidade: complemento até ${formatKwh(wattHours(minimumWh))} kWh`,
    quantityWh: wattHours(missingWh),
    amount: roundCentavos(cost),
  };
  if (unitPrice) line.unitPrice = formatDecimal(unitPrice);
  return line;
}
