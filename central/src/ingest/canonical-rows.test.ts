import { DEFAULT_CENTRAL_WINDOW, isGridlinkError, seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { canonicalCopyRows } from './canonical-rows.js';
import { KnownIds } from './copy-rows.js';
import { type DecodedBatch, parseTelemetry } from './decoded-batch.js';

const MAX_BYTES = 1_000_000;
const ids = new KnownIds();
ids.learn({
  edgeId: 'e1',
  epoch: 'epoch-0001',
  streamId: 3,
  meters: [
    ['m1', 10],
    ['m2', 11],
    ['dev.a-b_c', 12],
  ],
});

/** The central's clock: a day after the readings' times (2026-01-01), an hour of skew allowed. */
const NOW = 1_767_225_600_000 + 86_400_000;
const check = { window: DEFAULT_CENTRAL_WINDOW, nowMs: NOW };
const NOT_AFTER = NOW + DEFAULT_CENTRAL_WINDOW.maxFutureSkewMs;
const NOT_BEFORE = DEFAULT_CENTRAL_WINDOW.notBeforeMs;

const fast = (text: string) => canonicalCopyRows('e1', Buffer.from(text, 'utf8'), ids, check);
/** The full path's verdict: the batch (with any readings set aside), or the error code. */
const full = (text: string): DecodedBatch | string => {
  try {
    return parseTelemetry('e1', Buffer.from(text, 'utf8'), MAX_BYTES, { ids, check });
  } catch (err) {
    return isGridlinkError(err) ? err.code : String(err);
  }
};

const rowsOf = (b: DecodedBatch) => {
  if (b.rows.kind !== 'copy') throw new Error('expected COPY rows');
  return Buffer.from(b.rows.text).toString('utf8');
};

/**
 * The fast path's batch against the full path's: the same header, devices and rows, the values
 * of each row the same names with the same doubles (byte for byte when `exact`).
 */
function expectSame(text: string, exact: boolean): void {
  const f = fast(text) as DecodedBatch;
  const F = full(text);
  if (typeof F === 'string')
    throw new Error(`fast path accepted what the full path rejects (${F}): ${text}`);
  const { rows: _r, ...head } = f;
  const { rows: _R, ...Head } = F;
  expect(head).toEqual(Head);
  if (exact) {
    expect(rowsOf(f)).toBe(rowsOf(F));
    return;
  }
  const lines = rowsOf(f).split('\n');
  const Lines = rowsOf(F).split('\n');
  expect(lines.length).toBe(Lines.length);
  lines.forEach((line, i) => {
    const cols = line.split('\t');
    const Cols = (Lines[i] as string).split('\t');
    expect(cols.slice(0, 5)).toEqual(Cols.slice(0, 5));
    if (cols[5] !== undefined) expect(JSON.parse(cols[5])).toEqual(JSON.parse(Cols[5] as string));
  });
}

interface Reading {
  seq: number;
  deviceId: string;
  ts: number;
  quality: string;
  values: Record<string, number>;
}

const batchText = (readings: Reading[], over: Record<string, unknown> = {}) =>
  JSON.stringify({
    edgeId: 'e1',
    epoch: 'epoch-0001',
    firstSeq: readings[0]?.seq ?? 1,
    lastSeq: readings.at(-1)?.seq ?? 1,
    dropped: 4,
    droppedUpTo: 2,
    readings,
    ...over,
  });

const readings = (firstSeq: number, values: Array<Record<string, number>>): Reading[] =>
  values.map((v, i) => ({
    seq: firstSeq + i,
    deviceId: ['m1', 'm2', 'dev.a-b_c'][i % 3] as string,
    ts: 1_767_225_600_000 + i * 337,
    quality: ['good', 'uncertain', 'bad'][i % 3] as string,
    values: v,
  }));

/** Doubles as meters and scaling make them, and the edges of what prints without an exponent. */
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  220.1,
  220.1 + 0.6,
  0.1 + 0.2,
  2201 * 0.1,
  12.34 * 1000,
  -7.25,
  3400.5,
  60.01,
  0.000001,
  0.0000123,
  -0.0000012345678901234567,
  123456789.12345678,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1e16,
  1e17,
  1e20,
  1e21,
  1e-7,
  5e-324,
  1.7976931348623157e308,
  -1e-6,
  1 / 3,
  2 / 3,
  100,
  1000000,
];

