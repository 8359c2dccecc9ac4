import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import {
  createManualClock,
  createPtyPair,
  MeterModel,
  type ModbusRtuServer,
  type PtyPair,
  SimulatedMeter,
  startModbusRtuServer,
  UdpMeterDevice,
} from '@gridlink/firmware-sim';
import { getProfile } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The edge reads the simulator itself over the transports a field install has: Modbus RTU on a
 * serial line (a socat pty pair, 19200 baud, real wire timing) and the original UDP datagram
 * meters. (Modbus TCP: one-reading-end-to-end; TCP JSON meters: billing-months.)
 */
const hasSocat = (() => {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasSocat && process.env.CI === 'true')
  throw new Error('socat is required under CI=true (apt-get install socat)');
if (!hasSocat)
  console.warn('\n*** socat not found: SKIPPING the simulator-over-a-serial-line test. ***\n');

const canonical = (v: Record<string, number> | undefined) =>
  JSON.stringify(Object.entries(v ?? {}).sort(([a], [b]) => a.localeCompare(b)));
const quiet = pino({ level: 'silent' });

describe.skipIf(!hasSocat)('the edge reads the simulator over RTU and UDP', () => {
  let dir: string;
  let pty: PtyPair;
  let rtu: ModbusRtuServer;
  let edge: EdgeAgent;
  let udpMeter: UdpMeterDevice;
  const clock = createManualClock(Date.parse('2026-05-04T15:00:00Z'));
  const profile = getProfile('eastron-sdm630');
  const meters = [1, 2].map(
    (unitId) =>
      new SimulatedMeter({
        deviceId: `rtu-${unitId}`,
        unitId,
        profile,
        model: new MeterModel({ seed: 20 + unitId, clock, startMs: clock.now() }),
      }),
  );
  let requests = 0;
  const waiters: Array<() => void> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-sim-transports-'));
    pty = await createPtyPair({
      devicePath: join(dir, 'sim-end'),
      clientPath: join(dir, 'edge-end'),
    });
    rtu = await startModbusRtuServer({
      path: pty.devicePath,
      baudRate: 19200,
      resolveUnit: (unitId) => meters.find((m) => m.unitId === unitId)?.bank,
      replyDelayMs: () => 5,
      onFrame: (e) => {
        if (e.kind === 'request' && e.answered) requests++;
        for (const w of waiters.splice(0)) w();
      },
    });
    edge = await startEdge(
      {
        edgeId: 'edge-transports',
        dataDir: join(dir, 'edge'),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' }, // the log is what this test reads
        buses: [{ id: 'rs485-1', path: pty.clientPath, baudRate: 19200, parity: 'none' }],
        udp: { host: '127.0.0.1', port: 0 },
        devices: [
          ...meters.map((m) => ({
            id: m.deviceId,
            profile: 'eastron-sdm630',
            driver: 'modbus-rtu' as const,
            bus: 'rs485-1',
            unitId: m.unitId,
            intervalMs: 250,
            timeoutMs: 2000,
            maxGap: 60,
          })),
          { id: 'udp-1', driver: 'udp-meter' as const, meterId: '77', cpf: '52998224725' },
        ],
      },
      { logger: quiet },
    );
    const udpPort =
      (
        edge.drivers.find((d) => d.name === 'udp-meter') as { port?: () => number } | undefined
      )?.port?.() ?? 0;
    expect(udpPort).toBeGreaterThan(0);
    udpMeter = new UdpMeterDevice({
      deviceId: 'udp-1',
      meterId: '77',
      cpf: '52998224725',
      target: { host: '127.0.0.1', port: udpPort },
      clock,
      intervalMs: 60_000,
      rateKW: 2.4,
    });
  });

  afterAll(async () => {
    await edge?.close();
    await udpMeter?.close();
    await rtu?.close();
    await pty?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('RTU: every reading equals the registers the simulated meter served, as served', async () => {
    // Values only change when the test moves the clock: each poll returns the same snapshot.
    const until = async (n: number) => {
      while (requests < n) await new Promise<void>((r) => waiters.push(r));
    };
    await until(6);
    await edge.flush();
    const readings = (await edge.log.read(1, 1000)).filter((r) => r.deviceId.startsWith('rtu-'));
    expect(readings.length).toBeGreaterThanOrEqual(4);
    for (const r of readings) {
      const meter = meters.find((m) => m.deviceId === r.deviceId);
      expect(r.quality).toBe('good');
      expect(canonical(r.values)).toBe(canonical(meter?.snapshot()));
    }
  });

  it('UDP: the datagram meter of the original system is read, acknowledged with 200, summed exactly', async () => {
    for (let i = 1; i <= 10; i++) {
      clock.advance(60_000);
      udpMeter.advance(clock.now());
    }
    const truth = () => udpMeter.truth() as { sent: number; acked: number; sentKWh: number };
    while (truth().acked < 10) await new Promise((r) => setTimeout(r, 10)); // UDP replies: no event to await on the sender
    await edge.flush();
    const readings = (await edge.log.read(1, 1000)).filter((r) => r.deviceId === 'udp-1');
    expect(readings).toHaveLength(truth().sent);
    const sum = readings.reduce((s, r) => s + (r.values.energy_interval ?? Number.NaN), 0);
    expect(sum).toBeCloseTo(truth().sentKWh, 6);
  });
});
