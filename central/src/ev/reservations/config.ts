import { z } from 'zod';
import { bookingTermsSchema, DEFAULT_TERMS } from './terms.js';

/** `ev.reservations` (docs/CONFIG.md): limits of a booking and the monitor's period. */
export const reservationsConfigSchema = z
  .object({
    /** How far ahead a slot may end, days. */
    horizonDays: z.number().int().min(1).max(365).default(30),
    minSlotMinutes: z.number().int().min(1).max(1_440).default(15),
    maxSlotMinutes: z.number().int().min(1).max(1_440).default(240),
    /** How long a held (PENDING) booking waits for its confirm, minutes. */
    holdMinutes: z.number().int().min(1).max(1_440).default(10),
    /** A slot may start this far in the past (clock skew between client and central), seconds. */
    pastSkewSeconds: z.number().int().min(0).max(3_600).default(60),
    /**
     * A fault or maintenance cancels (BROKEN_CHARGER) the bookings in progress or starting
     * within this many minutes; later ones are flagged until the point recovers.
     */
    faultGraceMinutes: z.number().int().min(0).max(1_440).default(60),
    /** The monitor's tick, ms (seconds-granular). */
    monitorPeriodMs: z.number().int().min(100).max(60_000).default(1_000),
    /** How many next free slots a refusal carries. */
    nextFreeCount: z.number().int().min(0).max(20).default(3),
    defaultTerms: bookingTermsSchema.default(DEFAULT_TERMS),
  })
  .strict()
  .refine((c) => c.minSlotMinutes <= c.maxSlotMinutes, {
    message: 'minSlotMinutes must not exceed maxSlotMinutes',
    path: ['minSlotMinutes'],
  })
  .prefault({});

export type ReservationsConfig = z.output<typeof reservationsConfigSchema>;
