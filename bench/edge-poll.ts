/**
 * The edge's device side (issue 3), against the firmware simulator running alone in a child
 * process (bench/lib/fleet-child.ts, one per part), over 127.0.0.1 and a socat pty:
 *  a. Modbus TCP, 1 and 50 native devices (one simulator port each, unit id 1): DevicePoller +
 *     ModbusTcpLink polling the SDM630 profile (two input-register blocks, 18 + 24 registers,
 *     decoded into 14 values), each device's pollOnce() called back to back — one transaction in
 *     flight per device, as the engine runs a device; against a bare modbus-serial client per
 *     device reading the same two blocks in a loop (one in flight, no decoding). Transactions/s
 *     and this process's CPU (process.cpuUsage, user + system) per transaction; 6 alternating
 *     rounds of 2.5 s each (the ratio moved by ±0.07 between runs with 3).
 *  b. 1,000 SDM630 meters, 200 unit ids on each of 5 simulator ports (gateways: one connection,
 *     one transaction at a time each): the engine saturated (one link per port, 1,000 pollers,
 *     pollOnce() back to back) against 5 bare clients cycling the same units and blocks; and the
 *     real driver layer (createModbusDriver) with its own timers at the 100 ms minimum interval.
 *  c. RS-485 at 19200 baud over the simulator's pty line (wire time, t3.5 gaps, 10 ms reply
 *     delay): 4 meters at 100 ms (saturating the bus), one 40-register read per poll, through the
 *     driver layer (ModbusRtuLink, the bus arbiter); transactions/s against the limit the frame
 *     sizes allow, with a bare modbus-serial loop on the same line alternating with it.
 *  d. RSS of the whole edge agent as installed: the compiled CLI in a child process with the
 *     systemd unit's script and environment (deploy/systemd/gridlink-edge.service), 1,000 devices
 *     at 1 s intervals, central unreachable, peak of 4 s of /proc VmRSS samples after 10 s of
 *     warm-up; baseline: the same with 1 device; and for comparison the same bundle with V8's
 *     and glibc's defaults, the compiled modules unbundled under the unit's settings, and the
 *     development bin (tsx).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createModbusDriver,
  DevicePoller,
  type EdgeConfigInput,
  type ModbusDeviceConfig,
  type ModbusTcpDeviceConfig,
  ModbusTcpLink,
  parseEdgeConfig,
} from '@gridlink/edge';
import { getProfile, type Profile, planBlocks } from '@gridlink/shared';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import { pino } from 'pino';
import { type EdgeAgentReport, runEdgeAgent } from './lib/edge-poll-agent.js';
import { rtuLimit, sdm630First40 } from './lib/edge-poll-profile.js';
import type { Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { type SimEndpoints, sleep, spawnSimulator } from './lib/fleet-host.js';

/** modbus-serial is CommonJS with `export default` typings; NodeNext sees a namespace. */
const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;

const silent = pino({ level: 'silent' });
const RTU_BAUD = 19_200;
const RTU_REGISTERS = 40;
const RTU_REPLY_DELAY_MS = 10;
const FLEET_PER_PORT = 200;
const FLEET_METERS = 1000;
const TCP_ROUNDS = 6;

type Endpoint = SimEndpoints['modbusTcp'][number];

interface Window {
  ms: number;
  cpuUs: number;
  count: number;
}

/** After `warmupMs`, counts what `count()` adds and this process's CPU over `windowMs`. */
async function measure(count: () => number, warmupMs: number, windowMs: number): Promise<Window> {
  await sleep(warmupMs);
  const c0 = count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowMs);
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuUs: cpu.user + cpu.system, count: count() - c0 };
}

