/**
 * The poison-reading fault: invalid readings in an edge's log. The edge's drivers refuse them
 * where they are born, so a real edge's log should never hold one; this fault puts them there
 * anyway, past that check, by decorating the log port the harness hands the producer and the
 * uplink (no production flag or variable arms it). The central must set each aside under its
 * seq, store the rest, and keep the stream flowing: quarantined = poisoned, nothing lost.
 */
import type { NewReading, ReadingLog } from '@gridlink/edge';

const HOUR = 3_600_000;

/**
 * One kind of poison each: what a broken meter, driver or hostile edge could send. Each fails the
 * central's reading check (docs/WIRE.md, "Readings the central sets aside").
 */
export const POISON: ReadonlyArray<(r: NewReading) => unknown> = [
  (r) => ({ ...r, ts: 0 }), // 1970: before the window
  (r) => ({ ...r, ts: 1e20 }), // not a safe integer
  (r) => ({ ...r, ts: 253_402_300_800_000 }), // year 10000
  (r) => ({ ...r, ts: 8.7e15 }), // year 277,662
  (r) => ({ ...r, ts: Date.now() + 48 * HOUR }), // two days ahead of the central's clock
  (r) => ({ ...r, deviceId: undefined }), // no deviceId
  (r) => ({ ...r, deviceId: 'no spaces allowed' }),
  (r) => ({ ...r, values: { ...r.values, energy_import: 'NaN' } }), // a string value
  (r) => ({ ...r, quality: 'excellent' }),
];

export interface PoisoningLog extends ReadingLog {
  /** Seqs whose reading was replaced by poison, in order. */
  readonly poisoned: readonly number[];
}

/**
 * `log`, with each appended reading replaced by poison with probability `rate` (a seeded draw,
 * the kind chosen in turn). The log stores what it is given, as it does for any reading.
 */
export function poisoningLog(
  log: ReadingLog,
  options: { rate: number; random: () => number },
): PoisoningLog {
  const poisoned: number[] = [];
  let kind = 0;
  return {
    get epoch() {
      return log.epoch;
    },
    poisoned,
    async append(readings) {
      const hits: number[] = [];
      const out = readings.map((r, i) => {
        if (options.random() >= options.rate) return r;
        hits.push(i);
        const make = POISON[kind++ % POISON.length] as (r: NewReading) => unknown;
        return make(r) as NewReading;
      });
      const result = await log.append(out);
      for (const i of hits) poisoned.push(result.firstSeq + i);
      return result;
    },
    read: (fromSeq, maxCount, maxBytes) => log.read(fromSeq, maxCount, maxBytes),
    readEncoded: (fromSeq, maxCount, maxBytes) => log.readEncoded(fromSeq, maxCount, maxBytes),
    ack: (upTo) => log.ack(upTo),
    stats: () => log.stats(),
    close: () => log.close(),
  };
}
