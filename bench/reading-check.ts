/**
 * The edge's admission check on its hot path (issue #14): every reading a driver produces goes
 * through `checkReading` (schema, finite values, time window) before the log takes it. Measured
 * per reading against the one piece of work the log itself does per reading, its JSON encoding
 * (one JSON.stringify of the reading with its seq, as `encodeNewReading` does), on the forward
 * bench's readings, in interleaved rounds. Also: the cost of the schema path a malformed reading
 * takes (zod), against the same baseline.
 */
import { checkReading, DEFAULT_EDGE_WINDOW } from '@gridlink/shared';
import type { Benchmark } from './lib/figure.js';
import { round } from './lib/figure.js';
import { benchNewReading } from './lib/forward-readings.js';

const N = 200_000;
const ROUNDS = 7;

const bench: Benchmark = async ({ log }) => {
  const readings = Array.from({ length: N }, (_, i) => benchNewReading(i + 1));
  // A reading with an unknown key takes the schema path (it is stripped, then accepted).
  const odd = readings.slice(0, N / 10).map((r) => ({ ...r, firmware: 'x' }));
  const now = readings[N - 1]?.ts ?? 0;
  let sink = 0;
  const time = (fn: () => void): number => {
    const t = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t);
  };
  const encode = (rs: typeof readings) => () => {
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i] as (typeof readings)[number];
      sink += JSON.stringify({
        seq: i + 1,
        deviceId: r.deviceId,
        ts: r.ts,
        quality: r.quality,
        values: r.values,
      }).length;
    }
  };
  const check = (rs: readonly unknown[]) => () => {
    for (const r of rs) if (checkReading(r, DEFAULT_EDGE_WINDOW, now).ok) sink++;
  };
  const best = { encode: Infinity, check: Infinity, schemaEncode: Infinity, schema: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    best.encode = Math.min(best.encode, time(encode(readings)) / N);
    best.check = Math.min(best.check, time(check(readings)) / N);
    best.schemaEncode = Math.min(best.schemaEncode, time(encode(odd)) / odd.length);
    best.schema = Math.min(best.schema, time(check(odd)) / odd.length);
  }
  log(`best of ${ROUNDS} rounds of ${N.toLocaleString('en')} readings (sink ${sink})`);
  return [
    { metric: 'log_encode_ns_per_reading', value: round(best.encode), unit: 'ns/reading' },
    {
      metric: 'edge_check_ns_per_reading',
      value: round(best.check),
      unit: 'ns/reading',
      baseline: round(best.encode),
    },
    {
      metric: 'edge_check_schema_path_ns_per_reading',
      value: round(best.schema),
      unit: 'ns/reading',
      baseline: round(best.schemaEncode),
    },
  ];
};

export default bench;