/** Runs `a` and `b` alternately `rounds` times and sums each one's windows (drift hits both). */
async function alternate(
  rounds: number,
  a: () => Promise<Window>,
  b: () => Promise<Window>,
): Promise<[Window, Window]> {
  const sum = (x: Window, y: Window) => ({
    ms: x.ms + y.ms,
    cpuUs: x.cpuUs + y.cpuUs,
    count: x.count + y.count,
  });
  let wa: Window = { ms: 0, cpuUs: 0, count: 0 };
  let wb: Window = { ms: 0, cpuUs: 0, count: 0 };
  for (let r = 0; r < rounds; r++) {
    wa = sum(wa, await a());
    wb = sum(wb, await b());
  }
  return [wa, wb];
}

const perS = (w: Window) => w.count / (w.ms / 1000);
const cpuPer = (w: Window) => w.cpuUs / w.count;

/** An edge config through the edge's own schema, so every default is the shipped one. */
const edgeConfig = (input: Partial<EdgeConfigInput>) =>
  parseEdgeConfig({
    edgeId: 'bench',
    mqtt: { url: 'mqtt://127.0.0.1:1', password: 'unused' },
    ...input,
  });

const modbusDevices = (input: Partial<EdgeConfigInput>): ModbusDeviceConfig[] =>
  edgeConfig(input).devices.filter(
    (d): d is ModbusDeviceConfig => d.driver === 'modbus-tcp' || d.driver === 'modbus-rtu',
  );

function blocksOf(profile: Profile, d: ModbusDeviceConfig) {
  return planBlocks(
    profile.fields.filter((f) => f.type !== 'string'),
    { maxGap: d.maxGap, maxRegisters: d.maxRegisters },
  );
}

async function openClient(e: Endpoint): Promise<ModbusClient> {
  const c = new ModbusRTU();
  await c.connectTCP(e.host, { port: e.port });
  c.setTimeout(1000);
  return c;
}

const closeClient = (c: ModbusClient) => new Promise<void>((r) => c.close(() => r()));

/** The engine: one DevicePoller + ModbusTcpLink per native device, pollOnce() back to back. */
async function engineTcp(ends: Endpoint[], warmupMs: number, windowMs: number) {
  const profile = getProfile('eastron-sdm630');
  const devices = modbusDevices({
    devices: ends.map((e, i) => ({
      id: `d${i}`,
      driver: 'modbus-tcp' as const,
      host: e.host,
      port: e.port,
      unitId: 1,
      profile: profile.id,
    })),
  });
  const links = ends.map((e) => new ModbusTcpLink(e.host, e.port));
  const pollers = devices.map(
    (device, i) =>
      new DevicePoller({
        device,
        profile,
        link: links[i] as ModbusTcpLink,
        onReading: () => undefined,
        logger: silent,
      }),
  );
  let running = true;
  const loops = pollers.map(async (p) => {
    while (running) await p.pollOnce();
  });
  const ok = () => links.reduce((a, l) => a + l.stats().ok, 0);
  const w = await measure(ok, warmupMs, windowMs);
  running = false;
  await Promise.all(loops);
  const failed = links.reduce((a, l) => a + l.stats().transactions - l.stats().ok, 0);
  await Promise.all(links.map((l) => l.close()));
  if (failed > 0) throw new Error(`${failed} engine transactions failed`);
  return w;
}

/** The bare loop: one modbus-serial client per device, the same two reads, no decoding. */
async function bareTcp(ends: Endpoint[], warmupMs: number, windowMs: number) {
  const profile = getProfile('eastron-sdm630');
  const [device] = modbusDevices({
    devices: [{ id: 'x', driver: 'modbus-tcp', host: 'h', profile: profile.id }],
  });
  const blocks = blocksOf(profile, device as ModbusDeviceConfig);
  const clients = await Promise.all(ends.map(openClient));
  let tx = 0;
  let running = true;
  const loops = clients.map(async (c) => {
    c.setID(1);
    while (running)
      for (const b of blocks) {
        await c.readInputRegisters(b.start, b.count);
        tx++;
      }
  });
  const w = await measure(() => tx, warmupMs, windowMs);
  running = false;
  await Promise.all(loops);
  await Promise.all(clients.map(closeClient));
  return w;
}

