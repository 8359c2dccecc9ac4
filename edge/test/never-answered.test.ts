/**
 * A device that has never answered is warned about (on main it failed in silence: "device
 * offline" is only said of a device that was once online): once after `offlineAfter` failed
 * polls, then at most once per 10 minutes of the edge's clock while it stays silent.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';

/** A TCP port nothing listens on (bound, then closed): every connection is refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a device that has never answered', () => {
  let agent: EdgeAgent | undefined;
  afterAll(async () => {
    await agent?.close();
  });

  it('is warned about after offlineAfter polls, then once per 10 minutes', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
          cb();
        },
      }),
    );
    const edge = await startEdge(
      {
        edgeId: 'e-silent',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-silent-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        devices: [
          {
            id: 'm-silent',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: await deadPort(),
            unitId: 1,
            profile: 'eastron-sdm630',
            intervalMs: 10_000,
            offlineAfter: 3,
            offlineBackoffMaxMs: 10_000,
            retries: 0,
          },
        ],
      },
      { logger, clock },
    );
    agent = edge;
    // A poll is over when its failure is counted (polls counts it at its start).
    const polls = () =>
      edge.devices().find((d) => d.health.deviceId === 'm-silent')?.health.failures;
    const warnings = () =>
      lines.filter((l) => l.msg === 'device has never answered' && l.deviceId === 'm-silent');

    for (let n = 1; n <= 3; n++) {
      expect(warnings()).toHaveLength(0);
      clock.advance(10_000);
      await expect.poll(polls).toBe(n);
    }
    await expect.poll(() => warnings().length).toBe(1);
    expect(warnings()[0]).toMatchObject({ level: 40, code: 'GL_DEVICE_OFFLINE', polls: 3 });
    expect(String(warnings()[0]?.lastError)).toMatch(/^GL_/);

    // Probed every 10 s from now on: silent for 10 minutes of the clock before the next warning.
    for (let n = 4; n <= 62; n++) {
      clock.advance(10_000);
      await expect.poll(polls).toBe(n);
    }
    expect(warnings()).toHaveLength(1);
    clock.advance(10_000);
    await expect.poll(polls).toBe(63);
    await expect.poll(() => warnings().length).toBe(2);
    expect(warnings()[1]).toMatchObject({ polls: 63, silentForMs: 630_000 });
  });
});
