import { describe, expect, it } from 'vitest';
import { instantOfWall, parseMeterTime } from './meter-time.js';

const iso = (t: number) => new Date(t).toISOString();

describe('meter times', () => {
  it('fractional epoch seconds (time.time()), as JSON numbers or text, kept to the millisecond', () => {
    expect(parseMeterTime(1764950400.123456, 'UTC')).toBe(1764950400123);
    expect(parseMeterTime('1764950400.123456', 'UTC')).toBe(1764950400123);
    expect(parseMeterTime('1764950400.9996', 'UTC')).toBe(1764950401000);
    expect(parseMeterTime('1764950400.5', 'America/Bahia')).toBe(1764950400500);
    // Integer seconds and milliseconds as before.
    expect(parseMeterTime(1764950400, 'UTC')).toBe(1764950400000);
    expect(parseMeterTime('1764950400000', 'UTC')).toBe(1764950400000);
    for (const bad of ['1764950400.', '.5', '1764950400.12.3', '1e9', 'NaN'])
      expect(() => parseMeterTime(bad, 'UTC')).toThrow(/is not a time/);
  });

  it('wall-clock time in the site zone: America/Bahia is UTC-3 all year', () => {
    expect(iso(parseMeterTime('2025-12-05 10:00:00', 'America/Bahia'))).toBe(
      '2025-12-05T13:00:00.000Z',
    );
    expect(iso(parseMeterTime('2025-07-05 10:00:00.250', 'America/Bahia'))).toBe(
      '2025-07-05T13:00:00.250Z',
    );
    expect(iso(parseMeterTime('2025-12-05T10:00:00', 'UTC'))).toBe('2025-12-05T10:00:00.000Z');
    // A fixed offset (the deprecated localTimeOffsetMinutes) still reads the same way.
    expect(parseMeterTime('2025-12-05 10:00:00', -180)).toBe(
      parseMeterTime('2025-12-05 10:00:00', 'America/Bahia'),
    );
    // Sub-minute fields out of range are no time.
    expect(() => parseMeterTime('2025-12-05 10:61:00', 'UTC')).toThrow(/is not a time/);
  });

  it('daylight saving time by Intl: summer and winter offsets, the skipped and repeated hours', () => {
    // São Paulo kept DST until 2019: UTC-2 in January 2018, UTC-3 in July.
    expect(iso(parseMeterTime('2018-01-15 12:00:00', 'America/Sao_Paulo'))).toBe(
      '2018-01-15T14:00:00.000Z',
    );
    expect(iso(parseMeterTime('2018-07-15 12:00:00', 'America/Sao_Paulo'))).toBe(
      '2018-07-15T15:00:00.000Z',
    );
    // New York, 2024-03-10: 02:00-02:59 never happened; read with the offset before the jump.
    expect(iso(parseMeterTime('2024-03-10 02:30:00', 'America/New_York'))).toBe(
      '2024-03-10T07:30:00.000Z',
    );
    // 2024-11-03: 01:30 happened twice; the earlier instant (EDT) is taken.
    expect(iso(parseMeterTime('2024-11-03 01:30:00', 'America/New_York'))).toBe(
      '2024-11-03T05:30:00.000Z',
    );
    expect(iso(parseMeterTime('2024-11-03 02:30:00', 'America/New_York'))).toBe(
      '2024-11-03T07:30:00.000Z',
    );
    // Round trip over a year of hours in a DST zone: every unambiguous wall time maps back.
    const f = new Intl.DateTimeFormat('sv-SE', {
      timeZone: 'Europe/Berlin',
      dateStyle: 'short',
      timeStyle: 'medium',
    });
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 5 * 3_600_000) {
      const wall = f.format(new Date(t));
      const back = parseMeterTime(wall, 'Europe/Berlin');
      // Ambiguous hours map to the earlier instant; all others exactly back.
      expect(back === t || back === t - 3_600_000).toBe(true);
      expect(f.format(new Date(back))).toBe(wall);
    }
  });

  it('years 0-99 are taken literally in a zone too', () => {
    expect(iso(instantOfWall('UTC', Date.UTC(2000, 0, 1)))).toBe('2000-01-01T00:00:00.000Z');
    expect(new Date(parseMeterTime('0099-12-31 21:00:00', 'America/Bahia')).getUTCFullYear()).toBe(
      99,
    );
  });
});
