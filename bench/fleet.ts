/**
 * The firmware simulator at fleet scale (issue 5): 5,000 Modbus TCP meters (SDM630, 247 unit ids
 * per port, 21 ports) plus 1,000 UDP meters sending every second, started with startFleet from a
 * scenario in a child process (bench/lib/fleet-child.ts) so its CPU and RSS are its own.
 *  - idle: the UDP meters send, nobody polls: the simulator's CPU share and RSS, and the datagram
 *    rate a receiver here gets (it answers `200`, as the edge does) against the rate sent;
 *  - polled: a bare Modbus TCP load (raw sockets, hand-framed MBAP, 8 requests pipelined per
 *    connection, every unit id of every port in turn, the SDM630's two input-register blocks):
 *    the request rate the fleet sustains, its CPU per request and RSS.
 * Baseline: the same load against bare Modbus TCP servers (startModbusTcpServer, one
 * MemoryRegisterBank behind every unit id, the same 21 ports and unit counts), in the same kind of
 * child process, in the same run.
 */
import { createSocket } from 'node:dgram';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { coreShare, mib, type SimHost, sleep, spawnSimulator } from './lib/fleet-host.js';
import { type LoadTarget, startLoad } from './lib/fleet-load.js';

const MODBUS_METERS = 5000;
const PER_PORT = 247;
const UDP_METERS = 1000;
const DEPTH = Number(process.env.GL_BENCH_DEPTH ?? 8);
const BLOCKS = [
  { start: 0, count: 18 },
  { start: 52, count: 24 },
];

interface Polled {
  rate: number;
  cpuUsPerRequest: number;
  coreShare: number;
  rssMiB: number;
  bad: number;
  /** The load generator's own CPU share (this process). */
  loadShare: number;
}

/** Polls `targets` for `warmupMs` + `windowMs`; rate and the simulator's CPU over the window. */
async function poll(
  sim: SimHost,
  targets: LoadTarget[],
  warmupMs: number,
  windowMs: number,
  received: () => number = () => 0,
) {
  const load = await startLoad(targets, { depth: DEPTH, blocks: BLOCKS });
  await sleep(warmupMs);
  const c0 = process.cpuUsage();
  const r0 = load.replies;
  const g0 = received();
  const u0 = await sim.usage();
  const t0 = performance.now();
  await sleep(windowMs);
  const replies = load.replies - r0;
  const got = received() - g0;
  const u1 = await sim.usage();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await load.stop();
  const out: Polled = {
    rate: replies / (ms / 1000),
    cpuUsPerRequest: (u1.cpuUs - u0.cpuUs) / replies,
    coreShare: coreShare(u1.cpuUs - u0.cpuUs, ms),
    rssMiB: mib(u1.rssBytes),
    bad: load.bad,
    loadShare: coreShare(c.user + c.system, ms),
  };
  const udp = { got: got / (ms / 1000), sent: (u1.udpSent - u0.udpSent) / (ms / 1000) };
  return { out, udp };
}

