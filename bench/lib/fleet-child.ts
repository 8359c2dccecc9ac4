/**
 * Child process of the edge-poll and fleet benchmarks (see fleet-host.ts): runs the simulator —
 * `startFleet` scenarios, or bare Modbus TCP servers on a MemoryRegisterBank — and answers
 * `usage` requests with its own CPU, RSS and ground-truth counters until told to stop.
 */
import {
  type Fleet,
  MemoryRegisterBank,
  type ModbusTcpServer,
  parseScenario,
  startFleet,
  startModbusTcpServer,
} from '@gridlink/firmware-sim';
import type { SimEndpoints, SimJob, SimMessage, SimUsage } from './fleet-host.js';

const job = JSON.parse(process.argv[2] ?? '{}') as SimJob;
const send = (m: SimMessage) => process.send?.(m);

const fleets: Fleet[] = [];
const servers: ModbusTcpServer[] = [];
const endpoints: SimEndpoints[] = [];

const stop = async () => {
  for (const f of fleets) await f.close();
  for (const s of servers) await s.close();
  process.exit(0);
};

const usage = (): SimUsage => {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  let udpSent = 0;
  for (const f of fleets)
    for (const d of f.devices.values())
      if (d.kind === 'udp-meter') udpSent += (d.truth() as { sent: number }).sent;
  return {
    cpuUs: cpu.user + cpu.system,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    udpSent,
    rtu: fleets.flatMap((f) =>
      f.modbusRtu.map((r) => {
        const s = r.stats();
        return {
          requests: s.requests,
          replies: s.replies,
          busyMs: s.busyMs,
          utilization: s.utilization,
        };
      }),
    ),
  };
};

process.on('message', (m: { type: string }) => {
  if (m.type === 'usage') send({ type: 'usage', usage: usage() });
  else if (m.type === 'stop') void stop();
});
process.on('disconnect', () => void stop());

try {
  const t = performance.now();
  if (job.kind === 'fleets') {
    for (const s of job.scenarios) {
      const fleet = await startFleet(parseScenario(s));
      fleets.push(fleet);
      endpoints.push({
        modbusTcp: fleet.modbusTcp.map(({ host, port, meters }) => ({ host, port, meters })),
        modbusRtu: fleet.modbusRtu.map((r) => ({
          path: r.path,
          baudRate: r.baudRate,
          ...(r.clientPath === undefined ? {} : { clientPath: r.clientPath }),
        })),
      });
    }
  } else {
    // The baseline server: the simulator's Modbus TCP server with plain memory behind every unit.
    const bank = new MemoryRegisterBank({ size: 256 });
    const resolveUnit = (unit: number) => (unit >= 1 && unit <= job.units ? bank : undefined);
    for (let i = 0; i < job.ports; i++)
      servers.push(await startModbusTcpServer({ port: 0, resolveUnit }));
    endpoints.push({
      modbusTcp: servers.map((s) => ({ host: s.host, port: s.port, meters: job.units })),
      modbusRtu: [],
    });
  }
  send({ type: 'ready', fleets: endpoints, startMs: performance.now() - t });
} catch (err) {
  process.send?.({ type: 'error', message: (err as Error).stack ?? String(err) }, () => {
    void stop();
  });
}