describe('canonicalCopyRows (the fast path)', () => {
  it('reads batches as the edge writes them into the rows the full path writes, byte for byte', () => {
    // Numbers JavaScript prints with an exponent go the full path.
    const printable = NUMBERS.filter((n) => /^-?[0-9.]+$/.test(String(n)));
    expect(printable.length).toBeGreaterThan(20);
    const values = printable.map((n, i) => ({ voltage_l1: n, energy_import: i * 0.01, x9_y: -n }));
    const text = batchText(readings(41, [...values, {}]));
    expect(fast(text)).toBeDefined();
    for (const n of NUMBERS) {
      const one = batchText(readings(7, [{ a: n }]));
      if (printable.includes(n)) expectSame(one, true);
      else expect([String(n), fast(one)]).toEqual([String(n), undefined]);
    }
    expectSame(text, true);
    // Random doubles of every magnitude a meter gives.
    const next = seededRandom(7);
    const random = Array.from({ length: 400 }, () => ({
      v: (next() - 0.5) * 10 ** Math.floor(next() * 12),
      w: Math.round(next() * 1e6) / 10 ** Math.floor(next() * 4),
    }));
    expectSame(batchText(readings(1000, random)), true);
  });

  it('keeps the batch header, the devices once in order of appearance, and seqs up to 2^53 - 1', () => {
    const top = Number.MAX_SAFE_INTEGER;
    const text = batchText(readings(top - 3, [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]));
    const f = fast(text) as DecodedBatch;
    expect(f).toMatchObject({ firstSeq: top - 3, lastSeq: top, dropped: 4, droppedUpTo: 2 });
    expect(f.deviceIds).toEqual(['m1', 'm2', 'dev.a-b_c']);
    expectSame(text, true);
  });

  it('leaves to the full path what it does not know: a new stream or device, a time outside the window', () => {
    const one = (r: Partial<Reading>, over: Record<string, unknown> = {}) =>
      batchText([{ ...(readings(1, [{ a: 1 }])[0] as Reading), ...r }], over);
    expect(fast(one({}))).toBeDefined();
    expect(fast(one({ deviceId: 'm9' }))).toBeUndefined();
    expect(fast(one({}, { epoch: 'epoch-0002' }))).toBeUndefined();
    expect(fast(one({}, { edgeId: 'e2' }))).toBeUndefined(); // the full path: GL_EDGE_MISMATCH
    // The window's edges are inside it; one millisecond beyond goes to the full path, which
    // sets the reading aside.
    for (const [ts, inside] of [
      [NOT_BEFORE, true],
      [NOT_AFTER, true],
      [NOT_BEFORE - 1, false],
      [NOT_AFTER + 1, false],
      [0, false],
      [253_402_300_799_999, false], // the last ms of year 9999
      [253_402_300_800_000, false], // year 10000
      [8_700_000_000_000_000, false], // year 277,662 (beyond what the regex reads as a count)
    ] as const) {
      const text = one({ ts });
      expect([ts, fast(text) !== undefined]).toEqual([ts, inside]);
      const F = full(text) as DecodedBatch;
      expect([ts, F.quarantine.length]).toEqual([ts, inside ? 0 : 1]);
      if (inside) expectSame(text, true);
    }
  });

  it('never accepts what the full path rejects, and stores what it would, over mutated payloads', () => {
    const base = batchText(
      readings(
        20,
        NUMBERS.slice(0, 12).map((n, i) => ({ voltage_l1: n, power_total: 100 + i })),
      ),
    );
    const tokens = [
      '1.50',
      '-0',
      '-0.0',
      '0.0',
      '01',
      '1.',
      '.5',
      '+1',
      '1e2',
      '1E2',
      '1e400',
      '-1e400',
      '0.0000001',
      '0.10000000000000001',
      '123456789012345678',
      '1234567890123456789',
      '00',
      '-',
      'NaN',
      'Infinity',
      '0x10',
      '1_0',
      '9007199254740993',
      '"1"',
      'null',
      'true',
      '[]',
      '{}',
      '12345678901234567',
      '0.00000000000000001',
      '-12.5',
      '7',
    ];
    const texts = [
      ' ',
      '\n',
      '"',
      '\\',
      ',',
      '}',
      ']',
      '{',
      ':',
      '0',
      '9',
      '-',
      '.',
      'a',
      'Z',
      'é',
      '\\u0031',
      '"x":1,',
      ',"a":1',
      ',"extra":0',
      '\t',
    ];
    const outOfWindow = [
      0,
      NOT_BEFORE - 1,
      NOT_BEFORE,
      NOT_AFTER,
      NOT_AFTER + 1,
      253_402_300_800_000,
      8_700_000_000_000_000,
      1e20,
    ].map(String);
    const next = seededRandom(4242);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const at = (s: string) => Math.floor(next() * (s.length + 1));
    const numberSpans = (s: string) => [...s.matchAll(/(?<=:)-?[0-9][0-9.eE+-]*/g)];
    const edits: Array<(s: string) => string> = [
      (s) => {
        const m = pick(numberSpans(s));
        return `${s.slice(0, m.index)}${pick(tokens)}${s.slice((m.index ?? 0) + m[0].length)}`;
      },
      (s) => {
        const i = at(s);
        return s.slice(0, i) + pick(texts) + s.slice(i);
      },
      (s) => {
        const i = Math.floor(next() * s.length);
        return s.slice(0, i) + s.slice(i + 1 + Math.floor(next() * 3));
      },
      (s) => s.replace(/"voltage_l1":([^,}]*)/, (m, v) => `${m},"voltage_l1":${v}1`),
      (s) => s.replace(/"power_total"/, '"voltage_l1"'),
      (s) => s.replace(/"seq":(\d+)/, (_m, v) => `"seq":${Number(v) + pick([1, -1, 1000])}`),
      (s) =>
        s.replace(
          pick(['"m1"', '"m2"', '"good"', '"epoch-0001"', '"e1"']),
          pick(['"m\\u0031"', '"M1"', '".m1"', `"${'m'.repeat(65)}"`, '"Good"', '""', '1']),
        ),
      (s) =>
        s.replace(
          pick(['"ts":', '"lastSeq":', '"firstSeq":', '"dropped":', '"droppedUpTo":']),
          (k) => `${k}-1,"_":`,
        ),
      (s) => s.replace(/,"droppedUpTo":\d+/, ''),
      // A reading's time moved to or beyond the window's edges, or out of any plausible range.
      (s) =>
        s.replace(
          pick([/"ts":\d+/, /"ts":\d+(?=,"quality":"bad")/, /"ts":\d+(?=,"quality":"uncertain")/]),
          `"ts":${pick(outOfWindow)}`,
        ),
      (s) => s.slice(0, at(s)),
      (s) => `${s}${pick([' ', ']}', '\n'])}`,
    ];
    let accepted = 0;
    let declinedValid = 0;
    let rejected = 0;
    let quarantined = 0;
    for (let i = 0; i < 3000; i++) {
      let text = base;
      for (let k = 1 + Math.floor(next() * 2); k > 0; k--) text = pick(edits)(text);
      const f = fast(text);
      const F = full(text);
      if (typeof F === 'string') {
        rejected++;
        if (f)
          throw new Error(
            `case ${i}: fast path accepted what the full path rejects (${F}): ${text}`,
          );
        continue;
      }
      if (F.quarantine.length > 0) {
        quarantined++;
        if (f)
          throw new Error(
            `case ${i}: fast path accepted what the full path sets aside (${F.quarantine[0]?.message}): ${text}`,
          );
        continue;
      }
      if (!f) {
        declinedValid++;
        continue;
      }
      accepted++;
      expectSame(text, false);
    }
    // Every verdict was reached many times: the comparison is not vacuous.
    expect(Math.min(accepted, declinedValid, rejected, quarantined)).toBeGreaterThan(100);
  });

  it('copies a values text as sent only when it stands for the doubles the full path stores', () => {
    const one = (values: string) =>
      `{"edgeId":"e1","epoch":"epoch-0001","firstSeq":1,"lastSeq":1,"dropped":0,"droppedUpTo":0,"readings":[{"seq":1,"deviceId":"m1","ts":${NOW},"quality":"good","values":${values}}]}`;
    const accepted = (values: string) => fast(one(values)) !== undefined;
    expect(accepted('{"a":1.5,"b":-2,"c":0}')).toBe(true);
    expect(accepted('{"a":0.10000000000000001}')).toBe(true); // the double 0.1
    expectSame(one('{"a":0.10000000000000001}'), false);
    // A name given twice: the last value, as JSON.parse keeps it (and jsonb).
    expect(accepted('{"a":1,"a":2}')).toBe(true);
    expectSame(one('{"a":1,"a":2}'), false);
    for (const declined of [
      '{"a":1.50}',
      '{"a":-0}',
      '{"a":1e2}',
      '{"a":12345678901234567890123456}',
      '{"A":1}',
      '{"a":1,}',
      '{"a":"1"}',
      '{ "a":1}',
    ])
      expect([declined, accepted(declined)]).toEqual([declined, false]);
  });
});
