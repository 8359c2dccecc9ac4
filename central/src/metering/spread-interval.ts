export const HOUR_MS = 3_600_000;

/** `hours` consecutive UTC hours from `start` (ms, on the hour), each with the same `wh`. */
export interface HourBlock {
  start: number;
  hours: number;
  wh: number;
}

/**
 * The energy `wh` of [from, to) spread over the UTC hours the interval overlaps, in proportion to
 * the overlap, rounded to Wh by largest remainder (Hamilton: every hour gets the floor of its
 * exact share, the Wh left over go one each to the largest remainders, ties to the earlier hour).
 * A sample at 00:00 closes the previous hour: [from, to) ends just before `to`.
 *
 * Closed form, so the work is constant however long the interval: only the first and the last
 * hour can be partial; every hour in between has the same weight (one hour), hence the same floor
 * and the same remainder, and the ties go to the earliest of them. The result is at most four
 * blocks — first hour, the interior hours that got one Wh more, the rest of the interior, last
 * hour — with adjacent blocks of equal Wh merged and empty ones left out. It equals
 * `allocateLargestRemainder` over the explicit hours (see the differential test).
 */
export function spreadOverHours(from: number, to: number, wh: number): HourBlock[] {
  if (wh <= 0) return [];
  const first = Math.floor(from / HOUR_MS) * HOUR_MS;
  const last = Math.floor((Math.max(to, from + 1) - 1) / HOUR_MS) * HOUR_MS;
  if (first === last) return [{ start: first, hours: 1, wh }];

  const total = BigInt(wh);
  const span = BigInt(to - from);
  const interior = (last - first) / HOUR_MS - 1;
  // Weights in ms: the first and last hours' overlaps, and one hour for each interior hour.
  const groups = [
    { order: 0, size: 1, weight: BigInt(first + HOUR_MS - from) },
    { order: 1, size: interior, weight: BigInt(HOUR_MS) },
    { order: 2, size: 1, weight: BigInt(to - last) },
  ].map((g) => ({ ...g, floor: (total * g.weight) / span, rem: (total * g.weight) % span }));
  let left = total - groups.reduce((a, g) => a + g.floor * BigInt(g.size), 0n);
  // Largest remainder first; equal remainders go to the earlier hour, i.e. the earlier group.
  const extra = [0, 0, 0];
  for (const g of [...groups].sort((a, b) =>
    a.rem === b.rem ? a.order - b.order : a.rem > b.rem ? -1 : 1,
  )) {
    const given = left < BigInt(g.size) ? left : BigInt(g.size);
    extra[g.order] = Number(given);
    left -= given;
  }
  const [head, middle, tail] = groups as [
    (typeof groups)[0],
    (typeof groups)[0],
    (typeof groups)[0],
  ];
  const middleExtra = extra[1] ?? 0;
  const blocks: HourBlock[] = [];
  const push = (start: number, hours: number, v: number) => {
    if (hours <= 0 || v === 0) return;
    const prev = blocks.at(-1);
    if (prev && prev.wh === v && prev.start + prev.hours * HOUR_MS === start) prev.hours += hours;
    else blocks.push({ start, hours, wh: v });
  };
  push(first, 1, Number(head.floor) + (extra[0] ?? 0));
  push(first + HOUR_MS, middleExtra, Number(middle.floor) + 1);
  push(first + (1 + middleExtra) * HOUR_MS, interior - middleExtra, Number(middle.floor));
  push(last, 1, Number(tail.floor) + (extra[2] ?? 0));
  return blocks;
}

/** How many whole UTC hours start in [from, to): ⌈to⌉ − ⌈from⌉ in hours, never negative. */
export function hourStartsIn(from: number, to: number): number {
  return Math.max(0, Math.ceil(to / HOUR_MS) - Math.ceil(from / HOUR_MS));
}
