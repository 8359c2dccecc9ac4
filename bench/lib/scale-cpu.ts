/**
 * CPU time of other processes, read from /proc (bench/scale.ts): a central, Mosquitto and the
 * PostgreSQL backends serving one database. utime + stime of /proc/<pid>/stat covers every thread
 * of the process (the central's decode worker and PGlite thread included), which
 * process.cpuUsage() inside the bench could not see.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';

/** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless the kernel says otherwise). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) of a live process; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime, stime: fields 14 and 15
}

/**
 * The CPU seconds of the PostgreSQL backends connected to `database`, by pid. The server runs on
 * this machine (127.0.0.1); another database's backends and the shared WAL writer and
 * checkpointer are not counted.
 */
export async function backendCpu<DB>(
  db: Kysely<DB>,
  database: string,
): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE datname = ${database} AND pid <> pg_backend_pid()
  `.execute(db);
  const out = new Map<number, number>();
  for (const { pid } of rows.rows) {
    const s = cpuSeconds(pid);
    if (s !== undefined) out.set(pid, s);
  }
  return out;
}

/**
 * CPU the backends spent between two snapshots: a backend present only at the end counts whole
 * (it connected during the phase); one that left during the phase is missed (pools keep theirs
 * open for the few seconds a phase lasts).
 */
export function backendDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
  return sum;
}

/** The cumulative WAL position of the server, in bytes (cluster-wide: other databases count). */
export async function walBytes<DB>(db: Kysely<DB>): Promise<number> {
  const r = await sql<{ b: string }>`
    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b
  `.execute(db);
  return Number(r.rows[0]?.b);
}
