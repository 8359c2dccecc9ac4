import { FakeClock } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { Ticker } from './ticker.js';

describe('Ticker', () => {
  it('runs once per period, once for a long step of the clock, never overlapping, and stops', async () => {
    const clock = new FakeClock(0);
    let runs = 0;
    let running = 0;
    let overlapped = false;
    let release!: () => void;
    const ticker = new Ticker(
      clock,
      1_000,
      async () => {
        runs++;
        if (++running > 1) overlapped = true;
        await new Promise<void>((r) => {
          release = r;
        });
        running--;
      },
      () => undefined,
    ).start();
    clock.advance(999);
    expect(runs).toBe(0);
    clock.advance(1);
    await expect.poll(() => runs).toBe(1);
    clock.advance(6 * 3_600_000); // a 6 h step while the run is still going: no second run
    expect(runs).toBe(1);
    release();
    await expect.poll(() => running).toBe(0);
    clock.advance(6 * 3_600_000); // re-armed after the run: one run for the whole step
    await expect.poll(() => runs).toBe(2);
    const stopped = ticker.stop();
    release();
    await stopped;
    clock.advance(10_000);
    expect(runs).toBe(2);
    expect(overlapped).toBe(false);
  });

  it('a failing run is reported and the next one still comes', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let runs = 0;
    const ticker = new Ticker(
      clock,
      100,
      async () => {
        runs++;
        throw new Error('boom');
      },
      (err) => errors.push(err),
    ).start();
    clock.advance(100);
    await expect.poll(() => errors.length).toBe(1);
    clock.advance(100);
    await expect.poll(() => runs).toBe(2);
    await ticker.stop();
  });
});
