/**
 * One `gridlink-central` process for bench/scale.ts, from the compiled build (what the systemd
 * unit runs: `node --conditions=gridlink-build central/build/cli/gridlink-central.js`), in
 * external-broker mode with the shared subscription, on a given PostgreSQL database. Its
 * counters are read from its own /metrics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(root, 'central/build/cli/gridlink-central.js');

export interface ScaleCentral {
  readonly name: string;
  readonly pid: number;
  readonly httpUrl: string;
  /** The counters of its /metrics this bench reads (summed over labels, except batches by outcome). */
  metrics(): Promise<CentralCounters>;
  stop(): Promise<void>;
}

export interface CentralCounters {
  readings: number;
  /** gridlink_ingest_batches_total by outcome (stored, duplicate, gap, error). */
  batches: Record<string, number>;
}

export interface ScaleCentralOptions {
  name: string;
  dir: string;
  databaseUrl: string;
  brokerUrl: string;
  username: string;
  password: string;
  /** An admin token of the database, for /metrics. */
  token: string;
}

/** Starts the process; resolves on its ready line (rejects with its stderr if it exits first). */
export async function startScaleCentral(o: ScaleCentralOptions): Promise<ScaleCentral> {
  const configFile = join(o.dir, `${o.name}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir: join(o.dir, o.name),
      databaseUrl: o.databaseUrl,
      http: { port: 0, host: '127.0.0.1' },
      mqtt: {
        mode: 'external',
        url: o.brokerUrl,
        username: o.username,
        password: o.password,
        shareGroup: 'gridlink',
      },
      // A gap (a batch of one edge reaching another central first) is a warning per batch.
      log: { level: 'error' },
    }),
  );
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--conditions=gridlink-build', BIN, '--config', configFile],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: root },
  );
  let stderr = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const httpUrl = await new Promise<string>((resolveReady, reject) => {
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
      const m = /gridlink-central ready: HTTP (\S+)/.exec(stderr);
      if (m) resolveReady(m[1] as string);
    });
    void exited.then(() => reject(new Error(`${o.name} exited before it was ready:\n${stderr}`)));
  });
  return {
    name: o.name,
    pid: proc.pid as number,
    httpUrl,
    async metrics() {
      const r = await fetch(`${httpUrl}/metrics`, {
        headers: { authorization: `Bearer ${o.token}` },
      });
      if (!r.ok) throw new Error(`${o.name} /metrics: ${r.status} ${await r.text()}`);
      return parseCounters(await r.text());
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The two ingest counters from a Prometheus text exposition. */
export function parseCounters(text: string): CentralCounters {
  const out: CentralCounters = { readings: 0, batches: {} };
  for (const line of text.split('\n')) {
    const m =
      /^(gridlink_ingest_readings_total|gridlink_ingest_batches_total)(?:\{([^}]*)\})? (\S+)$/.exec(
        line,
      );
    if (!m) continue;
    const value = Number(m[3]);
    if (m[1] === 'gridlink_ingest_readings_total') out.readings += value;
    else {
      const outcome = /outcome="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? '';
      out.batches[outcome] = (out.batches[outcome] ?? 0) + value;
    }
  }
  return out;
}
