import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Database, openDatabase } from '@gridlink/central';
import {
  type CentralReady,
  type Child,
  type Exit,
  freshPostgres,
  provisionEdge,
  spawnCli,
} from '../soak/harness.js';

/**
 * The real gridlink-central process (its CLI, PostgreSQL storage, embedded broker on port 0),
 * as an attacker on the network meets it. Its JSON log goes to a file the suite reads; its
 * database is open to the suite at the same time (PostgreSQL allows that, PGlite does not).
 */
export interface CentralProcess {
  readonly ready: CentralReady;
  readonly pid: number;
  readonly database: Database;
  readonly logFile: string;
  /** Still running. */
  alive(): boolean;
  /** Resident set size in bytes (Linux /proc), or undefined where that cannot be read. */
  rssBytes(): Promise<number | undefined>;
  provisionEdge(edgeId: string): Promise<string>;
  /** SIGTERM and its exit: 0 is a clean stop. */
  stop(): Promise<Exit>;
  /** Counts of the log's lines by `code` (and by level for lines at error or above). */
  logCodes(): Promise<LogSummary>;
  /** Kills what is left and removes the temporary files and database. */
  cleanup(): Promise<void>;
}

export interface LogSummary {
  codes: Record<string, number>;
  /** Lines at level error (50) or fatal (60): code, message and error, the first 1,000. */
  errors: string[];
  errorCount: number;
}

export interface CentralProcessOptions {
  /** Extra central config (merged into a config file: the CLI has flags for ports only). */
  config?: Record<string, unknown>;
  logLevel?: string;
}

export async function startCentralProcess(o: CentralProcessOptions = {}): Promise<CentralProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-fuzz-central-'));
  const pgdb = await freshPostgres();
  const logFile = join(dir, 'central.log');
  const configFile = join(dir, 'central.json');
  await writeFile(configFile, JSON.stringify(o.config ?? {}));
  let child: Child<CentralReady> | undefined;
  let database: Database | undefined;
  const cleanup = async () => {
    await database?.close().catch(() => undefined);
    await child?.kill('SIGKILL');
    await pgdb.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    child = spawnCli<CentralReady>('central', [
      '--config',
      configFile,
      '--data-dir',
      join(dir, 'data'),
      '--database-url',
      pgdb.url,
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--log-level',
      o.logLevel ?? 'info',
      '--log-file',
      logFile,
    ]);
    const ready = await child.ready;
    database = await openDatabase({ kind: 'postgres', url: pgdb.url });
    const proc = child;
    const pid = proc.proc.pid as number;
    return {
      ready,
      pid,
      database,
      logFile,
      alive: () => proc.proc.exitCode === null && proc.proc.signalCode === null,
      async rssBytes() {
        try {
          const status = await readFile(`/proc/${pid}/status`, 'utf8');
          const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
          return kb === undefined ? undefined : Number(kb) * 1024;
        } catch {
          return undefined;
        }
      },
      provisionEdge: (edgeId) => provisionEdge(ready, edgeId),
      stop: () => proc.kill('SIGTERM'),
      logCodes: () => summarizeLog(logFile),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Reads a pino JSON log file line by line (it may be large) into counts by code. */
export async function summarizeLog(file: string): Promise<LogSummary> {
  const out: LogSummary = { codes: {}, errors: [], errorCount: 0 };
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    let entry: { code?: unknown; level?: unknown; msg?: unknown; err?: { message?: unknown } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof entry.code === 'string') out.codes[entry.code] = (out.codes[entry.code] ?? 0) + 1;
    if (typeof entry.level === 'number' && entry.level >= 50) {
      out.errorCount++;
      if (out.errors.length < 1000)
        out.errors.push(
          `${String(entry.code)}: ${String(entry.msg)} ${String(entry.err?.message ?? '')}`.trim(),
        );
    }
  }
  return out;
}