const bench: Benchmark = async ({ log }) => {
  const ports = Math.ceil(MODBUS_METERS / PER_PORT);
  const unitsOf = (i: number) => Math.min(PER_PORT, MODBUS_METERS - i * PER_PORT);

  // Baseline: bare servers, the same ports and unit ids, the same load.
  const bare = await spawnSimulator({ kind: 'bare', ports, units: PER_PORT });
  let base: Polled;
  try {
    const targets = (bare.fleets[0]?.modbusTcp ?? []).map((e, i) => ({ ...e, units: unitsOf(i) }));
    base = (await poll(bare, targets, 2000, 8000)).out;
  } finally {
    await bare.stop();
  }
  log(
    `bare Modbus TCP servers (${ports} ports): ${round(base.rate)} requests/s, ` +
      `${round(base.cpuUsPerRequest, 2)} µs CPU/request (${round(base.coreShare * 100)} % of a core), ` +
      `RSS ${round(base.rssMiB)} MiB, ${base.bad} bad replies; load generator ${round(base.loadShare * 100)} % of a core`,
  );

  // The receiver of the UDP meters: counts datagrams and answers 200 like the edge.
  const udp = createSocket({ type: 'udp4', recvBufferSize: 4 * 2 ** 20 });
  let datagrams = 0;
  udp.on('message', (_msg, from) => {
    datagrams++;
    udp.send('200', from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const udpPort = udp.address().port;

  const figures: Figure[] = [];
  const fleet = await spawnSimulator({
    kind: 'fleets',
    scenarios: [
      {
        seed: 1,
        modbusTcp: { port: 0, meters: MODBUS_METERS, metersPerPort: PER_PORT },
        udpMeters: {
          count: UDP_METERS,
          target: { host: '127.0.0.1', port: udpPort },
          intervalMs: 1000,
        },
      },
    ],
  });
  try {
    const ends = fleet.fleets[0]?.modbusTcp ?? [];
    log(`fleet up in ${round(fleet.startMs)} ms: ${ends.length} Modbus TCP ports`);

    // Idle: UDP meters only.
    await sleep(3000);
    const i0 = await fleet.usage();
    const d0 = datagrams;
    const t0 = performance.now();
    await sleep(10_000);
    const i1 = await fleet.usage();
    const idleMs = performance.now() - t0;
    const idleShare = coreShare(i1.cpuUs - i0.cpuUs, idleMs);
    const idleGot = (datagrams - d0) / (idleMs / 1000);
    const idleSent = (i1.udpSent - i0.udpSent) / (idleMs / 1000);
    log(
      `idle (UDP meters only): ${round(idleShare * 100)} % of a core, RSS ${round(mib(i1.rssBytes))} MiB; ` +
        `UDP ${round(idleGot)} datagrams/s received of ${round(idleSent)} sent`,
    );

    // Polled by the bare load.
    const targets = ends.map((e) => ({ ...e, units: e.meters }));
    const p = await poll(fleet, targets, 2000, 8000, () => datagrams);
    log(
      `polled: ${round(p.out.rate)} requests/s, ${round(p.out.cpuUsPerRequest, 2)} µs CPU/request ` +
        `(${round(p.out.coreShare * 100)} % of a core), RSS ${round(p.out.rssMiB)} MiB, ` +
        `${p.out.bad} bad replies, load generator ${round(p.out.loadShare * 100)} % of a core; UDP meanwhile ${round(p.udp.got)} datagrams/s received of ${round(p.udp.sent)} sent`,
    );

    figures.push(
      {
        metric: 'fleet_modbus_requests_per_s',
        value: round(p.out.rate),
        unit: 'requests/s',
        baseline: round(base.rate),
      },
      {
        metric: 'fleet_cpu_us_per_request',
        value: round(p.out.cpuUsPerRequest, 2),
        unit: 'µs CPU/request',
        baseline: round(base.cpuUsPerRequest, 2),
      },
      {
        metric: 'fleet_rss_polled_mib',
        value: round(p.out.rssMiB),
        unit: 'MiB',
        baseline: round(base.rssMiB),
      },
      {
        metric: 'fleet_idle_cpu_percent_of_core',
        value: round(idleShare * 100),
        unit: '% of one core',
      },
      { metric: 'fleet_idle_rss_mib', value: round(mib(i1.rssBytes)), unit: 'MiB' },
      {
        metric: 'fleet_udp_datagrams_per_s_idle',
        value: round(idleGot),
        unit: 'datagrams/s',
        baseline: round(idleSent),
      },
      {
        metric: 'fleet_udp_datagrams_per_s_polled',
        value: round(p.udp.got),
        unit: 'datagrams/s',
        baseline: round(p.udp.sent),
      },
      { metric: 'fleet_start_ms', value: round(fleet.startMs), unit: 'ms' },
    );
  } finally {
    await fleet.stop();
    udp.close();
  }
  return figures;
};

export default bench;
