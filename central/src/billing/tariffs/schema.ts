import { z } from 'zod';
import { isCivilDate } from './calendar.js';

/**
 * The shapes of a tariff and of one billing run, validated once with zod. Prices and rates are
 * decimal strings (or number literals, read through their exact decimal text), never floats in
 * arithmetic: `'0.65432100'` R$/kWh, `'0.18'` for 18 %.
 */
const DECIMAL_TEXT = /^\d+(\.\d+)?$/;

export const decimalSchema = z.union([
  z.string().regex(DECIMAL_TEXT, 'expected a non-negative decimal such as "0.65"'),
  z.number().finite().nonnegative(),
]);
export const rateSchema = decimalSchema.refine((v) => Number(v) < 1, 'a rate must be below 1');
export const reaisSchema = z.union([
  z.string().regex(/^\d+(\.\d{1,2})?$/, 'expected reais with at most 2 decimals, e.g. "12.34"'),
  z.number().finite().nonnegative(),
]);
export const civilDateSchema = z.string().refine(isCivilDate, 'expected a YYYY-MM-DD date');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected HH:MM');
const kwhBound = z.number().finite().positive();

export const connectionTypeSchema = z.enum(['single-phase', 'two-phase', 'three-phase']);
export type ConnectionType = z.infer<typeof connectionTypeSchema>;

export const flatPricingSchema = z.object({ model: z.literal('flat'), pricePerKwh: decimalSchema });

export const tieredPricingSchema = z.object({
  model: z.literal('tiered'),
  /** Ascending; block n covers (previous upToKwh, upToKwh]; the last is open (`null`). */
  blocks: z.array(z.object({ upToKwh: kwhBound.nullable(), pricePerKwh: decimalSchema })).min(1),
});

const windowSchema = z.tuple([hhmm, hhmm]);
export const timeOfUsePricingSchema = z.object({
  model: z.literal('time-of-use'),
  prices: z.object({
    ponta: decimalSchema,
    intermediario: decimalSchema,
    foraDePonta: decimalSchema,
  }),
  /** Local [from, to) windows on business days; the rest of the day is fora de ponta. */
  windows: z
    .object({ ponta: z.array(windowSchema).min(1), intermediario: z.array(windowSchema) })
    .default({
      ponta: [['18:00', '21:00']],
      intermediario: [
        ['17:00', '18:00'],
        ['21:00', '22:00'],
      ],
    }),
  /** Whole days off-peak besides weekends; absent → `brazilianNationalHolidays` for each year. */
  holidays: z.array(civilDateSchema).optional(),
});

export const energyPricingSchema = z.discriminatedUnion('model', [
  flatPricingSchema,
  tieredPricingSchema,
  timeOfUsePricingSchema,
]);

export const bandeiraFlagSchema = z.enum(['verde', 'amarela', 'vermelha1', 'vermelha2']);
export type BandeiraFlag = z.infer<typeof bandeiraFlagSchema>;

export const bandeirasSchema = z.object({
  /** R$ per 100 kWh of each flag; verde defaults to 0. */
  pricePer100Kwh: z.object({
    verde: decimalSchema.default('0'),
    amarela: decimalSchema,
    vermelha1: decimalSchema,
    vermelha2: decimalSchema,
  }),
  /** Which flag was in force when: [from, to) civil dates, no overlaps. */
  schedule: z
    .array(z.object({ flag: bandeiraFlagSchema, from: civilDateSchema, to: civilDateSchema }))
    .min(1),
});

const lightingBandSchema = z.object({ upToKwh: kwhBound.nullable(), amount: reaisSchema });
export const publicLightingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), amount: reaisSchema }),
  /** Per tariff class, optionally by measured-consumption band (last band open, `null`). */
  z.object({
    kind: z.literal('by-class'),
    classes: z.record(z.string(), z.array(lightingBandSchema).min(1)),
  }),
]);

export const taxPeriodSchema = z.object({
  from: civilDateSchema,
  /** Exclusive; absent = still in force. */
  to: civilDateSchema.optional(),
  icms: rateSchema,
  pis: rateSchema,
  cofins: rateSchema,
});

export const tariffSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1).optional(),
  energy: energyPricingSchema,
  bandeiras: bandeirasSchema.optional(),
  /** kWh billed at least, by connection (custo de disponibilidade, REN 1.000/2021: 30/50/100); `false` = none. */
  minimumAvailabilityKwh: z
    .union([
      z.literal(false),
      z.object({ 'single-phase': kwhBound, 'two-phase': kwhBound, 'three-phase': kwhBound }),
    ])
    .default({ 'single-phase': 30, 'two-phase': 50, 'three-phase': 100 }),
  publicLighting: publicLightingSchema.optional(),
  taxes: z.array(taxPeriodSchema).optional(),
});

export const kwhSchema = z.union([
  z.string().regex(DECIMAL_TEXT, 'expected non-negative kWh'),
  z.number().finite().nonnegative(),
]);

export const consumptionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('total'), kwh: kwhSchema }),
  z.object({
    kind: z.literal('hourly'),
    /** Each sample is the energy of the hour starting at `start` (an instant with offset). */
    samples: z.array(
      z.object({
        start: z.union([z.date(), z.iso.datetime({ offset: true })]),
        kwh: kwhSchema,
      }),
    ),
  }),
]);

export const billingInputSchema = z.object({
  /** Civil dates in the customer's zone, [start, end): `end` is the next period's start. */
  period: z.object({ start: civilDateSchema, end: civilDateSchema }),
  timeZone: z.string().min(1).default('America/Bahia'),
  connection: connectionTypeSchema,
  /** Selects the public-lighting amount of a `by-class` tariff. */
  tariffClass: z.string().min(1).default('residencial'),
  consumption: consumptionSchema,
  tariff: tariffSchema,
});

export type TariffInput = z.input<typeof tariffSchema>;
export type Tariff = z.output<typeof tariffSchema>;
export type BillingInput = z.input<typeof billingInputSchema>;
export type ParsedBillingInput = z.output<typeof billingInputSchema>;
export type TimeOfUsePricing = z.output<typeof timeOfUsePricingSchema>;
export type TieredPricing = z.output<typeof tieredPricingSchema>;
export type Bandeiras = z.output<typeof bandeirasSchema>;
export type TaxPeriod = z.output<typeof taxPeriodSchema>;
export type PublicLighting = z.output<typeof publicLightingSchema>;