/** The edge configs of every meter behind the simulator's gateway ports. */
function fleetDevices(ends: Endpoint[], intervalMs: number): ModbusTcpDeviceConfig[] {
  return modbusDevices({
    devices: ends.flatMap((e) =>
      Array.from({ length: e.meters }, (_, u) => ({
        id: `m${e.port}-${u + 1}`,
        driver: 'modbus-tcp' as const,
        host: e.host,
        port: e.port,
        unitId: u + 1,
        profile: 'eastron-sdm630',
        intervalMs,
      })),
    ),
  }).filter((d): d is ModbusTcpDeviceConfig => d.driver === 'modbus-tcp');
}

/**
 * 1,000 meters behind gateways, saturated: one ModbusTcpLink per gateway port (as the driver
 * builds them), one DevicePoller per meter, every poller's pollOnce() back to back, so each
 * link's queue always holds the other meters' reads.
 */
async function engineFleetSaturated(ends: Endpoint[], warmupMs: number, windowMs: number) {
  const profile = getProfile('eastron-sdm630');
  const links = new Map(ends.map((e) => [e.port, new ModbusTcpLink(e.host, e.port)]));
  let readings = 0;
  const pollers = fleetDevices(ends, 1000).map(
    (device) =>
      new DevicePoller({
        device,
        profile,
        link: links.get(device.port) as ModbusTcpLink,
        onReading: () => readings++,
        logger: silent,
      }),
  );
  let running = true;
  const loops = pollers.map(async (p) => {
    while (running) await p.pollOnce();
  });
  const w = await measure(() => readings, warmupMs, windowMs);
  running = false;
  await Promise.all(loops);
  await Promise.all([...links.values()].map((l) => l.close()));
  return w;
}

/** 1,000 meters through createModbusDriver, scheduled by their own timers at `intervalMs`. */
async function engineFleetScheduled(
  ends: Endpoint[],
  intervalMs: number,
  warmupMs: number,
  windowMs: number,
) {
  let readings = 0;
  const driver = createModbusDriver({
    devices: fleetDevices(ends, intervalMs),
    buses: [],
    onReading: () => {
      readings++;
      return { ok: true };
    },
    logger: silent,
  });
  await driver.start();
  const overruns = () => driver.devices().reduce((a, d) => a + d.health.overruns, 0);
  const o0 = overruns();
  const w = await measure(() => readings, warmupMs, windowMs);
  const overrunsInRun = overruns() - o0;
  const failures = driver.devices().reduce((a, d) => a + d.health.failures, 0);
  await driver.close();
  return { w, overruns: overrunsInRun, failures };
}

/** 5 bare clients, each cycling its gateway's unit ids, both blocks per unit: readings/s. */
async function bareFleet(ends: Endpoint[], warmupMs: number, windowMs: number) {
  const profile = getProfile('eastron-sdm630');
  const [device] = modbusDevices({
    devices: [{ id: 'x', driver: 'modbus-tcp', host: 'h', profile: profile.id }],
  });
  const blocks = blocksOf(profile, device as ModbusDeviceConfig);
  const clients = await Promise.all(ends.map(openClient));
  let readings = 0;
  let running = true;
  const loops = clients.map(async (c, i) => {
    const units = (ends[i] as Endpoint).meters;
    for (let n = 0; running; n++) {
      c.setID((n % units) + 1);
      for (const b of blocks) await c.readInputRegisters(b.start, b.count);
      readings++;
    }
  });
  const w = await measure(() => readings, warmupMs, windowMs);
  running = false;
  await Promise.all(loops);
  await Promise.all(clients.map(closeClient));
  return w;
}

