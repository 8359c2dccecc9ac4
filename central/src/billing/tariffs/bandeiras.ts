import { GridlinkError } from '@gridlink/shared';
import {
  allocateLargestRemainder,
  energyCost,
  formatDecimal,
  formatKwh,
  mulRatio,
  parseDecimal,
  ratio,
  roundCentavos,
  wattHours,
} from '../../money/index.js';
import { BILLING_INPUT_INVALID } from '../errors.js';
import { dayNumber } from './calendar.js';
import type { InvoiceLine } from './lines.js';
import type { BandeiraFlag, Bandeiras } from './schema.js';

const FLAG_TEXT: Record<BandeiraFlag, string> = {
  verde: 'verde',
  amarela: 'amarela',
  vermelha1: 'vermelha patamar 1',
  vermelha2: 'vermelha patamar 2',
};

export interface BandeiraShare {
  flag: BandeiraFlag;
  days: number;
  wh: number;
}

/**
 * Proration rule: the measured consumption is split over the schedule entries in force during
 * [start, end) in proportion to their days (largest remainder, so the shares add up to the
 * consumption to the Wh; a tie goes to the earlier entry). Every day must be covered exactly once.
 */
export function prorateBandeiras(
  consumptionWh: number,
  start: string,
  end: string,
  bandeiras: Bandeiras,
): BandeiraShare[] {
  const first = dayNumber(start);
  const last = dayNumber(end);
  const owner: number[] = new Array(last - first).fill(-1);
  bandeiras.schedule.forEach((entry, index) => {
    const from = Math.max(dayNumber(entry.from), first);
    const to = Math.min(dayNumber(entry.to), last);
    for (let d = from; d < to; d++) {
      if (owner[d - first] !== -1) {
        throw new GridlinkError(BILLING_INPUT_INVALID, 'bandeira schedule entries overlap', {
          reason: 'tariff.bandeira-overlap',
          day: d - first,
        });
      }
      owner[d - first] = index;
    }
  });
  const gap = owner.indexOf(-1);
  if (gap !== -1) {
    throw new GridlinkError(BILLING_INPUT_INVALID, 'no bandeira in force on a day of the period', {
      reason: 'tariff.bandeira-gap',
      dayOffset: gap,
    });
  }
  const order: number[] = [];
  const days = new Map<number, number>();
  for (const index of owner) {
    if (!days.has(index)) order.push(index);
    days.set(index, (days.get(index) ?? 0) + 1);
  }
  const whs = allocateLargestRemainder(
    BigInt(consumptionWh),
    order.map((i) => BigInt(days.get(i) ?? 0)),
  );
  return order.map((index, k) => ({
    flag: bandeiras.schedule[index]?.flag ?? 'verde',
    days: days.get(index) ?? 0,
    wh: Number(whs[k] ?? 0n),
  }));
}

/** One line per schedule entry with a non-zero price: its Wh × R$ per 100 kWh / 100. */
export function bandeiraLines(
  shares: readonly BandeiraShare[],
  bandeiras: Bandeiras,
): InvoiceLine[] {
  const lines: InvoiceLine[] = [];
  for (const share of shares) {
    const price = parseDecimal(bandeiras.pricePer100Kwh[share.flag]);
    if (price.units === 0n || share.wh === 0) continue;
    const shown = formatDecimal(price);
    lines.push({
      kind: 'bandeira',
      code: `bandeira.${share.flag}`,
      description: `Bandeira ${FLAG_TEXT[share.flag]} (${share.days} dias: ${formatKwh(wattHours(share.wh))} kWh × R$ ${shown}/100 kWh)`,
      quantityWh: wattHours(share.wh),
      unitPrice: shown,
      amount: roundCentavos(mulRatio(energyCost(share.wh, price), ratio(1n, 100n))),
    });
  }
  return lines;
}
