import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from '../src/agent/index.js';
import { openReadingLog } from '../src/log/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

describe('closing the edge agent', () => {
  let dir: string;
  const peer = new ModbusTcpPeer();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-edge-close-'));
    await peer.listen();
  });
  afterAll(async () => {
    await peer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets a poll on the wire finish and commits its reading before the log closes', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const agent = await startEdge(
      {
        edgeId: 'edge-close',
        dataDir: dir,
        // No central: the uplink keeps trying; this test is about the poll → log path.
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x' },
        devices: [
          {
            id: 'd1',
            profile: 'eastron-sdm120',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            intervalMs: 100,
          },
        ],
      },
      { logger: pino({ level: 'debug' }, sink) },
    );
    await peer.until(() => peer.requests.length >= 12); // a few whole polls
    // Hold the next request on the wire, then close while it is held.
    const held = peer.requests.length;
    peer.set(1, { kind: 'gate', count: 1000 });
    await peer.until(() => peer.requests.length > held);
    const closing = agent.close();
    peer.set(1, { kind: 'ok' });
    peer.release();
    await closing;

    const polls = agent.devices().find((d) => d.health.deviceId === 'd1')?.health.polls ?? 0;
    const log = await openReadingLog({ dir: join(dir, 'log'), sync: true });
    try {
      // Every poll that was started ended in a committed reading, the held one included.
      expect(log.stats().lastSeq).toBe(polls);
      expect(polls).toBeGreaterThan(1);
    } finally {
      await log.close();
    }
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  });
});
