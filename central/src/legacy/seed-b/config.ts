import { z } from 'zod';

/** A seed B server id (`server_id`): what the original servers called themselves. */
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A company id (ev/network COMPANY_ID). */
const COMPANY_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * `legacy.seedB` (docs/CONFIG.md, docs/LEGACY-SEED-B.md): seed B's station clients over MQTT
 * request/response. Off by default.
 */
export const seedBConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /**
     * The `server_id`s this central answers for, each naming the company whose stations it
     * lists and books. A request naming another server is left alone (no answer).
     */
    servers: z
      .record(
        z.string().regex(SERVER_ID, 'a server id is 1-64 of A-Z a-z 0-9 . _ -'),
        z.string().regex(COMPANY_ID, 'must be a company id'),
      )
      .default({}),
    /** How long a seed B reservation lasts from the moment it is made, minutes. */
    reservationMinutes: z.number().int().min(1).max(1_440).default(60),
    /** Requests per client id: a token bucket (`burst` at once, refilled at `perSecond`). */
    rate: z
      .object({
        burst: z.number().int().min(1).max(10_000).default(10),
        perSecond: z.number().positive().max(10_000).default(2),
      })
      .strict()
      .prefault({}),
    /** Requests worked on at once (database work); the rest wait in arrival order. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /** Requests waiting past this are dropped (counted and logged): the client has given up. */
    maxQueued: z.number().int().min(1).max(1_000_000).default(10_000),
    /**
     * Anonymous station clients on the embedded broker (the original client sends no
     * credentials): a CONNECT without username and password becomes the station principal named
     * by its client id, confined to the two request topics and `client/{its id}/#`.
     */
    anonymous: z.boolean().default(false),
  })
  .strict()
  .refine((c) => !c.enabled || Object.keys(c.servers).length > 0, {
    message: 'an enabled seed B face answers for at least one server id',
    path: ['servers'],
  })
  .prefault({});

export type SeedBConfig = z.output<typeof seedBConfigSchema>;
