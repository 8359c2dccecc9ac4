import { describe, expect, it } from 'vitest';
import {
  freeSlots,
  isLiveState,
  LIVE_STATES,
  nextReservationState,
  reservationEvents,
} from '../src/ev/reservations/index.js';
import type { EvReservationState } from '../src/storage/index.js';

const h = (hour: number) => new Date(Date.UTC(2027, 0, 4, hour));
const slot = (a: number, b: number) => ({ start: h(a), end: h(b) });

describe('freeSlots (pure)', () => {
  const cases: Array<
    [
      string,
      Array<ReturnType<typeof slot>>,
      number,
      number,
      number,
      number,
      Array<ReturnType<typeof slot>>,
    ]
  > = [
    // name, busy, from, hours long, count, until, expected
    [
      'nothing booked: back to back from `from`',
      [],
      8,
      1,
      3,
      24,
      [slot(8, 9), slot(9, 10), slot(10, 11)],
    ],
    [
      'a gap too short is skipped',
      [slot(8, 9), { start: new Date(h(9).getTime() + 1_800_000), end: h(11) }],
      8,
      1,
      2,
      24,
      [slot(11, 12), slot(12, 13)],
    ],
    [
      'overlapping and unsorted busy periods',
      [slot(12, 14), slot(8, 10), slot(9, 11)],
      8,
      1,
      3,
      24,
      [slot(11, 12), slot(14, 15), slot(15, 16)],
    ],
    ['a busy period already over is ignored', [slot(2, 5)], 8, 2, 1, 24, [slot(8, 10)]],
    ['nothing past `until`', [slot(8, 22)], 8, 2, 3, 23, []],
    ['count 0', [], 8, 1, 0, 24, []],
  ];
  for (const [name, busy, from, hours, count, until, expected] of cases)
    it(name, () => {
      expect(freeSlots(busy, h(from), hours * 3_600_000, count, h(until))).toEqual(expected);
    });
});

describe('the reservation state table', () => {
  it('allows exactly the OCPI transitions (plus EXPIRED and COMPLETED)', () => {
    const allowed: string[] = [];
    const states: EvReservationState[] = [
      'PENDING',
      'RESERVED',
      'FULFILLED',
      'COMPLETED',
      'CANCELED',
      'NO_SHOW',
      'EXPIRED',
      'REJECTED',
      'FAILED',
    ];
    for (const s of states)
      for (const e of reservationEvents) {
        const to = nextReservationState(s, e);
        if (to) allowed.push(`${s} -${e}-> ${to}`);
      }
    expect(allowed).toEqual([
      'PENDING -confirm-> RESERVED',
      'PENDING -expire-> EXPIRED',
      'PENDING -reject-> REJECTED',
      'PENDING -fail-> FAILED',
      'PENDING -cancel-> CANCELED',
      'RESERVED -cancel-> CANCELED',
      'RESERVED -fulfil-> FULFILLED',
      'RESERVED -no_show-> NO_SHOW',
      'FULFILLED -complete-> COMPLETED',
    ]);
    // The live states (the exclusion constraint's) are exactly those with a way forward
    // other than a terminal end.
    expect([...LIVE_STATES]).toEqual(['PENDING', 'RESERVED', 'FULFILLED']);
    expect(states.filter(isLiveState)).toEqual(['PENDING', 'RESERVED', 'FULFILLED']);
  });
});
