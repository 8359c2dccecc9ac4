import { gzipSync } from 'node:zlib';
import { MAX_READING_TS, type TelemetryBatch } from '@gridlink/shared';
import { type JsonMutation, mutateJson } from './json-mutations.js';
import type { Rng } from './rng.js';

/** What was done to a batch: JSON-level damage, a reading made implausible, or the framing. */
export const TELEMETRY_CLASSES = [
  'valid',
  'readingTime',
  'readingValue',
  'json',
  'gzipJson',
  'gzipGarbage',
  'gzipBroken',
  'gzipBomb',
  'rawBytes',
] as const;
export type TelemetryClass = (typeof TELEMETRY_CLASSES)[number];

export interface TelemetryCase {
  payload: Buffer;
  kind: TelemetryClass;
  /** The JSON mutations applied (for `json` and `gzipJson`). */
  mutations: JsonMutation[];
}

export interface TelemetryCaseContext {
  edgeId: string;
  epoch: string;
  /** The case's index: its batch starts at seq index × 20 + 1 (gaps are declared dropped). */
  index: number;
  /** The clock the readings' times are drawn around. */
  nowMs: number;
}

const DEVICES = ['m-1', 'm-2', 'meter.3_x'];

let bomb: Buffer | undefined;
/** 16 MiB of spaces, gzipped (~16 KiB): inflates far past the central's 4 MiB limit. Made once. */
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20));
  return bomb;
}

/**
 * A valid batch for this case: up to 20 readings of plausible values and times. Each case's
 * batch starts 20 seqs after the previous case's, with the gap declared dropped
 * (`droppedUpTo = firstSeq - 1`), so a valid batch is stored whatever ran before it.
 */
export function validBatch(rng: Rng, c: TelemetryCaseContext): TelemetryBatch {
  const firstSeq = c.index * 20 + 1;
  const n = rng.range(1, 20);
  return {
    edgeId: c.edgeId,
    epoch: c.epoch,
    firstSeq,
    lastSeq: firstSeq + n - 1,
    dropped: firstSeq - 1,
    droppedUpTo: firstSeq - 1,
    readings: Array.from({ length: n }, (_, i) => ({
      seq: firstSeq + i,
      deviceId: rng.pick(DEVICES),
      ts: c.nowMs - rng.int(86_400_000),
      quality: rng.pick(['good', 'uncertain', 'bad'] as const),
      values: {
        voltage_l1: Math.round((210 + rng.float() * 20) * 10) / 10,
        energy_import: Math.round(rng.float() * 1e6) / 100,
      },
    })),
  };
}

/** Times outside the central's window, and at the schema's edges. */
function oddTime(rng: Rng, nowMs: number): number {
  return rng.pick([
    0,
    1,
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    Date.UTC(2000, 0, 1) - 1,
    nowMs + 60 * 60_000 + 1,
    nowMs + 86_400_000,
    Date.UTC(9999, 11, 31),
    MAX_READING_TS,
    MAX_READING_TS + 1,
    -1,
    8.64e15,
    2 ** 53,
    nowMs + 0.5,
  ]);
}

/** One payload for the fuzz edge's telemetry topic. Pure. */
export function telemetryCase(rng: Rng, c: TelemetryCaseContext): TelemetryCase {
  const batch = validBatch(rng, c);
  const kind = rng.weighted<TelemetryClass>([
    ['valid', 1],
    ['readingTime', 1.5],
    ['readingValue', 1],
    ['json', 5],
    ['gzipJson', 0.7],
    ['gzipGarbage', 0.3],
    ['gzipBroken', 0.3],
    ['gzipBomb', 0.1],
    ['rawBytes', 0.3],
  ]);
  const json = (b: unknown) => Buffer.from(JSON.stringify(b));
  const reading = rng.pick(batch.readings);
  switch (kind) {
    case 'valid':
      return { payload: json(batch), kind, mutations: [] };
    case 'readingTime':
      // One reading implausible, the envelope valid: quarantined, or the batch refused.
      reading.ts = oddTime(rng, c.nowMs);
      return { payload: json(batch), kind, mutations: [] };
    case 'readingValue': {
      const text = JSON.stringify(batch);
      const at = text.indexOf('"values":{', text.indexOf(`"seq":${reading.seq},`));
      const bad = rng.pick([
        '1e400',
        '-1e400',
        '-0',
        '1e308',
        '5e-324',
        '123456789012345678901234567890',
      ]);
      const payload = `${text.slice(0, at)}"values":{"${rng.pick(['energy_import', 'x', 'voltage_l1'])}":${bad},${text.slice(at + 10)}`;
      return { payload: Buffer.from(payload), kind, mutations: [] };
    }
    case 'json':
    case 'gzipJson': {
      const m = mutateJson(rng, batch);
      const text = Buffer.from(m.text);
      return { payload: kind === 'json' ? text : gzipSync(text), kind, mutations: m.kinds };
    }
    case 'gzipGarbage':
      return { payload: gzipSync(rng.bytes(rng.size(4096))), kind, mutations: [] };
    case 'gzipBroken': {
      const gz = gzipSync(json(batch));
      const broken = rng.chance(0.5)
        ? gz.subarray(0, 2 + rng.int(gz.length - 2))
        : Buffer.concat([gz.subarray(0, 2), rng.bytes(rng.size(512))]);
      return { payload: broken, kind, mutations: [] };
    }
    case 'gzipBomb':
      return { payload: gzipBomb(), kind, mutations: [] };
    case 'rawBytes':
      return { payload: rng.bytes(rng.size(4096)), kind, mutations: [] };
  }
}
