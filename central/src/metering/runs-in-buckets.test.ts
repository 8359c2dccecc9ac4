import { describe, expect, it } from 'vitest';
import { addRunsToBuckets, type WhBucket } from './runs-in-buckets.js';

const H = (iso: string) => Date.parse(iso);
const days = (first: string, n: number, offsetMs = 0): WhBucket[] =>
  Array.from({ length: n }, (_, i) => ({
    start: H(first) + i * 86_400_000 + offsetMs,
    end: H(first) + (i + 1) * 86_400_000 + offsetMs,
    wh: 0,
  }));

describe('addRunsToBuckets: a run adds Wh per hour × the hour starts it shares with a bucket', () => {
  it('splits a run over UTC days, and only inside [from, to)', () => {
    const b = days('2024-01-01T00:00Z', 3);
    // 10 Wh an hour from Jan 1 18:00 to Jan 3 06:00; asked from Jan 1 20:00 to Jan 3 00:00:
    // Jan 1 20:00–24:00 = 4 h → 40; Jan 2 24 h → 240; Jan 3 nothing (past `to`).
    addRunsToBuckets(
      b,
      [{ start: H('2024-01-01T18:00Z'), end: H('2024-01-03T06:00Z'), whPerHour: 10 }],
      H('2024-01-01T20:00Z'),
      H('2024-01-03T00:00Z'),
    );
    expect(b.map((x) => x.wh)).toEqual([40, 240, 0]);
  });

  it('gives an hour to the bucket its start falls in (half-hour zones)', () => {
    // Local days of Asia/Kolkata (UTC+05:30) start at 18:30Z: the hour 18:00Z belongs to the day
    // before, 19:00Z to the next. A run 12:00Z–24:00Z on Jan 1 has hour starts 12…18 (7) before
    // 18:30 and 19…23 (5) after.
    const b = days('2023-12-31T18:30Z', 2);
    addRunsToBuckets(
      b,
      [{ start: H('2024-01-01T12:00Z'), end: H('2024-01-02T00:00Z'), whPerHour: 3 }],
      b[0]?.start ?? 0,
      b[1]?.end ?? 0,
    );
    expect(b.map((x) => x.wh)).toEqual([21, 15]);
  });

  it('adds several runs and leaves buckets outside them alone', () => {
    const b = days('2024-01-01T00:00Z', 5);
    addRunsToBuckets(
      b,
      [
        { start: H('2024-01-01T00:00Z'), end: H('2024-01-02T00:00Z'), whPerHour: 1 },
        { start: H('2024-01-04T12:00Z'), end: H('2024-01-09T00:00Z'), whPerHour: 2 },
      ],
      H('2024-01-01T00:00Z'),
      H('2024-01-06T00:00Z'),
    );
    expect(b.map((x) => x.wh)).toEqual([24, 0, 0, 24, 48]);
  });
});
