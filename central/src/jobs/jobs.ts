import { randomBytes } from 'node:crypto';
import { type ClockAndTimers, isGridlinkError, systemClock } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  type AlarmPublisher,
  type AlarmRulesConfig,
  clearBillingCloseFailed,
  raiseBillingCloseFailed,
  sweepAlarms,
} from '../alarms/index.js';
import {
  closeDuePeriods,
  DEFAULT_TIME_ZONE,
  type PixSettings,
  previousMonth,
} from '../billing/index.js';
import { rollupMeters } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import { isCronExpression } from './cron.js';
import {
  claimSlot,
  failLease,
  finishLease,
  type Lease,
  pruneLedger,
  pruneTokens,
  renewLease,
  takeOverDue,
} from './ledger.js';
import { clockScheduler, type Scheduler } from './scheduler.js';

/** What a run is given besides its scheduled instant. */
export interface JobContext {
  /** The clock when the run (or this retry of it) started. */
  now: Date;
  /** Aborted when the central stops and the run outlasts the stop's wait: stop at a safe point. */
  signal: AbortSignal;
  /** 1 on the first run of a slot, then 2, 3… on retries and take-overs. */
  attempt: number;
}

export interface Job {
  name: string;
  cron: string;
  /**
   * `at`: the scheduled instant (the slot), the same on every instance and on every retry.
   * `ctx` is always given by startJobs; a direct call without it runs at `at`, unabortable.
   */
  run(at: Date, ctx?: JobContext): Promise<unknown>;
}

const contextAt = (at: Date, ctx?: JobContext): JobContext =>
  ctx ?? { now: at, signal: new AbortController().signal, attempt: 1 };

/** Lease, retry and stop timings (config `jobs`, docs/JOBS.md). */
export interface JobsRuntime {
  /** A running slot's lease; renewed every third of it, taken over by others once expired. */
  leaseMs: number;
  /** How often an instance looks for failed slots due again and expired leases. */
  pollMs: number;
  /** Retry backoff: base × 2^(attempt − 1), at most max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long stop() waits for running jobs before aborting them and handing their leases back. */
  stopTimeoutMs: number;
}

export const DEFAULT_JOBS_RUNTIME: JobsRuntime = Object.freeze({
  leaseMs: 5 * 60_000,
  pollMs: 30_000,
  retryBaseMs: 60_000,
  retryMaxMs: 3_600_000,
  stopTimeoutMs: 20_000,
});

export interface JobsOptions {
  db: Kysely<Schema>;
  logger: Logger;
  scheduler?: Scheduler;
  /** The clock `now`, leases, retries and the default scheduler run on (default the system's). */
  clock?: ClockAndTimers;
  /** The zone cron expressions are read in, and billing months are named in. */
  timeZone?: string;
  billing?: { cron?: string; pix?: PixSettings; dueDays?: number };
  rollup?: { cron?: string };
  alarms?: { cron?: string; publisher?: AlarmPublisher; rules?: Partial<AlarmRulesConfig> };
  prune?: { cron?: string; keepDays?: number; tokenKeepDays?: number };
  runtime?: Partial<JobsRuntime>;
  /** More jobs, scheduled the same way. */
  extra?: Job[];
}

export interface Jobs {
  readonly jobs: readonly Job[];
  /** This instance's lease owner id. */
  readonly owner: string;
  /** Runs what is due now (failed slots past their backoff, expired leases); the poller's step. */
  poll(): Promise<void>;
  /** Settles when every run started so far has finished. */
  idle(): Promise<void>;
  /**
   * Stops scheduling, waits up to `stopTimeoutMs` for running jobs, then aborts the rest and hands
   * their leases back (retried by the next instance at once). Resolves when no run is left, so
   * the database can be closed after it.
   */
  stop(): Promise<void>;
}

/**
 * Defaults, spread over the minute so the monthly close never shares a second with the sweep:
 * sweep alarms every minute at :00; roll up every 5 minutes at :20; close due billing periods
 * daily at 03:17:40 (the 1st closes last month; later days catch up a missed or failed close);
 * prune ledgers daily at 04:41:50.
 */
