/**
 * What the history and invoicing benchmarks share: a central started on a given store with a
 * manual scheduler (jobs fired by the benchmark, never by node-cron), a fresh PostgreSQL database
 * per run, an admin token, percentiles, and a valid-CPF generator for fast customer rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, type StartOptions, startCentral } from '@gridlink/central';
import { postgresReachable, scratchPostgres } from '@gridlink/central/testing';
import { pino } from 'pino';

export const ADMIN_PG_URL =
  process.env.GRIDLINK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A central whose cron jobs are fired by hand: `fire('metering.rollup', at)`. */
export interface BenchCentral {
  central: Central;
  adminToken: string;
  fire(job: string, at: Date): Promise<void>;
  close(): Promise<void>;
}

type Task = (at: Date) => Promise<void>;

/**
 * Starts a central on PGlite (in a temporary data directory) or on a fresh PostgreSQL database,
 * HTTP and MQTT on 127.0.0.1 port 0. Returns undefined when PostgreSQL is not reachable.
 */
export async function startBenchCentral(
  store: 'pglite' | 'postgres',
  log: (line: string) => void,
  billing?: StartOptions['billing'],
): Promise<BenchCentral | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-'));
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (store === 'postgres') {
    if (!(await postgresReachable(ADMIN_PG_URL))) {
      log(`PostgreSQL not reachable at ${ADMIN_PG_URL}: PostgreSQL figures skipped`);
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const scratch = await scratchPostgres('gl_bench', ADMIN_PG_URL);
    databaseUrl = scratch.url;
    dropDatabase = scratch.drop;
  }
  const tasks = new Map<string, Task>();
  const central = await startCentral(
    {
      dataDir: dir,
      ...(databaseUrl ? { databaseUrl } : {}),
      http: { port: 0, host: '127.0.0.1' },
      mqtt: { mode: 'embedded', port: 0, host: '127.0.0.1' },
      log: { level: 'silent' },
    },
    {
      logger: pino({ level: 'silent' }),
      ...(billing ? { billing } : {}),
      scheduler: {
        schedule(_expression, options, task) {
          tasks.set(options.name, task);
          return { stop: () => tasks.delete(options.name) };
        },
      },
    },
  );
  const adminToken = await mintToken(central.database.db, { role: 'admin' });
  return {
    central,
    adminToken,
    async fire(job, at) {
      const task = tasks.get(job);
      if (!task) throw new Error(`no scheduled job ${job}`);
      await task(at);
    },
    async close() {
      await central.close();
      await dropDatabase();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile (nearest rank) of samples in ms. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The n-th valid CPF of a sequence: 9 digits from n, then the two modulo-11 check digits. */
export function nthCpf(n: number): string {
  const d = String(100_000_000 + n)
    .slice(-9)
    .split('')
    .map(Number);
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += (d[i] as number) * (len + 1 - i);
    const r = (sum * 10) % 11;
    d.push(r === 10 ? 0 : r);
  }
  return d.join('');
}
