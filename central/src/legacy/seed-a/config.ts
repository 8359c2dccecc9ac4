import { z } from 'zod';

/**
 * `legacy.seedA`: seed A's REST face on the central's HTTP server (docs/EV.md, "Seed A"). Off by
 * default. Its original clients send no credentials: `anonymous` lets them in, only from
 * `anonymousSources` and only on seed A's four routes. Everybody else presents a bearer token.
 */
export const seedAConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    anonymous: z.boolean().default(false),
    anonymousSources: z
      .array(z.union([z.ipv4(), z.ipv6()]))
      .max(64)
      .default(['127.0.0.1', '::1']),
    /** A booking without `fim` or `duracao_minutos` lasts this long (the seed booked "now"). */
    defaultMinutes: z.number().int().min(5).max(1440).default(60),
  })
  .strict()
  .prefault({});

export type SeedAConfig = z.output<typeof seedAConfigSchema>;
