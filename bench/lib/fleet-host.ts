/**
 * Parent side of the simulator child process (bench/lib/fleet-child.ts) used by the edge-poll
 * and fleet benchmarks: the simulator runs alone in its own Node process, so its CPU and RSS are
 * measured apart from the load, and the load gets its own core.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** What the child starts: scenarios for `startFleet`, or bare Modbus TCP servers. */
export type SimJob =
  | { kind: 'fleets'; scenarios: unknown[] }
  /** `ports` startModbusTcpServer instances on one MemoryRegisterBank, unit ids 1..units. */
  | { kind: 'bare'; ports: number; units: number };

export interface SimEndpoints {
  modbusTcp: Array<{ host: string; port: number; meters: number }>;
  modbusRtu: Array<{ path: string; clientPath?: string; baudRate: number }>;
}

export interface SimUsage {
  /** process.cpuUsage() of the child, µs. */
  cpuUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Datagrams the UDP meters sent so far (ground truth). */
  udpSent: number;
  /** Per simulated RS-485 line: requests, replies, busy time, utilization. */
  rtu: Array<{ requests: number; replies: number; busyMs: number; utilization: number }>;
}

export type SimMessage =
  | { type: 'ready'; fleets: SimEndpoints[]; startMs: number }
  | { type: 'usage'; usage: SimUsage }
  | { type: 'error'; message: string };

export interface SimHost {
  readonly fleets: SimEndpoints[];
  /** Start-up time of the fleets inside the child, ms. */
  readonly startMs: number;
  usage(): Promise<SimUsage>;
  stop(): Promise<void>;
}

const childScript = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));

/** Forks the simulator child, waits until it serves, and returns a handle to sample and stop it. */
export async function spawnSimulator(job: SimJob): Promise<SimHost> {
  const child: ChildProcess = fork(childScript, [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  const next = () =>
    Promise.race([
      once(child, 'message').then(([m]) => m as SimMessage),
      exited.then(([code]) => ({ type: 'error', message: `exited ${code}` }) as SimMessage),
    ]);
  const first = await next();
  if (first.type !== 'ready') {
    child.kill();
    throw new Error(`simulator child: ${first.type === 'error' ? first.message : first.type}`);
  }
  return {
    fleets: first.fleets,
    startMs: first.startMs,
    async usage() {
      child.send({ type: 'usage' });
      const m = await next();
      if (m.type !== 'usage') throw new Error(`simulator child: ${JSON.stringify(m)}`);
      return m.usage;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU share of one core between two samples: µs of CPU over µs of wall time. */
export const coreShare = (cpuUs: number, wallMs: number) => cpuUs / (wallMs * 1000);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const mib = (bytes: number) => bytes / 2 ** 20;
