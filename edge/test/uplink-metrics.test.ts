/**
 * `gridlink_edge_uplink_connected` on a real /metrics endpoint (port 0): 0 before the edge has a
 * broker, 1 once connected to a real aedes broker and subscribed to its acks, 0 again after the
 * broker goes away.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';

const gauge = async (agent: EdgeAgent, name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
};

describe('gridlink_edge_uplink_connected', () => {
  let broker: TestBroker | undefined;
  let agent: EdgeAgent | undefined;
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
  });

  it('is 1 while the uplink is connected and 0 when the broker goes away', async () => {
    // A port with no broker yet: the edge cannot be connected while the first gauge is read.
    const probe = await startTestBroker();
    const port = probe.port;
    await probe.close();
    agent = await startEdge(
      {
        edgeId: 'e-uplink-gauge',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-uplink-gauge-')),
        mqtt: { url: `mqtt://127.0.0.1:${port}`, password: 's' },
        log: { sync: false },
        metrics: { enabled: true, port: 0 },
        uplink: { reconnect: { initialMs: 10, maxMs: 50 } },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const next = (ready: boolean) =>
      new Promise<void>((resolve) => {
        const on = (e: { ready: boolean }) => {
          if (e.ready !== ready) return;
          agent?.uplink.off('connection', on);
          resolve();
        };
        agent?.uplink.on('connection', on);
      });
    expect(await gauge(agent, 'gridlink_edge_uplink_connected')).toBe(0);
    const up = next(true);
    broker = await startTestBroker(port);
    await up;
    expect(await gauge(agent, 'gridlink_edge_uplink_connected')).toBe(1);

    const down = next(false);
    await broker.close();
    await down;
    expect(await gauge(agent, 'gridlink_edge_uplink_connected')).toBe(0);
  });
});
