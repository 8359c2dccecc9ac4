import { describe, expect, it } from 'vitest';
import { HOUR_MS, registerToHourly } from './intervals.js';

const H = (iso: string) => Date.parse(iso);
const entries = (m: Map<number, number>) =>
  [...m.entries()].map(([h, wh]) => [new Date(h).toISOString().slice(0, 13), wh]);

describe('registerToHourly: cumulative register → hourly Wh', () => {
  it.each([
    {
      name: 'two samples inside one hour',
      samples: [
        ['2024-01-01T10:10Z', 1000],
        ['2024-01-01T10:50Z', 1600],
      ],
      hours: [['2024-01-01T10', 600]],
    },
    {
      name: 'a sample exactly on the hour closes the previous hour',
      samples: [
        ['2024-01-01T10:00Z', 0],
        ['2024-01-01T11:00Z', 500],
      ],
      hours: [['2024-01-01T10', 500]],
    },
    {
      name: 'a missing stretch is spread by time overlap (3 h: 1 h, 1 h, 1 h)',
      samples: [
        ['2024-01-01T10:00Z', 0],
        ['2024-01-01T13:00Z', 3000],
      ],
      hours: [
        ['2024-01-01T10', 1000],
        ['2024-01-01T11', 1000],
        ['2024-01-01T12', 1000],
      ],
    },
    {
      // 1000 Wh over 10:30–12:30: weights ½, 1, ½ → 250, 500, 250.
      name: 'partial hours get their share',
      samples: [
        ['2024-01-01T10:30Z', 0],
        ['2024-01-01T12:30Z', 1000],
      ],
      hours: [
        ['2024-01-01T10', 250],
        ['2024-01-01T11', 500],
        ['2024-01-01T12', 250],
      ],
    },
    {
      // 1000 Wh over three equal hours: 333 each and one left over → the earliest hour.
      name: 'largest remainder keeps the total exact',
      samples: [
        ['2024-01-01T00:00Z', 5000],
        ['2024-01-01T03:00Z', 6000],
      ],
      hours: [
        ['2024-01-01T00', 334],
        ['2024-01-01T01', 333],
        ['2024-01-01T02', 333],
      ],
    },
    {
      name: 'a register going backwards starts a new segment, no negative energy',
      samples: [
        ['2024-01-01T00:00Z', 9000],
        ['2024-01-01T01:00Z', 9500],
        ['2024-01-01T02:00Z', 100],
        ['2024-01-01T03:00Z', 400],
      ],
      hours: [
        ['2024-01-01T00', 500],
        ['2024-01-01T02', 300],
      ],
      resets: [{ ts: H('2024-01-01T02:00Z'), previousWh: 9500, newWh: 100 }],
    },
    {
      name: 'a flat register adds nothing; an out-of-order sample is skipped',
      samples: [
        ['2024-01-01T00:00Z', 100],
        ['2024-01-01T01:00Z', 100],
        ['2024-01-01T00:30Z', 50],
        ['2024-01-01T02:00Z', 200],
      ],
      hours: [['2024-01-01T01', 100]],
    },
  ])('$name', ({ samples, hours, resets }) => {
    const step = registerToHourly(
      undefined,
      samples.map(([ts, wh]) => ({ ts: H(ts as string), wh: wh as number })),
    );
    expect(entries(step.hours)).toEqual(hours);
    expect(step.resets).toEqual(resets ?? []);
  });

  it('continues from the previous run and gives the same result as one run', () => {
    const all = [0, 700, 1500, 1500, 2600].map((wh, i) => ({
      ts: H('2024-01-01T00:20Z') + i * 50 * 60_000,
      wh,
    }));
    const one = registerToHourly(undefined, all);
    const a = registerToHourly(undefined, all.slice(0, 2));
    const b = registerToHourly(a.last, all.slice(2));
    const merged = new Map(a.hours);
    for (const [h, wh] of b.hours) merged.set(h, (merged.get(h) ?? 0) + wh);
    expect(merged).toEqual(one.hours);
    expect([...one.hours.values()].reduce((x, y) => x + y, 0)).toBe(2600);
    expect(one.last).toEqual(all.at(-1));
    expect(HOUR_MS).toBe(3_600_000);
  });
});
