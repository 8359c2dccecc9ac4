import { epochSchema, isGridlinkError, type Reading } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { KEY_BYTES } from './codec.js';
import { readingLines } from './records.js';
import type { NewReading, ReadingLog, ReadingLogBounds } from './types.js';

/** Opens a fresh, empty log with the given bounds; the suite closes it. */
export type OpenFreshLog = (bounds: ReadingLogBounds) => Promise<ReadingLog>;

export function reading(n: number, ts = 1_700_000_000_000 + n): NewReading {
  return { deviceId: 'meter-1', ts, quality: 'good', values: { energy_kwh: n } };
}

export function readings(from: number, count: number, ts?: number): NewReading[] {
  return Array.from({ length: count }, (_, i) => reading(from + i, ts));
}

/** What a stored reading counts against maxBytes, by the contract. */
export function storedBytes(r: Reading): number {
  return KEY_BYTES + Buffer.byteLength(JSON.stringify(r));
}

export class FakeClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

/**
 * The ReadingLog contract (types.ts), run against every implementation
 * (STYLE.md: one conformance suite).
 */
export function describeReadingLog(name: string, openFresh: OpenFreshLog): void {
  const open = async (bounds: ReadingLogBounds = {}) => openFresh(bounds);

  describe(`ReadingLog conformance: ${name}`, () => {
    it('starts empty with an epoch that fits the wire schema', async () => {
      const log = await open();
      expect(epochSchema.safeParse(log.epoch).success).toBe(true);
      expect(log.stats()).toEqual({
        epoch: log.epoch,
        lastSeq: 0,
        ackedUpTo: 0,
        pending: 0,
        dropped: 0,
        droppedUpTo: 0,
        bytes: 0,
      });
      expect(await log.read(1, 10)).toEqual([]);
      await log.close();
    });

    it('assigns consecutive seqs from 1 across appends; an empty append changes nothing', async () => {
      const log = await open();
      expect(await log.append(readings(1, 3))).toEqual({ firstSeq: 1, lastSeq: 3 });
      expect(await log.append(readings(4, 2))).toEqual({ firstSeq: 4, lastSeq: 5 });
      expect(await log.append([])).toEqual({ firstSeq: 6, lastSeq: 5 });
      const all = await log.read(1, 100);
      expect(all.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[3]).toEqual({ ...reading(4), seq: 4 });
      expect(log.stats()).toMatchObject({ lastSeq: 5, pending: 5 });
      expect(log.stats().bytes).toBe(all.reduce((sum, r) => sum + storedBytes(r), 0));
      await log.close();
    });

    it('serializes concurrent appends into disjoint consecutive ranges', async () => {
      const log = await open();
      const ranges = await Promise.all(
        Array.from({ length: 8 }, (_, i) => log.append(readings(i * 10, i + 1))),
      );
      ranges.sort((a, b) => a.firstSeq - b.firstSeq);
      let next = 1;
      for (const range of ranges) {
        expect(range.firstSeq).toBe(next);
        next = range.lastSeq + 1;
      }
      expect(log.stats().lastSeq).toBe(36);
      expect((await log.read(1, 100)).map((r) => r.seq)).toEqual(
        Array.from({ length: 36 }, (_, i) => i + 1),
      );
      await log.close();
    });

    it('reads from a seq, in order, limited by count and by bytes but never empty', async () => {
      const log = await open();
      await log.append(readings(1, 10));
      expect((await log.read(4, 3)).map((r) => r.seq)).toEqual([4, 5, 6]);
      expect((await log.read(9, 100)).map((r) => r.seq)).toEqual([9, 10]);
      expect(await log.read(11, 100)).toEqual([]);
      expect(await log.read(1, 0)).toEqual([]);
      const one = JSON.stringify((await log.read(1, 1))[0]).length;
      expect((await log.read(1, 100, 2 * one + 1)).map((r) => r.seq)).toEqual([1, 2]);
      expect((await log.read(1, 100, 1)).map((r) => r.seq)).toEqual([1]);
      await log.close();
    });

    it('readEncoded gives the same selection as wire JSON, with its seq range', async () => {
      const log = await open();
      await log.append(readings(1, 10));
      const run = await log.readEncoded(4, 3);
      expect(run).toMatchObject({ firstSeq: 4, lastSeq: 6, count: 3 });
      const json = readingLines(run.chunks);
      expect(json.map((j) => JSON.parse(j))).toEqual(await log.read(4, 3));
      // In the wire's key order, which the central's fast path reads.
      expect(json[0]).toMatch(
        /^\{"seq":4,"deviceId":"meter-1","ts":\d+,"quality":"good","values":\{/,
      );
      const one = json[0]?.length ?? 0;
      expect(await log.readEncoded(1, 100, 2 * one + 1)).toMatchObject({
        firstSeq: 1,
        lastSeq: 2,
        count: 2,
      });
      expect(await log.readEncoded(1, 100, 1)).toMatchObject({ firstSeq: 1, lastSeq: 1, count: 1 });
      expect(await log.readEncoded(11, 100)).toEqual({
        firstSeq: 0,
        lastSeq: 0,
        count: 0,
        chunks: [],
      });
      // After an ack the run starts at the oldest pending seq, not at the seq asked for.
      await log.ack(5);
      expect(await log.readEncoded(2, 3)).toMatchObject({ firstSeq: 6, lastSeq: 8, count: 3 });
      await log.close();
    });

    it('acks delete up to the mark, idempotently; seqs are never reused', async () => {
      const log = await open();
      await log.append(readings(1, 10));
      await log.ack(4);
      expect(log.stats()).toMatchObject({ ackedUpTo: 4, pending: 6 });
      expect((await log.read(1, 100)).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
      await log.ack(4);
      await log.ack(2);
      expect(log.stats()).toMatchObject({ ackedUpTo: 4, pending: 6 });
      await log.ack(10);
      expect(log.stats()).toMatchObject({ ackedUpTo: 10, pending: 0, bytes: 0 });
      expect(await log.append(readings(11, 1))).toEqual({ firstSeq: 11, lastSeq: 11 });
      await log.close();
    });

    it('clamps an ack beyond the last seq to the last seq', async () => {
      const log = await open();
      await log.append(readings(1, 3));
      await log.ack(99);
      expect(log.stats()).toMatchObject({ ackedUpTo: 3, pending: 0, lastSeq: 3 });
      expect(await log.append(readings(4, 1))).toEqual({ firstSeq: 4, lastSeq: 4 });
      await log.close();
    });

    it('drops the oldest pending readings beyond maxBytes and counts every drop', async () => {
      const probe = await open();
      await probe.append(readings(1, 1));
      const size = probe.stats().bytes; // readings 1..9 all encode to the same size
      await probe.close();

      const log = await open({ maxBytes: size * 4 });
      await log.append(readings(1, 4));
      expect(log.stats()).toMatchObject({ dropped: 0, droppedUpTo: 0, pending: 4 });
      await log.append(readings(5, 2));
      expect(log.stats()).toMatchObject({ dropped: 2, droppedUpTo: 2, pending: 4, lastSeq: 6 });
      expect(log.stats().bytes).toBe(size * 4);
      expect((await log.read(1, 100)).map((r) => r.seq)).toEqual([3, 4, 5, 6]);
      await log.ack(4);
      await log.append(readings(7, 3));
      // 5..9 is five readings: one more drop, counted on top of the earlier two.
      expect(log.stats()).toMatchObject({ dropped: 3, droppedUpTo: 5, pending: 4, ackedUpTo: 4 });
      expect((await log.read(1, 100)).map((r) => r.seq)).toEqual([6, 7, 8, 9]);
      await log.close();
    });

    it('drops pending readings older than maxAgeMs by the clock, oldest first', async () => {
      const clock = new FakeClock(1_000_000);
      const log = await open({ maxAgeMs: 60_000, clock });
      await log.append(readings(1, 3, 1_000_000));
      clock.ms += 30_000;
      await log.append(readings(4, 2, clock.ms));
      expect(log.stats()).toMatchObject({ dropped: 0, pending: 5 });
      clock.ms += 45_000; // the first three are now 75 s old, the last two 45 s
      await log.append(readings(6, 1, clock.ms));
      expect(log.stats()).toMatchObject({ dropped: 3, droppedUpTo: 3, pending: 3, lastSeq: 6 });
      expect((await log.read(1, 100)).map((r) => r.seq)).toEqual([4, 5, 6]);
      await log.close();
    });

    it('rejects bad bounds with GL_CONFIG_INVALID', async () => {
      await expect(open({ maxBytes: 0 })).rejects.toSatisfy((err) =>
        isGridlinkError(err, 'GL_CONFIG_INVALID'),
      );
    });

    it('refuses use after close with a GridlinkError', async () => {
      const log = await open();
      await log.close();
      await expect(log.append(readings(1, 1))).rejects.toSatisfy((err) => isGridlinkError(err));
      await expect(log.read(1, 1)).rejects.toSatisfy((err) => isGridlinkError(err));
      await expect(log.ack(1)).rejects.toSatisfy((err) => isGridlinkError(err));
      await log.close();
    });
  });
}