/** RS-485 at 19200 baud through the RTU link, 4 meters saturating the bus. */
async function engineRtu(clientPath: string, warmupMs: number, windowMs: number) {
  const profile = sdm630First40();
  const config = edgeConfig({
    buses: [{ id: 'rs485', path: clientPath, baudRate: RTU_BAUD }],
    devices: [1, 2, 3, 4].map((unitId) => ({
      id: `r${unitId}`,
      driver: 'modbus-rtu' as const,
      bus: 'rs485',
      unitId,
      profile: profile.id,
      intervalMs: 100,
    })),
  });
  const driver = createModbusDriver({
    devices: config.devices.filter((d): d is ModbusDeviceConfig => d.driver === 'modbus-rtu'),
    buses: config.buses,
    profile: () => profile,
    onReading: () => ({ ok: true }),
    logger: silent,
  });
  await driver.start();
  const ok = () => driver.channels().reduce((a, c) => a + (c.counters.ok ?? 0), 0);
  const w = await measure(ok, warmupMs, windowMs);
  const channels = driver.channels();
  await driver.close();
  return { w, channels };
}

/**
 * The bare RTU loop on the same line: one modbus-serial client, the 4 units in turn, the same
 * 40-register read, and the same silence the link keeps after each transaction.
 */
async function bareRtu(clientPath: string, warmupMs: number, windowMs: number) {
  const c = new ModbusRTU();
  await c.connectRTUBuffered(clientPath, { baudRate: RTU_BAUD });
  c.setTimeout(1000);
  // What ModbusRtuLink keeps: t3.5 rounded up to whole ms (3 ms at 19200 baud).
  const gapMs = Math.ceil(rtuLimit(RTU_BAUD, RTU_REGISTERS, 0).gapMs / 2);
  let tx = 0;
  let failed = 0;
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      c.setID((n % 4) + 1);
      try {
        await c.readInputRegisters(0, RTU_REGISTERS);
        tx++;
      } catch {
        failed++;
      }
      await sleep(gapMs);
    }
  })();
  const w = await measure(() => tx, warmupMs, windowMs);
  running = false;
  await loop;
  await closeClient(c);
  if (failed > 0) bareRtuFailures += failed;
  return w;
}

/** Failed bare RTU transactions (timeouts), reported with the figures. */
let bareRtuFailures = 0;

/** a. Native Modbus TCP devices, one transaction in flight each: engine vs bare loop. */
async function nativeTcp(log: (l: string) => void): Promise<Figure[]> {
  const sim = await spawnSimulator({
    kind: 'fleets',
    scenarios: [{ modbusTcp: { port: 0, meters: 50, metersPerPort: 1 } }],
  });
  const figures: Figure[] = [];
  try {
    const ends = (sim.fleets[0] as SimEndpoints).modbusTcp;
    for (const n of [1, 50]) {
      const some = ends.slice(0, n);
      const [bare, engine] = await alternate(
        TCP_ROUNDS,
        () => bareTcp(some, 500, 2500),
        () => engineTcp(some, 500, 2500),
      );
      log(
        `TCP ${n} native device(s), 1 in flight each: engine ${round(perS(engine))} tx/s, ` +
          `${round(cpuPer(engine), 2)} µs CPU/tx; bare modbus-serial ${round(perS(bare))} tx/s, ` +
          `${round(cpuPer(bare), 2)} µs CPU/tx (${TCP_ROUNDS} alternating rounds of 2.5 s each)`,
      );
      figures.push(
        {
          metric: `tcp_${n}dev_transactions_per_s`,
          value: round(perS(engine)),
          unit: 'transactions/s',
          baseline: round(perS(bare)),
        },
        {
          metric: `tcp_${n}dev_cpu_us_per_transaction`,
          value: round(cpuPer(engine), 2),
          unit: 'µs CPU/transaction',
          baseline: round(cpuPer(bare), 2),
        },
      );
    }
  } finally {
    await sim.stop();
  }
  return figures;
}

