import { z } from 'zod';

/** `ev.live` (docs/CONFIG.md): how often the live module reconciles with the database. */
export const liveConfigSchema = z
  .object({
    /**
     * Every this many ms: chargers (or their edges) reported offline make their points
     * `unknown`, and availabilities changed behind the module's back are republished.
     */
    reconcileMs: z.number().int().min(100).max(3_600_000).default(5000),
  })
  .strict()
  .prefault({});

export type LiveConfig = z.output<typeof liveConfigSchema>;
