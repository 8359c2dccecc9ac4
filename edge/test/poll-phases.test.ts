import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EdgeConfigInput, parseEdgeConfig } from '../src/config/index.js';
import { createModbusDriver } from '../src/drivers/index.js';
import { DevicePoller } from '../src/poller/index.js';

const meter = (id: string, port: number, unitId: number, intervalMs = 1000) => ({
  id,
  driver: 'modbus-tcp' as const,
  host: '127.0.0.1',
  port,
  unitId,
  profile: 'eastron-sdm630',
  intervalMs,
});

describe('poll phases', () => {
  afterEach(() => vi.restoreAllMocks());

  it('spreads the devices of one link over their interval; a device alone starts at once', async () => {
    const input: EdgeConfigInput = {
      edgeId: 'phases',
      dataDir: '/tmp/unused',
      mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' },
      devices: [
        meter('gw-1', 1502, 1),
        meter('gw-2', 1502, 2),
        meter('solo', 1503, 1, 5000),
        meter('gw-3', 1502, 3),
        meter('gw-4', 1502, 4),
      ],
    };
    const config = parseEdgeConfig(input);
    const phases = new Map<string, number>();
    // Record the phase each poller is started with, without polling anything.
    vi.spyOn(DevicePoller.prototype, 'start').mockImplementation(function (
      this: DevicePoller,
      phaseMs = 0,
    ) {
      phases.set(this.deviceId, phaseMs);
    });
    const driver = createModbusDriver({
      devices: config.devices.filter((d) => d.driver === 'modbus-tcp'),
      buses: [],
      onReading: () => ({ ok: true }),
      logger: pino({ level: 'silent' }),
    });
    await driver.start();
    // Four meters behind one gateway at 1 s: one poll every 250 ms, in configuration order.
    expect(Object.fromEntries(phases)).toEqual({
      'gw-1': 0,
      'gw-2': 250,
      'gw-3': 500,
      'gw-4': 750,
      solo: 0,
    });
    await driver.close();
  });

  it('DevicePoller.start(phase) makes the first poll after the phase, then keeps the interval grid', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const polls: number[] = [];
      const t0 = Date.now();
      vi.spyOn(DevicePoller.prototype, 'pollOnce').mockImplementation(async () => {
        polls.push(Date.now() - t0);
      });
      const poller = new DevicePoller({
        device: {
          id: 'm',
          unitId: 1,
          intervalMs: 1000,
          timeoutMs: 100,
          retries: 0,
          offlineAfter: 3,
          maxGap: 10,
        },
        profile: (await import('@gridlink/shared')).getProfile('eastron-sdm120'),
        // The link is never used: pollOnce is replaced.
        link: undefined as never,
        onReading: () => {},
        logger: pino({ level: 'silent' }),
      });
      poller.start(400);
      await vi.advanceTimersByTimeAsync(2500);
      await poller.stop();
      expect(polls).toEqual([400, 1400, 2400]);
    } finally {
      vi.useRealTimers();
    }
  });
});
