import { z } from 'zod';

/** A decimal amount in reais, at most two decimals ("10", "7.50"). */
const reais = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,2})?$/, 'a decimal amount in reais with at most two decimals');

/**
 * OCPI 2.3 booking terms, minutes as OCPI gives them. A booking keeps the terms it was made
 * with (the config's defaults, overridden per booking by staff).
 */
export const bookingTermsSchema = z
  .object({
    /** A driver cancels free of charge until this many minutes before the slot starts. */
    cancel_until_minutes: z.number().int().min(0).max(10_080),
    /** Minutes after the slot start without a start before the booking is a NO_SHOW. */
    noshow_timeout: z.number().int().min(1).max(1_440),
    /** Owed on NO_SHOW and on a driver's cancel after cancel_until_minutes, reais. */
    noshow_fee: reais,
    /** The booked car may start this many minutes before its slot. */
    early_start_time: z.number().int().min(0).max(120),
    /** Minutes the booked car may go on charging after its slot (informative). */
    late_stop_time: z.number().int().min(0).max(120),
  })
  .strict();

export type BookingTerms = z.output<typeof bookingTermsSchema>;

export const DEFAULT_TERMS: BookingTerms = Object.freeze({
  cancel_until_minutes: 30,
  noshow_timeout: 15,
  noshow_fee: '10.00',
  early_start_time: 10,
  late_stop_time: 0,
});
