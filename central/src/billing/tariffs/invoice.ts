import { formatZodIssues, GridlinkError } from '@gridlink/shared';
import {
  type Centavos,
  type Decimal,
  energyCost,
  kwhToWh,
  parseDecimal,
  type Ratio,
  reaisToCentavos,
  sumCentavos,
  type WattHours,
  wattHours,
} from '../../money/index.js';
import { BILLING_INPUT_INVALID } from '../errors.js';
import { bandeiraLines, prorateBandeiras } from './bandeiras.js';
import { addDays, assertTimeZone, daysBetween, localTime } from './calendar.js';
import {
  availabilityLine,
  type HourlySample,
  priceFlat,
  priceTiered,
  priceTimeOfUse,
  tieredCost,
  validateTiers,
} from './energy.js';
import type { InvoiceLine } from './lines.js';
import {
  type BillingInput,
  billingInputSchema,
  type ParsedBillingInput,
  type PublicLighting,
} from './schema.js';
import { grossUp, taxPeriodOn } from './taxes.js';

export interface InvoiceTotals {
  energy: Centavos;
  availability: Centavos;
  bandeiras: Centavos;
  /** B: energy + availability + bandeiras, before taxes. */
  taxBase: Centavos;
  icms: Centavos;
  pis: Centavos;
  cofins: Centavos;
  /** T = B + taxes (= B grossed up); equals B when the tariff has no taxes. */
  taxedTotal: Centavos;
  /** CIP/COSIP: a municipal contribution, outside the ICMS/PIS/COFINS base. */
  publicLighting: Centavos;
  /** What the customer pays: T + CIP = the sum of every line. */
  total: Centavos;
}

export interface Invoice {
  tariffId: string;
  period: { start: string; end: string; days: number; timeZone: string };
  consumptionWh: WattHours;
  minimumWh: WattHours;
  /** max(consumption, minimum): the energy charged. */
  billedWh: WattHours;
  lines: InvoiceLine[];
  totals: InvoiceTotals;
}

function bad(message: string, reason: string, details: Record<string, unknown> = {}): never {
  throw new GridlinkError(BILLING_INPUT_INVALID, message, { reason, ...details });
}

function parseInput(input: BillingInput): ParsedBillingInput {
  const parsed = billingInputSchema.safeParse(input);
  if (!parsed.success) {
    bad(`invalid billing input: ${formatZodIssues(parsed.error)}`, 'billing.schema');
  }
  return parsed.data;
}

function hourlySamples(input: ParsedBillingInput): HourlySample[] | undefined {
  if (input.consumption.kind !== 'hourly') return undefined;
  const { start, end } = input.period;
  const seen = new Set<number>();
  return input.consumption.samples.map((s, i) => {
    const at = s.start instanceof Date ? s.start : new Date(s.start);
    if (Number.isNaN(at.getTime())) bad(`sample ${i} has no valid start`, 'billing.sample-time');
    if (seen.has(at.getTime())) bad(`sample ${i} repeats an hour`, 'billing.sample-duplicate');
    seen.add(at.getTime());
    const date = localTime(at, input.timeZone).date;
    if (date < start || date >= end) {
      bad(`sample ${i} (${date}) is outside the period`, 'billing.sample-outside', { index: i });
    }
    return { start: at, wh: kwhToWh(s.kwh) };
  });
}

function publicLightingAmount(
  lighting: PublicLighting,
  tariffClass: string,
  consumptionWh: number,
): Centavos {
  if (lighting.kind === 'fixed') return reaisToCentavos(lighting.amount);
  const bands = lighting.classes[tariffClass];
  if (!bands) bad(`no public-lighting amount for class ${tariffClass}`, 'tariff.cip-class');
  let lower = -1;
  for (const [i, band] of bands.entries()) {
    const upper = band.upToKwh === null ? Number.POSITIVE_INFINITY : kwhToWh(band.upToKwh);
    if (upper <= lower || (band.upToKwh === null && i !== bands.length - 1)) {
      bad('public-lighting bands must rise; only the last may be open', 'tariff.cip-bands');
    }
    if (consumptionWh <= upper) return reaisToCentavos(band.amount);
    lower = upper;
  }
  return bad('public-lighting bands end below the consumption', 'tariff.cip-bands');
}

