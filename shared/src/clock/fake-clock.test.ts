import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('starts where told and moves only on advance or set', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    clock.set(5);
    expect(clock.now()).toBe(5);
  });

  it('runs due timers in due order, ties in creation order, each at its own due time', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    const at = (name: string) => () => seen.push(`${name}@${clock.now()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b1'), 20);
    clock.setTimeout(at('b2'), 20);
    clock.setTimeout(at('late'), 31);
    clock.advance(30);
    expect(seen).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    expect(seen.at(-1)).toBe('late@31');
    expect(clock.pending).toBe(0);
  });

  it('runs timers set by a timer when they fall inside the same step', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
      clock.setTimeout(() => seen.push(clock.now()), 50);
    }, 10);
    clock.advance(20);
    expect(seen).toEqual([10, 15]);
    clock.advance(40);
    expect(seen).toEqual([10, 15, 60]);
  });

  it('treats a delay below 1 ms, NaN or negative as 1 ms, like Node', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    for (const ms of [0, -5, Number.NaN, 0.5]) clock.setTimeout(() => seen.push(clock.now()), ms);
    clock.advance(0);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([1, 1, 1, 1]);
  });

  it('repeats an interval from its own due time until cleared, also from inside it', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const h = clock.setInterval(() => {
      seen.push(clock.now());
      if (seen.length === 3) clock.clearInterval(h);
    }, 100);
    clock.advance(250);
    expect(seen).toEqual([100, 200]);
    clock.advance(1_000);
    expect(seen).toEqual([100, 200, 300]);
    expect(clock.pending).toBe(0);
  });

  it('clearTimeout stops a pending timer; clearing twice or undefined is harmless', () => {
    const clock = new FakeClock(0);
    let ran = 0;
    const h = clock.setTimeout(() => ran++, 10);
    const kept = clock.setTimeout(() => ran++, 10);
    clock.clearTimeout(h);
    clock.clearTimeout(h);
    clock.clearTimeout(undefined);
    expect(kept.unref()).toBe(kept);
    clock.advance(10);
    expect(ran).toBe(1);
  });

  it('advanceAsync lets promise work scheduled by a timer run before the next timer', async () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        seen.push(`then@${clock.now()}`);
        clock.setTimeout(() => seen.push(`retry@${clock.now()}`), 10);
      });
    }, 10);
    await clock.advanceAsync(25);
    expect(seen).toEqual(['then@10', 'retry@20']);
    expect(clock.now()).toBe(25);
  });
});

describe('systemClock', () => {
  it('reads the wall clock and arms real timers that can be unref-ed and cleared', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const cleared = systemClock.setTimeout(() => {
      throw new Error('cleared timer ran');
    }, 1);
    systemClock.clearTimeout(cleared);
    const fired = await new Promise<string>((resolve) => {
      systemClock.setTimeout(() => resolve('fired'), 1).unref();
    });
    expect(fired).toBe('fired');
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const h = systemClock.setInterval(() => {
        if (++ticks === 2) {
          systemClock.clearInterval(h);
          resolve();
        }
      }, 1);
    });
    expect(ticks).toBe(2);
  });
});
