import {
  EPOCH_PATTERN,
  ID_PATTERN,
  MAX_BATCH_READINGS,
  VALUE_NAME_PATTERN,
} from '@gridlink/shared';
import type { DecodedBatch } from './batch-shape.js';
import { IsoTime, type KnownIds, MAX_ISO_MS } from './copy-rows.js';
import type { ReadingCheck } from './telemetry-envelope.js';

/**
 * The ingest's fast path (docs/WIRE.md, "How the central stores a batch"): COPY rows read off the
 * text of a telemetry payload in the form the edge writes (`JSON.stringify` of the batch: fixed
 * key order, no whitespace, no escapes), without JSON.parse and without re-encoding the values.
 * Each reading is matched by one regular expression, which V8 compiles to native code.
 *
 * It accepts a batch only when the full path (parse, `acceptTelemetryBatch`, `copyRows`) would
 * accept it and store the same rows; anything else, valid or not, returns undefined and takes
 * the full path, which gives the verdict and the error. The values object is copied as sent, so
 * its numbers are restricted to plain decimals of at most 25 characters (every number JavaScript
 * prints without an exponent; finite), without a trailing zero after a point and not -0 (both
 * print shorter). For numbers as
 * JavaScript prints them (every GridLink edge) the row is byte for byte the one the full path
 * writes; another sender's longer text (`0.10000000000000001`) reads back as the same double.
 * A name given twice is kept once, its last value, by JSON.parse and by jsonb alike.
 * A time outside the reading window (`check`) sends the batch to the full path, which sets the
 * reading aside: two comparisons of a number per reading.
 * canonical-rows.test.ts holds the two paths to that over mutated payloads.
 */
export function canonicalCopyRows(
  edgeId: string,
  json: Buffer,
  ids: KnownIds,
  check: ReadingCheck,
): DecodedBatch | undefined {
  // One byte, one character: a byte beyond ASCII matches no pattern below.
  const text = json.toString('latin1');
  HEADER.lastIndex = 0;
  const head = HEADER.exec(text);
  if (!head || head[1] !== edgeId) return undefined;
  const epoch = head[2] as string;
  const firstSeq = Number(head[3]);
  const lastSeq = Number(head[4]);
  const dropped = Number(head[5]);
  const droppedUpTo = Number(head[6]);
  for (const n of [firstSeq, lastSeq, dropped, droppedUpTo])
    if (!Number.isSafeInteger(n)) return undefined;
  if (lastSeq < firstSeq) return undefined;
  if (lastSeq - firstSeq >= MAX_BATCH_READINGS) return undefined;
  const streamId = ids.stream(edgeId, epoch);
  if (streamId === undefined) return undefined;

  const notBefore = check.window.notBeforeMs;
  const notAfter = Math.min(check.nowMs + check.window.maxFutureSkewMs, MAX_ISO_MS);
  const stream = `${streamId}\t`;
  /** deviceId -> its meter id and a tab, as the row writes it. */
  const meters = new Map<string, string>();
  const iso = new IsoTime();
  let rows = '';
  let at = HEADER.lastIndex;
  for (let seq = firstSeq; ; seq++) {
    READING.lastIndex = at;
    const r = READING.exec(text);
    if (!r || Number(r[1]) !== seq) return undefined;
    const deviceId = r[2] as string;
    let meter = meters.get(deviceId);
    if (meter === undefined) {
      const id = ids.meter(edgeId, deviceId);
      if (id === undefined) return undefined;
      meter = `${id}\t`;
      meters.set(deviceId, meter);
    }
    const ts = Number(r[3]);
    if (ts < notBefore || ts > notAfter) return undefined;
    rows += `${stream}${r[1]}\t${meter}${iso.format(ts)}\t${r[4]}\t${r[5]}\n`;
    at = READING.lastIndex;
    if (seq === lastSeq) break;
    if (text.charCodeAt(at++) !== COMMA) return undefined;
  }
  if (at !== text.length - 2 || !text.endsWith(']}')) return undefined;
  const bytes = Buffer.allocUnsafeSlow(rows.length);
  bytes.write(rows, 'latin1');
  return {
    edgeId,
    epoch,
    firstSeq,
    lastSeq,
    dropped,
    droppedUpTo,
    deviceIds: [...meters.keys()],
    rows: { kind: 'copy', streamId, text: bytes },
    quarantine: [],
  };
}

const COMMA = 0x2c;

/** A schema's whole-string pattern, unanchored and grouped, to match inside a longer text. */
const inner = (pattern: RegExp) => `(?:${pattern.source.replace(/^\^/, '').replace(/\$$/, '')})`;
// The schemas' own patterns (idSchema, epochSchema, valueNameSchema), so they cannot drift,
// inside JSON strings that hold no escapes; counts as unsigned integers without leading zeros.
const ID = inner(ID_PATTERN);
const EPOCH = inner(EPOCH_PATTERN);
const NAME = inner(VALUE_NAME_PATTERN);
const SEQ = '[1-9][0-9]{0,15}';
const COUNT = '0|[1-9][0-9]{0,15}';
/**
 * A number whose text reads back as the double the full path would write: at most 25 characters
 * with the sign and the point (the longest JavaScript prints without an exponent is -0.000001
 * and 17 digits; below 1e25: finite), no exponent, no trailing zero after a point, not -0
 * (JavaScript prints it as 0).
 */
const NUMBER = '(?!-0[,}])(?=[-0-9.]{1,25}[,}])-?(?:0|[1-9][0-9]*)(?:\\.[0-9]*[1-9])?';

const HEADER = new RegExp(
  `\\{"edgeId":"(${ID})","epoch":"(${EPOCH})","firstSeq":(${SEQ}),"lastSeq":(${SEQ}),` +
    `"dropped":(${COUNT}),"droppedUpTo":(${COUNT}),"readings":\\[`,
  'y',
);
const READING = new RegExp(
  `\\{"seq":(${SEQ}),"deviceId":"(${ID})","ts":(${COUNT}),"quality":"(good|uncertain|bad)",` +
    `"values":(\\{(?:"${NAME}":${NUMBER}(?:,(?=")|(?=\\})))*\\})\\}`,
  'y',
);
