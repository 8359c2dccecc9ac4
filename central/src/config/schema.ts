import {
  DEFAULT_CENTRAL_WINDOW,
  deepFreeze,
  formatZodIssues,
  GridlinkError,
} from '@gridlink/shared';
import { z } from 'zod';
import { alarmsConfigSchema } from '../alarms/index.js';
import { type BackoffPolicy, DEFAULT_LOGIN_THROTTLE } from '../auth/index.js';
import { DEFAULT_TIME_ZONE } from '../billing/index.js';
import { evConfigSchema } from '../ev/index.js';
import { federationConfigSchema } from '../federation/index.js';
import { DEFAULT_JOBS_RUNTIME } from '../jobs/index.js';
import {
  SEED_D_ROUTES,
  seedAConfigSchema,
  seedBConfigSchema,
  seedCConfigSchema,
} from '../legacy/index.js';
import {
  DEFAULT_PARTITIONS,
  DEFAULT_RETENTION,
  DEFAULT_RETENTION_CRON,
} from '../lifecycle/index.js';
import { DEFAULT_WEBHOOK_SETTINGS } from '../notifications/index.js';
import { cronExpression, emvText, ianaTimeZone, pixKey } from './checks.js';

const portSchema = z.number().int().min(0).max(65535);

/** The embedded broker's limits (docs/SECURITY.md, "MQTT: identities, sessions and limits"). */
export const mqttLimitsSchema = z
  .object({
    /**
     * Until its CONNECT is authenticated, a connection may send no packet larger than this and
     * no more than this in all, fixed headers included; past it the socket is destroyed.
     */
    preAuthBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    /** Distinct client ids (sessions) one edge may hold at once; a takeover of its own never counts. */
    sessionsPerEdge: z.number().int().min(1).max(1000).default(4),
    /** New connections per source address (IPv4, or IPv6 /64): a token bucket. */
    connectRate: z
      .object({
        burst: z.number().int().min(1).default(30),
        perSecond: z.number().positive().default(10),
        /** At most one GL_RATE_LIMITED log line per interval (refusals are counted in between). */
        logIntervalMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type MqttLimits = z.output<typeof mqttLimitsSchema>;

const backoffSchema = (d: BackoffPolicy) =>
  z
    .object({
      freeFailures: z.number().int().min(0).max(1000).default(d.freeFailures),
      baseDelayMs: z.number().int().min(1).max(3_600_000).default(d.baseDelayMs),
      maxDelayMs: z
        .number()
        .int()
        .min(1)
        .max(24 * 3_600_000)
        .default(d.maxDelayMs),
      forgetAfterMs: z
        .number()
        .int()
        .min(60_000)
        .max(30 * 24 * 3_600_000)
        .default(d.forgetAfterMs),
    })
    .strict()
    .refine((p) => p.maxDelayMs >= p.baseDelayMs, {
      message: 'maxDelayMs must be at least baseDelayMs',
      path: ['maxDelayMs'],
    });

/** Sign-in backoff (docs/SECURITY.md, "HTTP: logins, sessions, parsing"). */
export const loginThrottleSchema = z
  .object({
    account: backoffSchema(DEFAULT_LOGIN_THROTTLE.account).prefault({}),
    address: backoffSchema(DEFAULT_LOGIN_THROTTLE.address).prefault({}),
  })
  .strict();

export const centralConfigSchema = z
  .object({
    /** Everything the central writes lives under here. */
    dataDir: z.string().min(1).default('data/central'),
    /**
     * The utility's IANA time zone: the default of new customers, the zone billing periods are
     * closed in and cron schedules read in, and history's zone for a meter without a customer.
     */
    timeZone: ianaTimeZone.default(DEFAULT_TIME_ZONE),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: portSchema.default(8080),
        /** Move to a free port when `port` is taken instead of failing. */
        portFallback: z.boolean().default(false),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /**
         * Reverse proxies whose `X-Forwarded-For` names the client (exact addresses). Default
         * none: the header is ignored and the socket's peer is the client.
         */
        trustedProxies: z
          .array(z.union([z.ipv4(), z.ipv6()]))
          .max(64)
          .default([]),
        loginThrottle: loginThrottleSchema.prefault({}),
        /**
         * On a graceful stop, how long requests already in progress may take to finish before
         * their connections are cut (docs/SCALE-OUT.md, "Drain"). Keep it below the supervisor's
         * stop timeout.
         */
        drainTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
      })
      .strict()
      .prefault({}),
    mqtt: z
      .discriminatedUnion('mode', [
        z
          .object({
            mode: z.literal('embedded'),
            host: z.string().default('127.0.0.1'),
            port: portSchema.default(1883),
            portFallback: z.boolean().default(false),
            limits: mqttLimitsSchema.prefault({}),
          })
          .strict(),
        z
          .object({
            mode: z.literal('external'),
            url: z.string().url(),
            username: z.string().min(1),
            password: z.string().min(1),
            /** Shared-subscription group so N centrals split the ingest (MQTT 5 / Mosquitto `$share`). */
            shareGroup: z
              .string()
              .regex(/^[A-Za-z0-9_-]+$/)
              .optional(),
          })
          .strict(),
      ])
      .prefault({ mode: 'embedded' }),
    /** Absent = embedded PGlite under `dataDir/db`. */
    databaseUrl: z.string().url().optional(),
    /** Invoices: the Pix receiver (a Pix key of the utility) and payment terms. No pix = no Pix code. */
    billing: z
      .object({
        pix: z
          .object({
            key: pixKey,
            merchantName: emvText(25),
            merchantCity: emvText(15),
          })
          .strict()
          .optional(),
        /**
         * Day `dueDays` counting from the later of the period's end and the issue date, each as
         * day 1 (docs/BILLING.md, "Due date"): at least 1, so no invoice is born overdue.
         */
        dueDays: z.number().int().min(1).max(90).default(10),
        /** The older name of jobs.billingClose.cron (docs/JOBS.md); not both. Default jobs DEFAULT_CRON. */
        cron: cronExpression.optional(),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        maxPayloadBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
        /**
         * How long a batch that overtook its predecessor waits for another instance to store it
         * before it is refused as a gap, ms (docs/SCALE-OUT.md). Default 1000 with
         * mqtt.shareGroup, else 0.
         */
        gapWaitMs: z.number().int().min(0).max(10_000).optional(),
        /**
         * The window a reading's time must fall in, or the reading is quarantined
         * (docs/WIRE.md, "Readings the central sets aside"). Default DEFAULT_CENTRAL_WINDOW.
         */
        readingWindow: z
          .object({
            /** Earliest plausible reading time, ISO 8601 (default 2000-01-01T00:00:00Z). */
            notBefore: z.iso
              .datetime({ offset: true })
              .default(new Date(DEFAULT_CENTRAL_WINDOW.notBeforeMs).toISOString()),
            /** How far an edge's clock may run ahead of the central's, ms (at most a day). */
            maxFutureSkewMs: z
              .number()
              .int()
              .min(0)
              .max(24 * 3_600_000)
              .default(DEFAULT_CENTRAL_WINDOW.maxFutureSkewMs),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The control plane (docs/WIRE.md, "Commands"). */
    control: z
      .object({
        /** A command with no result this long after it was asked for becomes `expired`. */
        commandTimeoutMs: z
          .number()
          .int()
          .min(1000)
          .max(24 * 3_600_000)
          .default(60_000),
      })
      .strict()
      .prefault({}),
    /** Data lifecycle (docs/LIFECYCLE.md): raw data older than this goes, rollups and invoices stay. */
    retention: z
      .object({
        /** Raw readings, once rolled up, are deleted after this many days; 0 = keep forever. */
        readingsDays: z.number().int().min(0).max(36_500).default(DEFAULT_RETENTION.readingsDays),
        /** Quarantined readings are deleted after this many days; 0 = keep forever. */
        quarantineDays: z
          .number()
          .int()
          .min(0)
          .max(36_500)
          .default(DEFAULT_RETENTION.quarantineDays),
        /** Cars' report history is deleted after this many days (the last report stays); 0 = keep forever. */
        carHistoryDays: z
          .number()
          .int()
          .min(0)
          .max(36_500)
          .default(DEFAULT_RETENTION.carHistoryDays),
        /** Rows per DELETE (one short transaction each). */
        batchSize: z.number().int().min(1).max(100_000).default(DEFAULT_RETENTION.batchSize),
        /** cron expression of the sweep, in the central's time zone. */
        cron: cronExpression.default(DEFAULT_RETENTION_CRON),
        /** Monthly partitions of `readings` (docs/LIFECYCLE.md, "Partitions"). */
        partitions: z
          .object({
            /** Months made ahead of the current one (UTC months). */
            monthsAhead: z.number().int().min(1).max(120).default(DEFAULT_PARTITIONS.monthsAhead),
            /** cron expression of the maintenance, in the central's time zone. */
            cron: cronExpression.default(DEFAULT_PARTITIONS.cron),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Alarm notifications (docs/ALARMS.md, "Notifications"). */
    notifications: z
      .object({
        webhooks: z
          .object({
            /**
             * Allow loopback and link-local targets (a receiver on this host; tests). Off: such
             * URLs are refused at registration and such addresses at connection (SSRF).
             */
            allowLoopback: z.boolean().default(DEFAULT_WEBHOOK_SETTINGS.allowLoopback),
            /** An attempt without a complete answer by then counts as failed. */
            timeoutMs: z
              .number()
              .int()
              .min(100)
              .max(120_000)
              .default(DEFAULT_WEBHOOK_SETTINGS.timeoutMs),
            /** Attempts per delivery, the first included. */
            maxAttempts: z
              .number()
              .int()
              .min(1)
              .max(50)
              .default(DEFAULT_WEBHOOK_SETTINGS.maxAttempts),
            /** Delay before attempt n+1: min(maxMs, baseMs × 2^(n−1)). */
            backoff: z
              .object({
                baseMs: z
                  .number()
                  .int()
                  .min(100)
                  .max(3_600_000)
                  .default(DEFAULT_WEBHOOK_SETTINGS.backoff.baseMs),
                maxMs: z
                  .number()
                  .int()
                  .min(100)
                  .max(24 * 3_600_000)
                  .default(DEFAULT_WEBHOOK_SETTINGS.backoff.maxMs),
              })
              .strict()
              .refine((b) => b.maxMs >= b.baseMs, {
                message: 'maxMs must be at least baseMs',
                path: ['maxMs'],
              })
              .prefault({}),
            /** How often deliveries queued by another central are looked for. */
            pollMs: z
              .number()
              .int()
              .min(1000)
              .max(3_600_000)
              .default(DEFAULT_WEBHOOK_SETTINGS.pollMs),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** The EV charging half (docs/EV.md): one sub-object per module. */
    ev: evConfigSchema,
    /** Booking trips across companies (docs/FEDERATION.md). Off without peers. */
    federation: federationConfigSchema,
    /** Interfaces of the systems GridLink replaces, each on its own port (docs/LEGACY-SEED-D.md). */
    legacy: z
      .object({
        /** Seed A's REST face on the HTTP server (docs/EV.md, "Seed A"). Off by default. */
        seedA: seedAConfigSchema,
        /** Seed D's terminal interface (`/cadCliente` … `/getAlarme`, HTTP/1.1 JSON). Off by default. */
        seedD: z
          .object({
            enabled: z.boolean().default(false),
            host: z.string().min(1).default('127.0.0.1'),
            /** The original server's terminal port. */
            port: portSchema.default(8888),
            /** Move to a free port when `port` is taken instead of failing (the demo does). */
            portFallback: z.boolean().default(false),
            /** The edge that serves seed D's UDP meters: `/cadMedidor` provisions the meter there. */
            edgeId: z
              .string()
              .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an edge id')
              .optional(),
            /** The flat price per kWh of the customers `/cadCliente` creates (the seed's R$ 1,07). */
            pricePerKwh: z
              .string()
              .regex(/^\d{1,6}(\.\d{1,8})?$/, 'must be a decimal such as 1.07')
              .default('1.07'),
            /** The monthly excess limit (kWh) of the customers `/cadCliente` creates (the seed's 1000). */
            excessKwh: z.number().positive().max(1_000_000_000).default(1000),
            /** Request bodies larger than this are refused (413). */
            maxBodyBytes: z.number().int().min(256).max(1_048_576).default(16_384),
            /**
             * Requests without credentials (the original client sends none), only from `sources`
             * and only on `routes`; docs/SECURITY.md "Seed D terminal". Off by default.
             */
            anonymous: z
              .object({
                enabled: z.boolean().default(false),
                sources: z
                  .array(z.union([z.ipv4(), z.ipv6()]))
                  .max(64)
                  .default(['127.0.0.1', '::1']),
                routes: z
                  .array(z.enum(SEED_D_ROUTES))
                  .max(6)
                  .default(['getConsumoHist', 'getFatura', 'getAlarme']),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
        /** Seed B's station clients over MQTT (docs/LEGACY-SEED-B.md). Off by default. */
        seedB: seedBConfigSchema,
        /** Seed C's journey clients over TCP (docs/LEGACY-SEED-C.md). Off by default. */
        seedC: seedCConfigSchema,
      })
      .strict()
      .prefault({}),
    /**
     * Scheduled jobs (docs/JOBS.md): cron schedules read in `timeZone` (5 fields, or 6 with
     * seconds first), leases, retries and pruning. Absent crons take jobs DEFAULT_CRON.
     */
    jobs: z
      .object({
        /** Closes every due billing period. `billing.cron` is its older name (not both). */
        billingClose: z.object({ cron: cronExpression.optional() }).strict().prefault({}),
        rollup: z.object({ cron: cronExpression.optional() }).strict().prefault({}),
        alarmSweep: z.object({ cron: cronExpression.optional() }).strict().prefault({}),
        prune: z
          .object({
            cron: cronExpression.optional(),
            /** Finished job_runs rows are deleted after this many days. */
            keepDays: z.number().int().min(1).max(3650).default(30),
            /** API tokens expired or revoked this many days ago are deleted. */
            tokenKeepDays: z.number().int().min(0).max(3650).default(30),
          })
          .strict()
          .prefault({}),
        leaseMs: z.number().int().min(3000).max(3_600_000).default(DEFAULT_JOBS_RUNTIME.leaseMs),
        pollMs: z.number().int().min(1000).max(3_600_000).default(DEFAULT_JOBS_RUNTIME.pollMs),
        retryBaseMs: z
          .number()
          .int()
          .min(1000)
          .max(24 * 3_600_000)
          .default(DEFAULT_JOBS_RUNTIME.retryBaseMs),
        retryMaxMs: z
          .number()
          .int()
          .min(1000)
          .max(24 * 3_600_000)
          .default(DEFAULT_JOBS_RUNTIME.retryMaxMs),
        /** SIGTERM waits this long for a running job before interrupting it at a safe point. */
        stopTimeoutMs: z
          .number()
          .int()
          .min(0)
          .max(600_000)
          .default(DEFAULT_JOBS_RUNTIME.stopTimeoutMs),
      })
      .strict()
      .refine((j) => j.retryMaxMs >= j.retryBaseMs, {
        message: 'retryMaxMs must be at least retryBaseMs',
        path: ['retryMaxMs'],
      })
      .prefault({}),
    /** Interval meters (docs/METERING.md, "Interval amounts"). */
    metering: z
      .object({
        /** Two consecutive interval readings further apart than this leave a visible gap. */
        intervalGapSeconds: z
          .number()
          .int()
          .min(1)
          .max(366 * 86_400)
          .default(3600),
      })
      .strict()
      .prefault({}),
    /** Alarm thresholds (docs/ALARMS.md, "Thresholds"); the defaults are DEFAULT_RULES. */
    alarms: alarmsConfigSchema.prefault({}),
    log: z
      .object({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type CentralConfig = z.output<typeof centralConfigSchema>;
export type CentralConfigInput = z.input<typeof centralConfigSchema>;

/** Validates once, at start-up; the error names every bad key. */
export function parseCentralConfig(input: unknown): CentralConfig {
  const parsed = centralConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new GridlinkError(
      'GL_CONFIG_INVALID',
      `central config: ${formatZodIssues(parsed.error)}`,
    );
  // billing.cron is the older name of jobs.billingClose.cron (docs/JOBS.md): one or the other.
  if (parsed.data.billing.cron !== undefined && parsed.data.jobs.billingClose.cron !== undefined)
    throw new GridlinkError(
      'GL_CONFIG_INVALID',
      'central config: billing.cron: also set as jobs.billingClose.cron; keep only jobs.billingClose.cron',
    );
  return deepFreeze(parsed.data);
}
