import { describe, expect, it } from 'vitest';
import { type BatchSeqs, decide } from './batch-decision.js';
import { type QuarantinedReading, quarantinedReading } from './quarantined-reading.js';

const q = (seq: number): QuarantinedReading =>
  quarantinedReading(seq, { seq, ts: 0 }, { reason: 'schema', message: 'deviceId: required' }, 1);

/** A batch firstSeq..lastSeq with the seqs in `bad` set aside. */
const batch = (firstSeq: number, lastSeq: number, bad: number[] = [], droppedUpTo = 0) =>
  ({ firstSeq, lastSeq, droppedUpTo, quarantine: bad.map(q) }) satisfies BatchSeqs;

/** The decision in short: kind, rows skipped, readings stored, seqs set aside, the gap. */
function summary(b: BatchSeqs, mark: number) {
  const d = decide(b, mark);
  if (d.kind !== 'store') return d;
  return {
    kind: d.kind,
    skipRows: d.skipRows,
    stored: d.stored,
    quarantine: d.quarantine.map((e) => e.seq),
    ...(d.gap ? { gap: d.gap } : {}),
  };
}

describe('decide (exactly once, with readings set aside)', () => {
  it.each([
    // [what, batch, mark, decision]
    ['a fresh batch, nothing set aside', batch(1, 5), 0, { stored: 5, skipRows: 0, q: [] }],
    // 5 seqs, 2 and 4 set aside: 3 rows stored (1, 3, 5).
    [
      'a fresh batch with two set aside',
      batch(1, 5, [2, 4]),
      0,
      { stored: 3, skipRows: 0, q: [2, 4] },
    ],
    // Mark 3: seqs 1-3 are done; rows hold 1, 3, 5 -> skip 2 rows (1, 3); store 5; set aside 4.
    ['straddling the mark', batch(1, 5, [2, 4]), 3, { stored: 1, skipRows: 2, q: [4] }],
    // Mark 4: 1-4 done; rows 1, 3 skipped; 5 stored; nothing new set aside.
    [
      'straddling, the set-aside ones below',
      batch(1, 5, [2, 4]),
      4,
      { stored: 1, skipRows: 2, q: [] },
    ],
    // Every reading set aside: no rows at all.
    [
      'nothing but invalid readings',
      batch(6, 8, [6, 7, 8]),
      5,
      { stored: 0, skipRows: 0, q: [6, 7, 8] },
    ],
    // Mark 6 inside an all-invalid batch: 7 and 8 remain to set aside.
    ['all invalid, straddling', batch(6, 8, [6, 7, 8]), 6, { stored: 0, skipRows: 0, q: [7, 8] }],
  ] as const)('%s', (_what, b, mark, want) => {
    expect(summary(b, mark)).toEqual({
      kind: 'store',
      skipRows: want.skipRows,
      stored: want.stored,
      quarantine: want.q,
    });
  });

  it('a batch at or below the mark is a duplicate, whatever it holds', () => {
    expect(decide(batch(1, 5, [2]), 5)).toEqual({ kind: 'duplicate' });
    expect(decide(batch(1, 5, [1, 2, 3, 4, 5]), 9)).toEqual({ kind: 'duplicate' });
  });

  it('a batch beyond a gap the edge did not drop is refused: nothing set aside either', () => {
    expect(decide(batch(7, 9, [8]), 3)).toEqual({ kind: 'gap', expected: 4 });
  });

  it('beyond a gap the edge dropped: the gap recorded, every reading stored or set aside', () => {
    expect(summary(batch(7, 9, [8], 6), 3)).toEqual({
      kind: 'store',
      skipRows: 0,
      stored: 2,
      quarantine: [8],
      gap: { from: 4, to: 6 },
    });
  });

  it('every seq above the mark is exactly one of stored or set aside', () => {
    for (let n = 1; n <= 6; n++)
      for (let mask = 0; mask < 1 << n; mask++) {
        const bad = Array.from({ length: n }, (_, i) => 10 + i).filter((_, i) => mask & (1 << i));
        for (let mark = 9; mark < 9 + n; mark++) {
          const d = decide(batch(10, 9 + n, bad), mark);
          if (d.kind !== 'store') throw new Error(`mark ${mark}: ${d.kind}`);
          const above = 9 + n - mark;
          expect(d.stored + d.quarantine.length).toBe(above);
          expect(d.quarantine.every((e) => e.seq > mark)).toBe(true);
          // Rows hold the valid seqs in order: those skipped are the valid ones at or below the mark.
          const validBelow = Array.from({ length: mark - 9 }, (_, i) => 10 + i).filter(
            (s) => !bad.includes(s),
          ).length;
          expect(d.skipRows).toBe(validBelow);
        }
      }
  });
});

/** Index of the first C0 control character or lone surrogate, -1 when there is none. */
function unsafeAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) return i;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return i;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

describe('quarantinedReading (what is kept of a reading set aside)', () => {
  it('keeps a valid deviceId, drops an invalid one, and cuts the raw text at 4 KiB on a character', () => {
    const long = { deviceId: 'meter-1', note: 'é'.repeat(3000) };
    const e = quarantinedReading(7, long, { reason: 'schema', message: 'm' }, 5);
    expect(e.deviceId).toBe('meter-1');
    expect(e.rawBytes).toBe(Buffer.byteLength(JSON.stringify(long)));
    expect(Buffer.byteLength(e.raw)).toBeLessThanOrEqual(4096);
    expect(e.raw.endsWith('é')).toBe(true); // never half a character
    expect(JSON.stringify(long).startsWith(e.raw)).toBe(true);
    expect(quarantinedReading(1, { deviceId: 'a b' }, e, 5).deviceId).toBeNull();
    expect(quarantinedReading(1, { deviceId: 7 }, e, 5).deviceId).toBeNull();
    expect(quarantinedReading(1, null, e, 5)).toMatchObject({ deviceId: null, raw: 'null' });
  });

  it('leaves no NUL, control character or lone surrogate in what PostgreSQL stores', () => {
    const nasty = `a\u0000b\u001fc\ud800d\udc00e\u007f`;
    const e = quarantinedReading(
      1,
      { [nasty]: nasty },
      { reason: 'schema', message: `values.${nasty}: bad` },
      5,
    );
    // JSON.stringify escapes C0 controls and lone surrogates in the raw text (DEL may stay).
    for (const text of [e.message, e.raw]) expect(unsafeAt(text)).toBe(-1);
    expect(e.message).toBe('values.a?b?c\ufffdd\ufffde?: bad');
  });

  it('names a reading it cannot encode instead of throwing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const e = quarantinedReading(1, { values: deep }, { reason: 'schema', message: 'm' }, 5);
    expect(e.raw).toMatch(/^\(not encodable as JSON: /);
  });
});
