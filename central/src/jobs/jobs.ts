import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type AlarmPublisher, type AlarmRulesConfig, sweepAlarms } from '../alarms/index.js';
import { closeBillingPeriod, type PixSettings, previousMonth } from '../billing/index.js';
import { rollupMeters } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import { runOnce } from './run-once.js';
import { isCronExpression, nodeCronScheduler, type Scheduler } from './scheduler.js';

export interface Job {
  name: string;
  cron: string;
  run(at: Date): Promise<unknown>;
}

export interface JobsOptions {
  db: Kysely<Schema>;
  logger: Logger;
  scheduler?: Scheduler;
  /** The zone cron expressions are read in, and billing months are named in. */
  timeZone?: string;
  billing?: { cron?: string; pix?: PixSettings; dueDays?: number };
  rollup?: { cron?: string };
  alarms?: { cron?: string; publisher?: AlarmPublisher; rules?: Partial<AlarmRulesConfig> };
  /** More jobs, scheduled the same way. */
  extra?: Job[];
}

export interface Jobs {
  readonly jobs: readonly Job[];
  stop(): void;
}

/** Defaults: sweep alarms every minute; roll up every 5 minutes; close the month on the 1st, 03:00. */
export const DEFAULT_CRON = {
  alarms: '* * * * *',
  rollup: '*/5 * * * *',
  billing: '0 3 1 * *',
} as const;

export function alarmSweepJob(options: JobsOptions): Job {
  return {
    name: 'alarms.sweep',
    cron: options.alarms?.cron ?? DEFAULT_CRON.alarms,
    run: (at) =>
      sweepAlarms(options.db, {
        now: at,
        publisher: options.alarms?.publisher,
        rules: options.alarms?.rules,
        logger: options.logger,
      }),
  };
}

export function billingJob(options: JobsOptions): Job {
  const zone = options.timeZone ?? 'America/Bahia';
  return {
    name: 'billing.close-period',
    cron: options.billing?.cron ?? DEFAULT_CRON.billing,
    run: (at) =>
      closeBillingPeriod(options.db, {
        period: previousMonth(at, zone),
        now: at,
        pix: options.billing?.pix,
        dueDays: options.billing?.dueDays,
      }),
  };
}

export function rollupJob(options: JobsOptions): Job {
  return {
    name: 'metering.rollup',
    cron: options.rollup?.cron ?? DEFAULT_CRON.rollup,
    // The scheduled instant is the clock: readings past it + 1 h wait (docs/METERING.md).
    run: (at) => rollupMeters(options.db, undefined, { now: at }),
  };
}

/**
 * Schedules the jobs. Each fire runs once across all instances (`runOnce`, slot = the scheduled
 * minute), and every job is idempotent, so a missed or doubled fire is harmless.
 */
export function startJobs(options: JobsOptions): Jobs {
  const scheduler = options.scheduler ?? nodeCronScheduler;
  const jobs = [
    rollupJob(options),
    billingJob(options),
    alarmSweepJob(options),
    ...(options.extra ?? []),
  ];
  const handles = jobs.map((job) => {
    if (!isCronExpression(job.cron)) throw new Error(`job ${job.name}: bad cron ${job.cron}`);
    const log = options.logger.child({ job: job.name });
    return scheduler.schedule(
      job.cron,
      { name: job.name, timeZone: options.timeZone ?? 'America/Bahia' },
      async (at) => {
        const slot = new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString();
        try {
          const out = await runOnce(options.db, job.name, slot, at, () => job.run(at));
          if (out.ran) log.info({ slot, result: out.result }, 'job ran');
          else log.debug({ slot }, 'job already ran on another instance');
        } catch (err) {
          log.error({ err, slot, code: 'GL_INTERNAL' }, 'job failed');
        }
      },
    );
  });
  return {
    jobs,
    stop: () => {
      for (const h of handles) h.stop();
    },
  };
}
