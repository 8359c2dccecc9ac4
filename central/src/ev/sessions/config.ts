import { z } from 'zod';

/** `ev.sessions` (docs/CONFIG.md): charging sessions and remote starts. */
export const sessionsConfigSchema = z
  .object({
    /** Every this many seconds open sessions are reconciled with their points' state. */
    reconcileSeconds: z.number().int().min(1).max(3600).default(30),
    /** A remote start waits this long for the car's session to attribute it. */
    startIntentMinutes: z.number().int().min(1).max(1440).default(10),
    /** While charging, an energy sample (for tariffs that split a session) at most this often. */
    sampleEveryMinutes: z.number().int().min(1).max(60).default(5),
  })
  .strict()
  .prefault({});

export type SessionsConfig = z.output<typeof sessionsConfigSchema>;
