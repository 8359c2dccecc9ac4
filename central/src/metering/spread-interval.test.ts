import { seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { allocateLargestRemainder } from '../money/index.js';
import { HOUR_MS, hourStartsIn, spreadOverHours } from './spread-interval.js';

const H = (iso: string) => Date.parse(iso);

/** The rule written the long way: one weight per hour, then largest remainder (the old code). */
function explicitSpread(from: number, to: number, wh: number): Map<number, number> {
  const first = Math.floor(from / HOUR_MS) * HOUR_MS;
  const last = Math.floor((Math.max(to, from + 1) - 1) / HOUR_MS) * HOUR_MS;
  const out = new Map<number, number>();
  if (first === last) {
    out.set(first, wh);
    return out;
  }
  const starts: number[] = [];
  const weights: bigint[] = [];
  for (let h = first; h <= last; h += HOUR_MS) {
    starts.push(h);
    weights.push(BigInt(Math.min(to, h + HOUR_MS) - Math.max(from, h)));
  }
  const parts = allocateLargestRemainder(BigInt(wh), weights);
  for (const [i, h] of starts.entries()) if (parts[i] !== 0n) out.set(h, Number(parts[i]));
  return out;
}

function expand(blocks: ReturnType<typeof spreadOverHours>): Map<number, number> {
  const out = new Map<number, number>();
  for (const b of blocks) for (let i = 0; i < b.hours; i++) out.set(b.start + i * HOUR_MS, b.wh);
  return out;
}

describe('spreadOverHours: closed-form largest remainder', () => {
  it.each([
    {
      // 1000 Wh over 10:30–12:30: weights ½, 1, ½ → 250, 500, 250.
      name: 'partial first and last hours',
      from: '2024-01-01T10:30Z',
      to: '2024-01-01T12:30Z',
      wh: 1000,
      blocks: [
        ['2024-01-01T10', 1, 250],
        ['2024-01-01T11', 1, 500],
        ['2024-01-01T12', 1, 250],
      ],
    },
    {
      // 1000 Wh over 3 whole hours: 333 each, one Wh left → the earliest hour.
      name: 'whole hours: the leftover Wh go to the earliest hours',
      from: '2024-01-01T00:00Z',
      to: '2024-01-01T03:00Z',
      wh: 1000,
      blocks: [
        ['2024-01-01T00', 1, 334],
        ['2024-01-01T01', 2, 333],
      ],
    },
    {
      // 100 h from 00:00, 10 050 Wh: 100 Wh an hour, 50 left over → the first 50 hours get 101.
      name: 'a long gap is two blocks, not a hundred hours',
      from: '2024-01-01T00:00Z',
      to: '2024-01-05T04:00Z',
      wh: 10_050,
      blocks: [
        ['2024-01-01T00', 50, 101],
        ['2024-01-03T02', 50, 100],
      ],
    },
    {
      // 2026-01-15T12:00Z → 9999-12-31T00:00Z is 69 898 260 hours; 100 000 Wh over them:
      // 0 Wh an hour, and the 100 000 Wh left over go one each to the first 100 000 hours.
      name: 'a reading dated 9999: constant work, one block',
      from: '2026-01-15T12:00Z',
      to: '9999-12-31T00:00Z',
      wh: 100_000,
      blocks: [['2026-01-15T12', 100_000, 1]],
    },
    {
      // 20 min in the first hour, 40 min in the second: 1 Wh → weights ⅓, ⅔ → the second hour.
      name: 'a single Wh goes to the largest overlap',
      from: '2024-01-01T10:40Z',
      to: '2024-01-01T11:40Z',
      wh: 1,
      blocks: [['2024-01-01T11', 1, 1]],
    },
    {
      name: 'a sample on the hour closes the previous hour',
      from: '2024-01-01T10:00Z',
      to: '2024-01-01T11:00Z',
      wh: 500,
      blocks: [['2024-01-01T10', 1, 500]],
    },
  ])('$name', ({ from, to, wh, blocks }) => {
    const got = spreadOverHours(H(from), H(to), wh);
    expect(got.map((b) => [new Date(b.start).toISOString().slice(0, 13), b.hours, b.wh])).toEqual(
      blocks,
    );
    expect(got.reduce((a, b) => a + b.hours * b.wh, 0)).toBe(wh);
  });

  it('equals the explicit largest remainder on 3,000 random intervals', () => {
    const next = seededRandom(1414);
    let multiBlock = 0;
    for (let i = 0; i < 3000; i++) {
      const from = H('2024-01-01T00:00Z') + Math.floor(next() * 400 * HOUR_MS);
      // Mostly short gaps, some up to 60 days; a tenth start or end exactly on the hour.
      const length =
        next() < 0.1
          ? Math.ceil(next() * 48) * HOUR_MS
          : Math.floor(next() * (next() < 0.2 ? 60 * 24 : 6) * HOUR_MS) + 1;
      const aligned = next() < 0.1 ? from - (from % HOUR_MS) : from;
      const wh = Math.floor(next() * (next() < 0.5 ? 50 : 5_000_000));
      const blocks = spreadOverHours(aligned, aligned + length, wh);
      if (blocks.length > 1) multiBlock += 1;
      expect(blocks.length).toBeLessThanOrEqual(4);
      expect(expand(blocks), `${aligned} +${length} ${wh}`).toEqual(
        wh === 0 ? new Map() : explicitSpread(aligned, aligned + length, wh),
      );
    }
    // The comparison is not vacuous: most cases spread over several hours.
    expect(multiBlock).toBeGreaterThan(1500);
  });

  it.each([
    ['an hour start is counted from', '2024-01-01T10:00Z', '2024-01-01T12:00Z', 2],
    ['a start after the mark skips it', '2024-01-01T10:01Z', '2024-01-01T12:00Z', 1],
    ['an end after the mark includes it', '2024-01-01T10:00Z', '2024-01-01T12:01Z', 3],
    ['no hour start inside', '2024-01-01T10:01Z', '2024-01-01T10:59Z', 0],
    ['reversed is empty', '2024-01-01T12:00Z', '2024-01-01T10:00Z', 0],
  ])('hourStartsIn: %s', (_name, from, to, n) => {
    expect(hourStartsIn(H(from), H(to))).toBe(n);
  });
});
