import { z } from 'zod';
import { carsConfigSchema } from './cars/cars-config.js';
import { liveConfigSchema } from './live/live-config.js';
import { reservationsConfigSchema } from './reservations/config.js';
import { sessionsConfigSchema } from './sessions/config.js';
import { tripsConfigSchema } from './trips/config.js';

/**
 * The `ev` section of the central's config (docs/CONFIG.md, docs/EV.md): one strict sub-object
 * per EV module, each defined beside its module and added here.
 */
export const evConfigSchema = z
  .object({
    live: liveConfigSchema,
    cars: carsConfigSchema,
    reservations: reservationsConfigSchema,
    sessions: sessionsConfigSchema,
    trips: tripsConfigSchema,
  })
  .strict()
  .prefault({});

export type EvConfig = z.output<typeof evConfigSchema>;