/**
 * Prices one billing period. Pure: the same input always yields the same invoice.
 * Order: energy by model on the measured consumption → availability top-up to the minimum →
 * bandeiras prorated by days on the measured consumption → taxes grossed up "por dentro" on the
 * sum → public lighting added outside the tax base. See docs/BILLING.md.
 */
export function computeInvoice(rawInput: BillingInput): Invoice {
  const input = parseInput(rawInput);
  const { tariff, period, timeZone } = input;
  assertTimeZone(timeZone);
  const days = daysBetween(period.start, period.end);
  if (days <= 0) bad('the period must end after it starts', 'billing.period');

  const samples = hourlySamples(input);
  const consumptionWh = wattHours(
    samples
      ? samples.reduce((a, s) => a + s.wh, 0)
      : input.consumption.kind === 'total'
        ? kwhToWh(input.consumption.kwh)
        : 0,
  );
  const minimumWh = wattHours(
    tariff.minimumAvailabilityKwh === false
      ? 0
      : kwhToWh(tariff.minimumAvailabilityKwh[input.connection]),
  );
  const billedWh = wattHours(Math.max(consumptionWh, minimumWh));
  const missingWh = billedWh - consumptionWh;

  const lines: InvoiceLine[] = [];
  const energy = tariff.energy;
  let topUp: { cost: Ratio; price?: Decimal } | undefined;
  if (energy.model === 'flat') {
    const price = parseDecimal(energy.pricePerKwh);
    lines.push(...priceFlat(consumptionWh, price));
    topUp = { cost: energyCost(missingWh, price), price };
  } else if (energy.model === 'tiered') {
    validateTiers(energy);
    lines.push(...priceTiered(consumptionWh, energy));
    topUp = { cost: tieredCost(energy, consumptionWh, billedWh) };
  } else {
    if (!samples) bad('time-of-use needs hourly consumption', 'billing.tou-needs-hourly');
    lines.push(...priceTimeOfUse(samples, energy, timeZone));
    const price = parseDecimal(energy.prices.foraDePonta);
    topUp = { cost: energyCost(missingWh, price), price };
  }
  if (missingWh > 0) lines.push(availabilityLine(missingWh, topUp.cost, topUp.price, minimumWh));

  if (tariff.bandeiras) {
    const shares = prorateBandeiras(consumptionWh, period.start, period.end, tariff.bandeiras);
    lines.push(...bandeiraLines(shares, tariff.bandeiras));
  }

  const sumOf = (kind: InvoiceLine['kind']) =>
    sumCentavos(lines.filter((l) => l.kind === kind).map((l) => l.amount));
  const taxBase = sumCentavos(lines.map((l) => l.amount));
  let taxedTotal = taxBase;
  if (tariff.taxes) {
    // Rates in force on the last day of the period (the reading date closes the period).
    const rates = taxPeriodOn(tariff.taxes, addDays(period.end, -1));
    const taxes = grossUp(taxBase, rates);
    lines.push(...taxes.lines);
    taxedTotal = taxes.gross;
  }
  const taxAmount = (code: string) => lines.find((l) => l.code === code)?.amount ?? (0 as Centavos);

  let publicLighting = 0 as Centavos;
  if (tariff.publicLighting) {
    publicLighting = publicLightingAmount(tariff.publicLighting, input.tariffClass, consumptionWh);
    lines.push({
      kind: 'public-lighting',
      code: 'public-lighting',
      description: 'Contribuição de iluminação pública (CIP)',
      amount: publicLighting,
    });
  }

  return {
    tariffId: tariff.id,
    period: { start: period.start, end: period.end, days, timeZone },
    consumptionWh,
    minimumWh,
    billedWh,
    lines,
    totals: {
      energy: sumOf('energy'),
      availability: sumOf('availability'),
      bandeiras: sumOf('bandeira'),
      taxBase,
      icms: taxAmount('tax.icms'),
      pis: taxAmount('tax.pis'),
      cofins: taxAmount('tax.cofins'),
      taxedTotal,
      publicLighting,
      total: sumCentavos(lines.map((l) => l.amount)),
    },
  };
}
