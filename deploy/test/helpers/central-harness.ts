import { type Central, mintToken, startCentral } from '@gridlink/central';
import type { Logger } from 'pino';
import { expect } from 'vitest';

/** A cron job's task, as the central's scheduler receives it. */
export type JobTask = (at: Date) => Promise<void>;

/**
 * A central on ports 0 (embedded broker, PGlite in `dataDir`) whose cron jobs are captured
 * instead of scheduled: a test fires `jobs.get(name)` at the instant cron would. Also mints an
 * admin token.
 */
export async function startCentralWithManualJobs(
  dataDir: string,
  logger: Logger,
): Promise<{ central: Central; jobs: Map<string, JobTask>; admin: string }> {
  const jobs = new Map<string, JobTask>();
  const central = await startCentral(
    { dataDir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
    {
      logger,
      scheduler: {
        schedule(_expression, options, task) {
          jobs.set(options.name, task);
          return { stop: () => jobs.delete(options.name) };
        },
      },
    },
  );
  const admin = await mintToken(central.database.db, { role: 'admin' });
  return { central, jobs, admin };
}

/** JSON request to `base` + `path`, with a bearer token when one is given. */
export async function requestJson(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of several shapes
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A simulator control API call that must answer 200. */
export async function controlJson<T>(base: string, method: string, path: string, body?: unknown) {
  const res = await requestJson(base, method, path, undefined, body);
  expect(res.status, path).toBe(200);
  return res.body as T;
}
