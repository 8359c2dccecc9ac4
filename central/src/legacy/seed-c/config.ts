import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

/**
 * `legacy.seedC` (docs/CONFIG.md, docs/LEGACY-SEED-C.md): seed C's journey clients over TCP,
 * newline-terminated JSON envelopes. Off by default. Seed D's terminal also defaults to port
 * 8888 (both originals did): enable both only with distinct ports.
 */
export const seedCConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    host: z.string().min(1).default('127.0.0.1'),
    /** The original journey server's port. */
    port: port.default(8888),
    /** Move to a free port when `port` is taken instead of failing (the demo does). */
    portFallback: z.boolean().default(false),
    /**
     * Clients without credentials (the original sends none), only from `sources`; without it a
     * connection first sends `AUTH {token}` with an API token (docs/SECURITY.md "Seed C").
     */
    anonymous: z
      .object({
        enabled: z.boolean().default(false),
        sources: z
          .array(z.union([z.ipv4(), z.ipv6()]))
          .max(64)
          .default(['127.0.0.1', '::1']),
      })
      .strict()
      .prefault({}),
    /**
     * The driver a booking is made for when the user is neither a plate (LOGIN `user_name`) nor
     * signed in with a driver token. None: such a PAYMENT is declined.
     */
    driverId: z.number().int().positive().optional(),
    /** A line (one envelope) longer than this is refused (400) and the connection closed. */
    maxLineBytes: z.number().int().min(256).max(1_048_576).default(16_384),
    /** A connection silent this long is closed. */
    idleTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
    /** Connections at once; one more is told 503 and closed. */
    maxConnections: z.number().int().min(1).max(1_000_000).default(20_000),
    /** The listen backlog (the kernel caps it at net.core.somaxconn). */
    backlog: z.number().int().min(1).max(65_535).default(4_096),
    /** Lines read ahead of the answers per connection; past it the socket is paused. */
    maxInFlightPerConnection: z.number().int().min(1).max(1_000).default(8),
    /** Requests touching the database worked on at once; the rest wait in arrival order. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /** Requests waiting past this many are answered 503. */
    maxQueued: z.number().int().min(1).max(1_000_000).default(20_000),
    /** LOGIN sessions kept (in memory); the least recently used goes first. */
    maxUsers: z.number().int().min(1).max(10_000_000).default(100_000),
    /** A LOGIN unused this long is forgotten. */
    userTtlMinutes: z.number().int().min(1).max(10_080).default(720),
    /** START's station list is read at most this often (ms); 0: every time. */
    stationsCacheMs: z.number().int().min(0).max(600_000).default(1_000),
    /** The charge a stop aims for, % (the original's 80 %). */
    targetSocPct: z.number().min(1).max(100).default(80),
  })
  .strict()
  .prefault({});

export type SeedCConfig = z.output<typeof seedCConfigSchema>;
