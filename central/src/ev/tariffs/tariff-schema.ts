import { z } from 'zod';

/**
 * A charging tariff as OCPI 2.2.1/2.3 models it (docs/EV.md, "Pricing"): elements of price
 * components, each ENERGY (per kWh, step in Wh), TIME (per hour charging, step in s),
 * PARKING_TIME (per hour not charging, step in s) or FLAT (per session), with optional
 * restrictions, and a minimum and maximum price for the session. Prices are exact decimal text in
 * reais (`"1.95"`), excluding nothing: GridLink quotes final prices. Sessions are priced in
 * integer centavos (ev/sessions).
 *
 * GridLink extension: `grace_minutes` on a PARKING_TIME component: idle time up to that many
 * minutes after charging stops is free (the Brazilian "10 min, then R$ 0.50/min" idle fee).
 */
const price = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,4})?$/, 'a price is decimal text in reais, at most 4 decimals ("1.95")');

export const priceComponentSchema = z
  .object({
    type: z.enum(['ENERGY', 'TIME', 'PARKING_TIME', 'FLAT']),
    price,
    /** Billing step: Wh for ENERGY, seconds for TIME and PARKING_TIME, ignored for FLAT. */
    step_size: z.number().int().min(1).max(86_400).default(1),
    grace_minutes: z.number().int().min(0).max(1_440).optional(),
  })
  .strict();

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day is "HH:MM"');
const weekday = z.enum([
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
]);

/** When an element applies (all given must hold); times in the station's time zone. */
export const tariffRestrictionsSchema = z
  .object({
    start_time: hhmm.optional(),
    end_time: hhmm.optional(),
    day_of_week: z.array(weekday).min(1).max(7).optional(),
    min_kwh: z.number().min(0).optional(),
    max_kwh: z.number().min(0).optional(),
    min_power_kw: z.number().min(0).optional(),
    max_power_kw: z.number().min(0).optional(),
    min_duration_s: z.number().int().min(0).optional(),
    max_duration_s: z.number().int().min(0).optional(),
  })
  .strict();

export const tariffElementSchema = z
  .object({
    price_components: z.array(priceComponentSchema).min(1).max(8),
    restrictions: tariffRestrictionsSchema.optional(),
  })
  .strict();

export const tariffSchema = z
  .object({
    currency: z.literal('BRL').default('BRL'),
    elements: z.array(tariffElementSchema).min(1).max(32),
    min_price: price.optional(),
    max_price: price.optional(),
  })
  .strict();

export type Tariff = z.output<typeof tariffSchema>;
export type TariffInput = z.input<typeof tariffSchema>;
export type PriceComponent = z.output<typeof priceComponentSchema>;

/**
 * The price per kWh a list of stations shows (seed B `preco_kwh`): the ENERGY component of the
 * first element without restrictions, else of the first element that has one; null when the
 * tariff charges no energy.
 */
export function energyPricePerKwh(tariff: Tariff): string | null {
  const energyOf = (e: Tariff['elements'][number]) =>
    e.price_components.find((c) => c.type === 'ENERGY')?.price;
  const plain = tariff.elements.find((e) => e.restrictions === undefined && energyOf(e));
  const chosen = plain ?? tariff.elements.find((e) => energyOf(e));
  return chosen ? (energyOf(chosen) ?? null) : null;
}

/** The tariff of a point without its own and a company without a default (docs/EV.md). */
export const DEFAULT_TARIFF: Tariff = tariffSchema.parse({
  elements: [
    {
      price_components: [
        { type: 'ENERGY', price: '1.95', step_size: 1 },
        { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
      ],
    },
  ],
});
