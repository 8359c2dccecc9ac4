/**
 * An append the reading log refuses is retried with a bounded backoff on the edge's clock and, if
 * it keeps failing, its readings are counted as dropped and reported: error log with the count
 * and the error, the status' `log.dropped` (published over MQTT), `/metrics`. On main the sink
 * logged `{lost: n}` once and the readings vanished from every count.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type EdgeStatus, edgeTopic, FakeClock } from '@gridlink/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { ReadingSink } from '../src/agent/reading-sink.js';
import { type NewReading, openReadingLog, type ReadingLog } from '../src/log/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

type Line = { level: number; msg: string; [key: string]: unknown };

/** A pino logger whose lines land in `lines` as objects. */
function capture() {
  const lines: Line[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    }),
  );
  return { lines, logger };
}

/** The log port, decorated: `append` fails while `failing()` says so (a disk that went away). */
function failingLog(log: ReadingLog, failing: () => boolean): ReadingLog & { appends: number } {
  const state = { appends: 0 };
  return new Proxy(log, {
    get(target, key) {
      if (key === 'appends') return state.appends;
      if (key === 'append')
        return (readings: readonly NewReading[]) => {
          state.appends++;
          return failing()
            ? Promise.reject(new Error('EIO: i/o error, write'))
            : target.append(readings);
        };
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as ReadingLog & { appends: number };
}

const reading = (i: number): NewReading => ({
  deviceId: 'm1',
  ts: Date.UTC(2026, 0, 1) + i * 1000,
  values: { energy_import: i },
  quality: 'good',
});

const opened: ReadingLog[] = [];
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
});
async function realLog(): Promise<ReadingLog> {
  const log = await openReadingLog({ dir: mkdtempSync(join(tmpdir(), 'gl-sink-')), sync: false });
  opened.push(log);
  return log;
}

describe('ReadingSink with a failing log', () => {
  it('retries on the injected clock with a growing delay and stores the readings once the log recovers', async () => {
    const clock = new FakeClock(0);
    const { lines, logger } = capture();
    let failures = 2;
    const log = failingLog(await realLog(), () => failures-- > 0);
    let commits = 0;
    const sink = new ReadingSink({ log, afterCommit: () => commits++, logger, timers: clock });
    for (let i = 1; i <= 3; i++) sink.push(reading(i));
    const done = sink.flush();

    await expect.poll(() => clock.pending).toBe(1); // first failure: waiting 200 ms
    expect(lines.at(-1)).toMatchObject({
      code: 'GL_LOG_APPEND_FAILED',
      count: 3,
      attempt: 1,
      retryInMs: 200,
    });
    clock.advance(199);
    expect(log.appends).toBe(1); // not before its time
    clock.advance(1);
    await expect.poll(() => log.appends).toBe(2);
    await expect.poll(() => clock.pending).toBe(1);
    expect(lines.at(-1)).toMatchObject({ attempt: 2, retryInMs: 400 });
    clock.advance(400);
    await done;
    expect(log.appends).toBe(3);
    expect(commits).toBe(1);
    expect(log.stats().lastSeq).toBe(3);
    expect(sink.stats()).toEqual({ dropped: 0, failedAppends: 2 });
  });

  it('counts the readings as dropped and says so when every attempt fails; later readings still go in', async () => {
    const clock = new FakeClock(0);
    const { lines, logger } = capture();
    let broken = true;
    const log = failingLog(await realLog(), () => broken);
    const retry = { attempts: 3, initialDelayMs: 100, maxDelayMs: 150 };
    const sink = new ReadingSink({ log, afterCommit: () => {}, logger, timers: clock, retry });
    for (let i = 1; i <= 4; i++) sink.push(reading(i));
    const done = sink.flush();
    for (const wait of [100, 150]) {
      await expect.poll(() => clock.pending).toBe(1);
      clock.advance(wait);
    }
    await done;
    expect(log.appends).toBe(3);
    expect(sink.stats()).toEqual({ dropped: 4, failedAppends: 3 });
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({
      code: 'GL_LOG_APPEND_FAILED',
      dropped: 4,
      droppedTotal: 4,
      attempts: 3,
    });
    expect(JSON.stringify(error?.err)).toContain('EIO');
    // Nothing got a seq: the log's own accounting (and the central's reconciliation) is untouched.
    expect(log.stats()).toMatchObject({ lastSeq: 0, dropped: 0 });

    broken = false;
    sink.push(reading(5));
    await sink.flush();
    expect(log.stats().lastSeq).toBe(1);
    expect(sink.stats().dropped).toBe(4);
  });

  it('close() does not wait out the backoff: one last try, then counted', async () => {
    const clock = new FakeClock(0);
    const { logger } = capture();
    const log = failingLog(await realLog(), () => true);
    const sink = new ReadingSink({ log, afterCommit: () => {}, logger, timers: clock });
    sink.push(reading(1));
    void sink.flush();
    await expect.poll(() => clock.pending).toBe(1);
    await sink.close();
    expect(sink.stats().dropped).toBe(1);
    expect(clock.pending).toBe(0);
  });
});

describe('an edge whose log refuses appends', () => {
  const peer = new ModbusTcpPeer();
  let broker: TestBroker | undefined;
  let agent: EdgeAgent | undefined;
  afterEach(async () => {
    await agent?.close();
    await broker?.close();
    await peer.close();
  });

  it('polls a real Modbus device and reports the readings it could not store as drops: status over MQTT and /metrics', async () => {
    await peer.listen();
    broker = await startTestBroker();
    const { lines, logger } = capture();
    const edge = await startEdge(
      {
        edgeId: 'e-append',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-append-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false, appendRetry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 50 } },
        statusIntervalMs: 1000,
        metrics: { enabled: true, port: 0 },
        devices: [
          {
            id: 'm1',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            profile: 'eastron-sdm630',
            intervalMs: 100,
            retries: 0,
          },
        ],
      },
      { logger, decorate: { log: (log) => failingLog(log, () => true) } },
    );
    agent = edge;
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const statuses: EdgeStatus[] = [];
    watcher.on('message', (_t, payload) => statuses.push(JSON.parse(payload.toString())));
    await watcher.subscribeAsync(edgeTopic('e-append', 'status'), { qos: 1 });
    try {
      await expect
        .poll(() => lines.find((l) => l.level === 50 && l.code === 'GL_LOG_APPEND_FAILED'))
        .toMatchObject({ attempts: 2 }); // log.appendRetry from the config
      await expect.poll(() => statuses.at(-1)?.log?.dropped ?? 0).toBeGreaterThan(0);
      expect(edge.status().log?.dropped).toBeGreaterThanOrEqual(statuses.at(-1)?.log?.dropped ?? 0);
      expect(edge.log.stats().lastSeq).toBe(0);
      const text = await (await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('gridlink_edge_log_dropped_total '));
      expect(Number(line?.split(' ')[1])).toBeGreaterThan(0);
    } finally {
      await watcher.endAsync(true);
    }
  });
});
