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
  /** Batches stored in an earlier batch's transaction (gridlink_ingest_coalesced_batches_total). */
  coalesced: number;
  /** Batches that waited for their predecessor (gridlink_ingest_gap_waits_total, all results). */
  gapWaits: number;
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

/** Once a year (1 January, 00:00): never within a bench run, but a valid schedule. */
const RARE = '0 0 1 1 *';

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
      // No scheduled job inside a phase: the 5-minute rollup of the readings just stored, or the
      // minute's alarm sweep, would land on whichever central holds the slot, in some phases and
      // not others (seen: one central of two at 2.4× its peer's CPU). A job runs once per slot
      // across centrals (leases), whatever N is; the rollup has a bench of its own.
      jobs: {
        rollup: { cron: RARE },
        alarmSweep: { cron: RARE },
        billingClose: { cron: RARE },
        prune: { cron: RARE },
      },
      retention: { cron: RARE, partitions: { cron: RARE } },
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
  const out: CentralCounters = { readings: 0, batches: {}, coalesced: 0, gapWaits: 0 };
  for (const line of text.split('\n')) {
    const m =
      /^(gridlink_ingest_(?:readings|batches|coalesced_batches|gap_waits)_total)(?:\{([^}]*)\})? (\S+)$/.exec(
        line,
      );
    if (!m) continue;
    const value = Number(m[3]);
    if (m[1] === 'gridlink_ingest_readings_total') out.readings += value;
    else if (m[1] === 'gridlink_ingest_coalesced_batches_total') out.coalesced += value;
    else if (m[1] === 'gridlink_ingest_gap_waits_total') out.gapWaits += value;
    else {
      const outcome = /outcome="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? '';
      out.batches[outcome] = (out.batches[outcome] ?? 0) + value;
    }
  }
  return out;
}
