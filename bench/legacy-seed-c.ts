/**
 * Seed C's journey server (issue #18, docs/LEGACY-SEED-C.md): requests/s with 10,000 concurrent
 * connections, each a closed loop (send, wait for the answer line, send again), against a bare
 * newline-JSON echo server (parse the line, stamp status 200, stringify it back) measured in the
 * same run with the same load. Goal: >= 0.5x the echo.
 *
 * The request is NAVIGATION after one LOGIN per connection: the envelope, the user lookup and the
 * answer, no database. The server is a real central (PGlite) with legacy.seedC on; the load runs
 * in a child process (bench/lib/seed-c-load.ts) so each side holds 10,000 sockets under the
 * 20,000 open-file limit (`ulimit -n`; raise it for more connections).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CentralConfigInput, startCentral } from '@gridlink/central';
import { pino } from 'pino';
import type { BenchContext, Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';

const CONNECTIONS = Number(process.env.SEED_C_CONNECTIONS ?? 10_000);
const DURATION_MS = Number(process.env.SEED_C_DURATION_MS ?? 10_000);
const loadScript = fileURLToPath(new URL('./lib/seed-c-load.ts', import.meta.url));

const line = (type: string, data: unknown) =>
  `${JSON.stringify({ type, data, status: { code: 0, message: '' }, timestamp: new Date(0).toISOString() })}\n`;

/** Runs the load child against host:port; resolves with answers per second. */
function load(
  port: number,
  setup: string | null,
  request: string,
  log: (l: string) => void,
): Promise<{ perSecond: number; notOk: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(
      loadScript,
      [
        JSON.stringify({
          host: '127.0.0.1',
          port,
          connections: CONNECTIONS,
          setup,
          request,
          durationMs: DURATION_MS,
        }),
      ],
      { execArgv: ['--import', 'tsx'] },
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load child exited ${code}`));
    });
    child.on(
      'message',
      (m: { ready?: number; answered?: number; notOk?: number; seconds?: number }) => {
        if (m.ready !== undefined) {
          log(`${m.ready} connections open`);
          child.send({ go: true });
        } else if (m.answered !== undefined)
          resolve({ perSecond: m.answered / (m.seconds as number), notOk: m.notOk as number });
      },
    );
  });
}

function echoServer(): Promise<Server> {
  const server = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const env = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        env.status = { code: 200, message: 'OK' };
        env.timestamp = new Date().toISOString();
        s.write(`${JSON.stringify(env)}\n`);
        nl = buf.indexOf('\n');
      }
    });
  });
  return new Promise((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve(server)),
  );
}

/** Seed C requests/s against the echo, 10,000 connections each (exported for bench legacy). */
export async function benchSeedC(ctx: BenchContext): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-seed-c-'));
  const central = await startCentral(
    {
      dataDir: dir,
      http: { port: 0 },
      mqtt: { mode: 'embedded', port: 0 },
      legacy: {
        seedC: {
          enabled: true,
          port: 0,
          anonymous: { enabled: true },
          maxConnections: CONNECTIONS + 100,
        },
      },
    } as CentralConfigInput,
    { logger: pino({ level: 'silent' }) },
  );
  const echo = await echoServer();
  try {
    const nav = line('NAVIGATION', { user_id: '{user_id}', route_distance: 120 });
    const login = line('LOGIN', {
      user_name: 'bench',
      selected_car: 'Nissan Leaf',
      battery_car: 70,
    });
    ctx.log(`echo: ${CONNECTIONS} connections, ${DURATION_MS} ms`);
    const echoPort = (echo.address() as { port: number }).port;
    const base = await load(echoPort, null, nav.replace('"{user_id}"', '1'), ctx.log);
    ctx.log(`echo ${round(base.perSecond)} req/s`);
    ctx.log(`seed C: ${CONNECTIONS} connections, ${DURATION_MS} ms`);
    const seedC = await load(central.legacy.seedC?.port as number, login, nav, ctx.log);
    ctx.log(`seed C ${round(seedC.perSecond)} req/s, ${seedC.notOk} answers not 200`);
    if (seedC.notOk > 0) throw new Error(`${seedC.notOk} seed C answers were not 200`);
    return [
      {
        metric: `seed C NAVIGATION requests/s, ${CONNECTIONS} connections`,
        value: round(seedC.perSecond),
        unit: 'req/s',
        baseline: round(base.perSecond),
      },
    ];
  } finally {
    await new Promise((r) => echo.close(() => r(undefined)));
    await central.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = benchSeedC;
export default bench;