/** b and d. 1,000 meters behind 5 gateway ports: readings/s, then the agent's RSS. */
async function fleetOf1000(log: (l: string) => void): Promise<Figure[]> {
  const sim = await spawnSimulator({
    kind: 'fleets',
    scenarios: [{ modbusTcp: { port: 0, meters: FLEET_METERS, metersPerPort: FLEET_PER_PORT } }],
  });
  const figures: Figure[] = [];
  try {
    const ends = (sim.fleets[0] as SimEndpoints).modbusTcp;
    const bare = await bareFleet(ends, 1000, 5000);
    const saturated = await engineFleetSaturated(ends, 1000, 5000);
    const scheduled = await engineFleetScheduled(ends, 100, 2000, 5000);
    log(
      `TCP ${FLEET_METERS} meters, ${FLEET_PER_PORT} per gateway port (${ends.length} links, 1 in flight each): ` +
        `engine saturated ${round(perS(saturated))} readings/s (${round(cpuPer(saturated), 1)} µs CPU/reading); ` +
        `bare ${round(perS(bare))} readings/s (${round(cpuPer(bare), 1)} µs CPU/reading); ` +
        `driver at the 100 ms minimum interval ${round(perS(scheduled.w))} readings/s, ` +
        `${scheduled.overruns} overruns counted in the window, ${scheduled.failures} failed polls`,
    );
    figures.push(
      {
        metric: `tcp_${FLEET_METERS}dev_readings_per_s`,
        value: round(perS(saturated)),
        unit: 'readings/s',
        baseline: round(perS(bare)),
      },
      {
        metric: `tcp_${FLEET_METERS}dev_cpu_us_per_reading`,
        value: round(cpuPer(saturated), 1),
        unit: 'µs CPU/reading',
        baseline: round(cpuPer(bare), 1),
      },
      {
        metric: `tcp_${FLEET_METERS}dev_scheduled_100ms_readings_per_s`,
        value: round(perS(scheduled.w)),
        unit: 'readings/s',
        baseline: round(perS(saturated)),
      },
    );

    const job = { endpoints: ends, intervalMs: 1000, warmupMs: 10_000, sampleMs: 4000 };
    const shipped = await runEdgeAgent({
      ...job,
      devices: FLEET_METERS,
      runtime: { kind: 'unit' },
    });
    const one = await runEdgeAgent({ ...job, devices: 1, runtime: { kind: 'unit' } });
    const defaults = await runEdgeAgent({
      ...job,
      devices: FLEET_METERS,
      runtime: { kind: 'build-defaults' },
    });
    const modules = await runEdgeAgent({
      ...job,
      devices: FLEET_METERS,
      runtime: { kind: 'modules' },
    });
    const tsx = await runEdgeAgent({ ...job, devices: FLEET_METERS, runtime: { kind: 'tsx' } });
    const line = (r: EdgeAgentReport) =>
      `peak ${r.rssPeakMiB} MiB (${round((r.rssPeakMiB * 2 ** 20) / 1e6, 1)} MB), mean ${r.rssMeanMiB} MiB, ` +
      `${r.readingsLogged} readings logged (${r.readingsExpected} polls due from ready to stop); ` +
      `${r.errorLines} error lines${r.firstError ? ` (first: ${r.firstError})` : ''}, ${r.warnLines} warnings`;
    log(`edge agent as the systemd unit runs it, ${FLEET_METERS} devices at 1 s: ${line(shipped)}`);
    log(`edge agent as the systemd unit runs it, 1 device at 1 s: ${line(one)}`);
    log(`edge agent bundle, V8 and glibc defaults, ${FLEET_METERS} devices: ${line(defaults)}`);
    log(`edge agent compiled modules (not bundled), unit settings: ${line(modules)}`);
    log(`edge agent through tsx (development bin), ${FLEET_METERS} devices: ${line(tsx)}`);
    figures.push(
      {
        metric: `edge_rss_${FLEET_METERS}dev_mib`,
        value: shipped.rssPeakMiB,
        unit: 'MiB',
        baseline: one.rssPeakMiB,
      },
      {
        metric: `edge_rss_${FLEET_METERS}dev_v8_defaults_mib`,
        value: defaults.rssPeakMiB,
        unit: 'MiB',
        baseline: shipped.rssPeakMiB,
      },
      {
        metric: `edge_rss_${FLEET_METERS}dev_modules_mib`,
        value: modules.rssPeakMiB,
        unit: 'MiB',
        baseline: shipped.rssPeakMiB,
      },
      {
        metric: `edge_rss_${FLEET_METERS}dev_tsx_mib`,
        value: tsx.rssPeakMiB,
        unit: 'MiB',
        baseline: shipped.rssPeakMiB,
      },
    );
  } finally {
    await sim.stop();
  }
  return figures;
}

