/**
 * The edge's MQTT reconnects run on its injected clock (startEdge's `clock`), not on mqtt.js's
 * own setInterval: with a FakeClock, a refused edge tries again exactly when the clock has moved
 * by the delay it announced (`retryInMs`), never before, and connects once the broker accepts it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import type { AuthenticateError } from 'aedes';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';

describe('edge reconnects on its injected clock', () => {
  let broker: TestBroker | undefined;
  let agent: EdgeAgent | undefined;
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
  });

  it('a refused edge retries when the fake clock reaches the backoff delay, then connects', async () => {
    let attempts = 0;
    let accept = false;
    // The broker answers no CONNECT until the test listens for the client's closes: the edge
    // connects while it starts, and under load its first refusal and close came before
    // startEdge returned, so the count below missed the first close.
    let listening: () => void = () => undefined;
    const listened = new Promise<void>((resolve) => {
      listening = resolve;
    });
    broker = await startTestBroker(0, {
      authenticate: (_client, _username, _password, done) => {
        attempts++;
        void listened.then(() => {
          if (accept) return done(null, true);
          const err = new Error('not authorized') as AuthenticateError;
          (err as { returnCode: number }).returnCode = 5;
          done(err, null);
        });
      },
    });
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
          cb();
        },
      }),
    );
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const edge = await startEdge(
      {
        edgeId: 'e-clock-reconnect',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-clock-reconnect-')),
        mqtt: { url: broker.url, password: 'a-secret-0123456789' },
        log: { sync: false },
        uplink: { reconnect: { initialMs: 1_000, maxMs: 8_000 } },
      },
      { logger, clock },
    );
    agent = edge;
    let reconnects = 0;
    let closes = 0;
    edge.mqtt.on('reconnect', () => reconnects++);
    // The refusal is logged when the CONNACK arrives; the retry is armed on the 'close' that
    // follows (our listener runs after the backoff's, which was attached first).
    edge.mqtt.on('close', () => closes++);
    listening();
    const refusals = () => lines.filter((l) => l.connackCode === 5);

    for (let n = 1; n <= 3; n++) {
      await expect.poll(() => refusals().length).toBe(n);
      await expect.poll(() => closes).toBe(n);
      const delay = refusals()[n - 1]?.retryInMs as number;
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(reconnects).toBe(n - 1);
      clock.advance(delay - 1);
      expect(reconnects).toBe(n - 1); // not before its time
      if (n === 3) accept = true; // the secret is fixed at the broker
      clock.advance(1);
      expect(reconnects).toBe(n); // at its time, on the fake clock
    }
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(refusals()[0]).toMatchObject({ code: 'GL_MQTT_AUTH_FAILED', level: 40 });

    await expect.poll(() => edge.uplink.stats().ready).toBe(true);
    expect(refusals()).toHaveLength(3);
  });
});
