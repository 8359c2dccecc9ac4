import type { Reading } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { copyRows, dropRows, KnownIds } from './copy-rows.js';

const reading = (seq: number, ts: number, deviceId = 'm1'): Reading => ({
  seq,
  deviceId,
  ts,
  quality: 'good',
  values: { voltage_l1: 220.5, energy_import: seq * 0.1 },
});
const lines = (rows: Uint8Array | undefined) =>
  Buffer.from(rows ?? [])
    .toString('utf8')
    .split('\n');

describe('copyRows', () => {
  it('writes one tab-separated line per reading: stream, seq, meter, ISO time, quality, values', () => {
    const rows = copyRows(
      4,
      [reading(1, 1_767_225_600_005), reading(2, 1_767_225_600_050, 'm2')],
      (d) => (d === 'm1' ? 10 : 11),
    );
    expect(lines(rows)).toEqual([
      '4\t1\t10\t2026-01-01T00:00:00.005Z\tgood\t{"voltage_l1":220.5,"energy_import":0.1}',
      '4\t2\t11\t2026-01-01T00:00:00.050Z\tgood\t{"voltage_l1":220.5,"energy_import":0.2}',
      '',
    ]);
    expect(rows?.byteOffset).toBe(0);
    expect(rows?.buffer.byteLength).toBe(rows?.byteLength); // its own buffer: transferable
  });

  it('formats every timestamp as Date#toISOString does, across seconds and back', () => {
    const stamps = [0, 1, 999, 1000, 1001, 59_999, 60_000, 1_767_225_599_999, 1_767_225_600_000];
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      stamps.push(1_700_000_000_000 + (x % 200_000_000_000), 1_767_225_600_000 + (x % 3000));
    }
    const rows = copyRows(
      1,
      stamps.map((ts, i) => reading(i + 1, ts)),
      () => 1,
    );
    expect(
      lines(rows)
        .slice(0, -1)
        .map((l) => l.split('\t')[3]),
    ).toEqual(stamps.map((ts) => new Date(ts).toISOString()));
  });

  it('gives up (JSON goes instead) for a device without a known meter or a time past year 9999', () => {
    expect(
      copyRows(1, [reading(1, 0), reading(2, 0, 'new')], (d) => (d === 'm1' ? 1 : undefined)),
    ).toBe(undefined);
    expect(copyRows(1, [reading(1, 253_402_300_799_999)], () => 1)).toBeDefined();
    expect(copyRows(1, [reading(1, 253_402_300_800_000)], () => 1)).toBeUndefined();
  });

  it('drops leading rows whole (a batch straddling the mark)', () => {
    const rows = copyRows(
      1,
      [1, 2, 3].map((s) => reading(s, s)),
      () => 1,
    ) as Buffer;
    expect(lines(dropRows(rows, 2))[0]?.split('\t')[1]).toBe('3');
    expect(dropRows(rows, 0)).toEqual(rows);
    expect(dropRows(rows, 3).byteLength).toBe(0);
    expect(() => dropRows(rows, 4)).toThrow(/fewer than 4 rows/);
  });
});

describe('KnownIds', () => {
  it('knows what it was taught, per edge', () => {
    const ids = new KnownIds();
    ids.learn({ edgeId: 'e1', epoch: 'ep-00001', streamId: 3, meters: [['m1', 7]] });
    expect(ids.stream('e1', 'ep-00001')).toBe(3);
    expect(ids.stream('e1', 'ep-00002')).toBeUndefined();
    expect(ids.meter('e1', 'm1')).toBe(7);
    expect(ids.meter('e2', 'm1')).toBeUndefined();
  });
});
