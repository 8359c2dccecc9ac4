/**
 * The edge runs on the clock it is given (issue #15 item 8): `startEdge(config, { clock })` with
 * the shared FakeClock. The Modbus poll grid waits for the fake clock, not the wall clock; each
 * reading a real Modbus TCP peer answers is stamped with the fake clock's time and passes the
 * reading window by that clock; the status carries the same time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

/** Years away from the wall clock, so a reading stamped by Date.now() cannot pass for it. */
const T0 = Date.parse('2031-03-04T05:06:07.000Z');

describe('startEdge with an injected clock', () => {
  const peer = new ModbusTcpPeer();
  const clock = new FakeClock(T0);
  let agent: EdgeAgent;

  beforeAll(async () => {
    await peer.listen();
    agent = await startEdge(
      {
        edgeId: 'e-clock',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-clock-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        devices: [
          {
            id: 'm1',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            profile: 'gridlink-charger',
            intervalMs: 1_000,
          },
        ],
      },
      { logger: pino({ level: 'silent' }), clock },
    );
  });
  afterAll(async () => {
    await agent?.close();
    await peer.close();
  });

  const logged = async () => {
    await agent.flush();
    return agent.log.read(1, 1000);
  };

  it('polls on the fake clock and stamps readings and status with its time', async () => {
    // The first tick of the grid is a timer on the injected clock: nothing moves until it does.
    expect(peer.requests).toEqual([]);
    expect(await logged()).toEqual([]);

    clock.advance(1_000);
    await expect.poll(async () => (await logged()).length).toBeGreaterThan(0);
    const first = await logged();
    expect(new Set(first.map((r) => r.ts))).toEqual(new Set([T0 + 1_000]));
    expect(first.every((r) => r.deviceId === 'm1')).toBe(true);

    clock.advance(1_000);
    await expect
      .poll(async () => (await logged()).filter((r) => r.ts === T0 + 2_000).length)
      .toBe(first.length);
    expect((await logged()).length).toBe(2 * first.length);

    const status = agent.status();
    expect(status.at).toBe(T0 + 2_000);
    expect(status.devices?.find((d) => d.deviceId === 'm1')?.lastOkAt).toBe(T0 + 2_000);
  });
});
