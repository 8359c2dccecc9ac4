export interface Slot {
  start: Date;
  end: Date;
}

/**
 * The first `count` free slots of `durationMs` at or after `from` and ending by `until`, between
 * the `busy` periods (half-open, any order, may overlap): back to back from the start of each
 * free gap, as many as fit in it. Pure.
 */
export function freeSlots(
  busy: readonly Slot[],
  from: Date,
  durationMs: number,
  count: number,
  until: Date,
): Slot[] {
  const out: Slot[] = [];
  if (count <= 0 || durationMs <= 0) return out;
  const sorted = [...busy].sort((a, b) => a.start.getTime() - b.start.getTime());
  let cursor = from.getTime();
  const limit = until.getTime();
  const take = (gapEnd: number) => {
    let at = cursor;
    while (out.length < count && at + durationMs <= Math.min(gapEnd, limit)) {
      out.push({ start: new Date(at), end: new Date(at + durationMs) });
      at += durationMs;
    }
  };
  for (const b of sorted) {
    if (out.length >= count || cursor + durationMs > limit) break;
    const s = b.start.getTime();
    const e = b.end.getTime();
    if (e <= cursor) continue;
    if (s > cursor) take(s);
    cursor = Math.max(cursor, e);
  }
  if (out.length < count) take(Number.POSITIVE_INFINITY);
  return out;
}