export const DEFAULT_CRON = {
  alarms: '* * * * *',
  rollup: '20 */5 * * * *',
  billing: '40 17 3 * * *',
  prune: '50 41 4 * * *',
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

/**
 * Closes every due billing period up to the month before `at`, oldest first (closeDuePeriods).
 * A failure raises `billing.close-failed` and is retried with backoff; success clears it.
 */
export function billingJob(options: JobsOptions): Job {
  const zone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const notify = { publisher: options.alarms?.publisher, logger: options.logger };
  return {
    name: 'billing.close-period',
    cron: options.billing?.cron ?? DEFAULT_CRON.billing,
    run: async (at, given) => {
      const ctx = contextAt(at, given);
      try {
        const result = await closeDuePeriods(options.db, {
          upTo: previousMonth(at, zone),
          now: ctx.now,
          pix: options.billing?.pix,
          dueDays: options.billing?.dueDays,
          signal: ctx.signal,
        });
        await clearBillingCloseFailed(options.db, ctx.now, notify);
        return {
          closed: result.closed.map((c) => ({ period: c.period, issued: c.issued.length })),
          pending: result.pending,
        };
      } catch (err) {
        if (!ctx.signal.aborted)
          await raiseBillingCloseFailed(
            options.db,
            {
              slot: at.toISOString(),
              attempts: ctx.attempt,
              error: (err as Error).message,
              ...(isGridlinkError(err) ? { code: err.code } : {}),
            },
            ctx.now,
            notify,
          ).catch((e) => options.logger.error({ err: e }, 'billing.close-failed alarm not raised'));
        throw err;
      }
    },
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

/** Deletes finished ledger rows older than `keepDays` and tokens expired/revoked that long ago. */
export function pruneJob(options: JobsOptions): Job {
  const day = 86_400_000;
  return {
    name: 'jobs.prune',
    cron: options.prune?.cron ?? DEFAULT_CRON.prune,
    run: async (at, given) => {
      const ctx = contextAt(at, given);
      return {
        jobRuns: await pruneLedger(
          options.db,
          new Date(ctx.now.getTime() - (options.prune?.keepDays ?? 30) * day),
        ),
        apiTokens: await pruneTokens(
          options.db,
          new Date(ctx.now.getTime() - (options.prune?.tokenKeepDays ?? 30) * day),
        ),
      };
    },
  };
}

const errorOf = (err: unknown) => ({
  error: (err as Error)?.message ?? String(err),
  ...(isGridlinkError(err) ? { code: err.code } : {}),
});

/**
 * Schedules the jobs. A fire claims its (job, slot) lease in `job_runs` (one instance wins), runs
 * the job and records done or failed. A failed slot is retried with backoff, a slot whose owner
 * died is taken over when its lease expires (docs/JOBS.md). Every job is idempotent and catches up
 * on earlier slots, so a retried or doubled run is harmless.
 */
export function startJobs(options: JobsOptions): Jobs {
  const clock = options.clock ?? systemClock;
  const rt: JobsRuntime = { ...DEFAULT_JOBS_RUNTIME, ...options.runtime };
  const scheduler = options.scheduler ?? clockScheduler(clock);
  const zone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const db = options.db;
  const jobs = [
    rollupJob(options),
    billingJob(options),
    alarmSweepJob(options),
    pruneJob(options),
    ...(options.extra ?? []),
  ];
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const running = new Map<string, { done: Promise<void>; abort: AbortController; lease: Lease }>();
  let stopped = false;
  const now = () => new Date(clock.now());

  const backoff = (attempt: number) =>
    Math.min(rt.retryMaxMs, rt.retryBaseMs * 2 ** Math.max(0, attempt - 1));

  const execute = (job: Job, lease: Lease) => {
    const key = `${lease.job}\u0000${lease.slot}`;
    const log = options.logger.child({ job: job.name });
    const abort = new AbortController();
    // One renewal at a time, like the poller: ticks while it is out renew once more after it,
    // from the clock as it is then.
    let renewing = false;
    let renewAgain = false;
    let ended = false;
    const renewTick = (): void => {
      if (renewing) {
        renewAgain = true;
        return;
      }
      renewing = true;
      renewAgain = false;
      void renewLease(db, lease, owner, new Date(clock.now() + rt.leaseMs))
        .then((held) => {
          if (!held) abort.abort(new Error('lease lost'));
        })
        .catch((err) => log.warn({ err, slot: lease.slot }, 'lease renewal failed'))
        .finally(() => {
          renewing = false;
          if (renewAgain && !ended) renewTick();
        });
    };
    const renew = clock.setInterval(renewTick, Math.max(1000, Math.floor(rt.leaseMs / 3)));
    const done = (async () => {
      const at = new Date(lease.slot);
      const ctx: JobContext = { now: now(), signal: abort.signal, attempt: lease.attempts };
      try {
        const result = await job.run(at, ctx);
        await finishLease(db, lease, owner, now(), result);
        log.info({ slot: lease.slot, attempt: lease.attempts, result }, 'job ran');
      } catch (err) {
        // Interrupted by stop(): handed back for any instance to run at once, not a failure.
        const retryAt = abort.signal.aborted
          ? now()
          : new Date(clock.now() + backoff(lease.attempts));
        await failLease(db, lease, owner, now(), retryAt, errorOf(err)).catch((e) =>
          log.error({ err: e, slot: lease.slot }, 'job lease not released'),
        );
        if (abort.signal.aborted)
          log.warn({ slot: lease.slot }, 'job interrupted; lease handed back');
        else
          log.error(
            { err, slot: lease.slot, attempt: lease.attempts, retryAt, code: 'GL_INTERNAL' },
            'job failed; will retry',
          );
      } finally {
        ended = true;
        clock.clearInterval(renew);
        running.delete(key);
      }
    })();
    running.set(key, { done, abort, lease });
    return done;
  };

  // Claims in flight: stop() waits for them, and a claim that lands after stop() began hands
  // its lease straight back, so nothing starts on a database about to close.
  const claiming = new Set<Promise<unknown>>();
  const handBack = (lease: Lease) =>
    failLease(db, lease, owner, now(), now(), { error: 'central stopping' }).catch((err) =>
      options.logger.warn({ err, job: lease.job, slot: lease.slot }, 'lease not handed back'),
    );
  /** Runs `take`; starts what it claimed (registered in `running` before this settles). */
  const claim = (take: () => Promise<Lease[]>) => {
    const p = (async () => {
      const leases = await take();
      if (stopped) {
        for (const l of leases) await handBack(l);
        return [];
      }
      return leases.map((l) => execute(byName.get(l.job) as Job, l));
    })();
    claiming.add(p);
    void p.finally(() => claiming.delete(p)).catch(() => {});
    return p.then((runs) => Promise.all(runs));
  };

  const poll = async () => {
    if (stopped) return;
    await claim(() => takeOverDue(db, [...byName.keys()], owner, now(), rt.leaseMs));
  };
  // One timer poll's query at a time: ticks while it is out (a busy database) ask for one more
  // poll, run when it returns with the clock as it is then. Without this, every tick queued a
  // query behind a busy database, and a fake clock stepped 6 h fired 720 at once; on PGlite's one
  // connection every other statement (an edge's status, a job's claim) waited behind all of them.
  let taking = false;
  let takeAgain = false;
  const pollTick = (): void => {
    if (stopped) return;
    if (taking) {
      takeAgain = true;
      return;
    }
    taking = true;
    takeAgain = false;
    void claim(() =>
      takeOverDue(db, [...byName.keys()], owner, now(), rt.leaseMs).finally(() => {
        taking = false;
        if (takeAgain) pollTick();
      }),
    ).catch((err) => options.logger.warn({ err }, 'job retry poll failed'));
  };
  const poller = clock.setInterval(pollTick, rt.pollMs);
  poller.unref();

  const handles = jobs.map((job) => {
    if (!isCronExpression(job.cron)) throw new Error(`job ${job.name}: bad cron ${job.cron}`);
    const log = options.logger.child({ job: job.name });
    return scheduler.schedule(job.cron, { name: job.name, timeZone: zone }, async (at) => {
      if (stopped) return;
      const slot = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
      try {
        await claim(async () => {
          const lease = await claimSlot(db, job.name, slot, owner, now(), rt.leaseMs);
          if (!lease) log.debug({ slot }, 'slot claimed by another instance');
          return lease ? [lease] : [];
        });
      } catch (err) {
        log.error({ err, slot, code: 'GL_INTERNAL' }, 'job slot not claimed');
      }
    });
  });

  const settle = () => Promise.all([...running.values()].map((r) => r.done)).then(() => {});
  const waitFor = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (!running.size) return resolve(true);
      const t = clock.setTimeout(() => resolve(false), ms);
      void settle().then(() => {
        clock.clearTimeout(t);
        resolve(true);
      });
    });

  return {
    jobs,
    owner,
    poll,
    idle: settle,
    stop: async () => {
      if (stopped) return settle();
      stopped = true;
      for (const h of handles) h.stop();
      clock.clearInterval(poller);
      if (claiming.size) await Promise.allSettled([...claiming]);
      if (await waitFor(rt.stopTimeoutMs)) return;
      options.logger.warn({ running: running.size }, 'jobs still running at stop: interrupting');
      for (const r of running.values()) r.abort.abort(new Error('central stopping'));
      if (await waitFor(rt.stopTimeoutMs)) return;
      // A run that ignores its signal: its lease is handed back anyway; whatever it still writes
      // is one idempotent transaction at a time (the next run completes it).
      for (const r of running.values())
        await failLease(db, r.lease, owner, now(), now(), { error: 'central stopped' }).catch(
          () => {},
        );
      options.logger.error({ running: running.size }, 'jobs ignored the stop; leases handed back');
    },
  };
}
