import { z } from 'zod';

/** `ev.cars` (docs/CONFIG.md): how the central takes seed A's car topics. */
export const carsConfigSchema = z
  .object({
    /** Largest `carros/…` payload taken, bytes (the simulator's `bateria` is ~250). */
    maxPayloadBytes: z.number().int().min(256).max(65_536).default(4096),
    /** How far a `bateria` timestamp (the car's clock) may be ahead of the central's, ms. */
    maxFutureSkewMs: z.number().int().min(0).max(86_400_000).default(300_000),
    /**
     * A report from a plate with no car row: `register` it unowned (the broker authenticated the
     * plate with a credential staff issued; staff assign its driver later) or `drop` it.
     */
    unknownPlates: z.enum(['register', 'drop']).default('register'),
    /** Reports waiting to be stored, all cars together; beyond it new ones are dropped (counted). */
    maxPending: z.number().int().min(1).max(1_000_000).default(10_000),
  })
  .strict()
  .prefault({});

export type CarsConfig = z.output<typeof carsConfigSchema>;
