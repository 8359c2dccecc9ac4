import cron from 'node-cron';

/** The port jobs are scheduled through: node-cron in production, a manual one in tests. */
export interface Scheduler {
  schedule(
    expression: string,
    options: { name: string; timeZone: string },
    /** `at` is the scheduled instant (the same on every instance), not the wall clock. */
    task: (at: Date) => Promise<void>,
  ): { stop(): void };
}

export function isCronExpression(expression: string): boolean {
  return cron.validate(expression);
}

export const nodeCronScheduler: Scheduler = {
  schedule(expression, options, task) {
    const t = cron.schedule(expression, (ctx) => task(ctx.date), {
      name: options.name,
      timezone: options.timeZone,
      noOverlap: true,
    });
    return { stop: () => void t.stop() };
  },
};
