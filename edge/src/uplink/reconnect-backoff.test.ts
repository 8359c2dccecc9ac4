import { createServer } from 'node:net';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { attachReconnectBackoff, backoffDelay } from './reconnect-backoff.js';
import { startTestBroker } from './testing/broker.js';

describe('reconnect backoff', () => {
  it('doubles from initialMs up to maxMs, with equal jitter', () => {
    const table: [attempt: number, random: number, delay: number][] = [
      [0, 0, 500], // half the ceiling at least
      [0, 0.999_999, 1_000],
      [1, 0, 1_000],
      [3, 0.5, 6_000], // ceiling 8 000: 4 000 + 2 000
      [10, 0, 30_000], // capped at maxMs 60 000
      [1_000, 0.999_999, 60_000], // no overflow for huge attempts
    ];
    for (const [attempt, random, delay] of table) {
      expect(backoffDelay(attempt, { initialMs: 1_000, maxMs: 60_000, random: () => random })).toBe(
        delay,
      );
    }
  });

  it('sets reconnectPeriod as each attempt starts and resets it on connect', async () => {
    // A port nobody listens on: every attempt is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 5 });
    client.on('error', () => {});
    const detach = attachReconnectBackoff(client, { initialMs: 10, maxMs: 40, random: () => 0.5 });
    expect(client.options.reconnectPeriod).toBe(8); // ceiling 10 → 5 + 2.5, rounded
    const periods: number[] = [];
    await new Promise<void>((resolve) => {
      client.on('reconnect', () => {
        periods.push(client.options.reconnectPeriod ?? 0);
        if (periods.length === 4) resolve();
      });
    });
    expect(periods).toEqual([15, 30, 30, 30]);

    const broker = await startTestBroker(port); // now the attempts succeed
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    expect(client.options.reconnectPeriod).toBe(8);
    detach();
    await client.endAsync(true);
    await broker.close();
  });
});