/** c. RS-485 at 19200 baud over the simulator's pty line, alone in its simulator process. */
async function rs485(log: (l: string) => void): Promise<Figure[]> {
  const ptyDir = await mkdtemp(join(tmpdir(), 'gl-bench-pty-'));
  const sim = await spawnSimulator({
    kind: 'fleets',
    scenarios: [
      {
        modbusRtu: [
          {
            pty: { devicePath: join(ptyDir, 'sim'), clientPath: join(ptyDir, 'edge') },
            baudRate: RTU_BAUD,
            meters: 4,
            replyDelayMs: RTU_REPLY_DELAY_MS,
          },
        ],
      },
    ],
  });
  try {
    const line = (sim.fleets[0] as SimEndpoints).modbusRtu[0];
    if (!line?.clientPath) throw new Error('simulator made no pty line');
    const limit = rtuLimit(RTU_BAUD, RTU_REGISTERS, RTU_REPLY_DELAY_MS);
    const before = await sim.usage();
    const counters: Array<Record<string, number>> = [];
    const [bare, engine] = await alternate(
      2,
      () => bareRtu(line.clientPath as string, 1000, 5000),
      async () => {
        const r = await engineRtu(line.clientPath as string, 1000, 5000);
        counters.push(r.channels[0]?.counters ?? {});
        return r.w;
      },
    );
    const after = await sim.usage();
    const served = (after.rtu[0]?.replies ?? 0) - (before.rtu[0]?.replies ?? 0);
    const c = {
      transactions: counters.reduce((a, x) => a + (x.transactions ?? 0), 0),
      ok: counters.reduce((a, x) => a + (x.ok ?? 0), 0),
      latencyMsTotal: counters.reduce((a, x) => a + (x.latencyMsTotal ?? 0), 0),
    };
    log(
      `RTU ${RTU_BAUD} baud, ${RTU_REGISTERS}-register reads, ${RTU_REPLY_DELAY_MS} ms reply delay, 4 meters at 100 ms: ` +
        `engine ${round(perS(engine), 2)} tx/s, bare modbus-serial loop ${round(perS(bare), 2)} tx/s ` +
        `(2 alternating rounds of 5 s; bare loop failures: ${bareRtuFailures}); limit ${round(limit.perSecond, 2)} tx/s = 1000 / ` +
        `((${limit.requestChars} + ${limit.replyChars}) chars × 11 bit / ${RTU_BAUD} = ${round(limit.wireMs, 2)} ms` +
        ` + 2 × t3.5 = ${round(limit.gapMs, 2)} ms + ${RTU_REPLY_DELAY_MS} ms = ${round(limit.cycleMs, 2)} ms); ` +
        `mean link latency ${round((c.latencyMsTotal ?? 0) / (c.transactions ?? 1), 2)} ms; ` +
        `engine ${c.transactions} transactions, ${c.ok} ok; simulator answered ${served} (both loops, warm-ups included)`,
    );
    return [
      {
        metric: `rtu_${RTU_BAUD}_${RTU_REGISTERS}reg_transactions_per_s`,
        value: round(perS(engine), 2),
        unit: 'transactions/s',
        baseline: round(limit.perSecond, 2),
      },
      {
        metric: `rtu_${RTU_BAUD}_${RTU_REGISTERS}reg_bare_loop_transactions_per_s`,
        value: round(perS(bare), 2),
        unit: 'transactions/s',
        baseline: round(limit.perSecond, 2),
      },
    ];
  } finally {
    await sim.stop();
    await rm(ptyDir, { recursive: true, force: true });
  }
}

const bench: Benchmark = async ({ log }) => [
  ...(await nativeTcp(log)),
  ...(await fleetOf1000(log)),
  ...(await rs485(log)),
];

export default bench;
