import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../errors/index.js';
import { getProfile, listProfiles, parseProfile } from './index.js';

describe('profiles', () => {
  it('every shipped profile validates', () => {
    expect(listProfiles().length).toBeGreaterThan(0);
  });

  it('SDM630 follows the Eastron map: float32 input registers, import energy at 30073', () => {
    const p = getProfile('eastron-sdm630');
    const energy = p.fields.find((f) => f.name === 'energy_import');
    expect(energy).toMatchObject({
      fn: 4,
      address: 0x48,
      type: 'float32',
      order: 'ABCD',
      unit: 'kWh',
    });
  });

  it('unknown profiles and bad documents fail with codes and paths', () => {
    expect(() => getProfile('nope')).toThrow(
      expect.objectContaining({ code: 'GL_PROFILE_UNKNOWN' }),
    );
    try {
      parseProfile(
        {
          id: 'x1',
          vendor: 'v',
          model: 'm',
          kind: 'meter',
          reference: 'r',
          fields: [{ name: 'a', quantity: 'q', fn: 3, address: 70000, type: 'uint16' }],
        },
        'test.json',
      );
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_PROFILE_INVALID')).toBe(true);
      expect((err as Error).message).toContain('test.json: fields.0.address');
    }
  });

  it('KEBA P30: uint32 holding registers, write-only control registers taking fn 06, 2 registers a read', () => {
    const p = getProfile('keba-p30');
    expect(p.maxRegisters).toBe(2);
    for (const f of p.fields.filter((x) => x.readable !== false))
      expect(f).toMatchObject({ fn: 3, type: 'uint32', order: 'ABCD', writable: false });
    const writeOnly = p.fields.filter((x) => x.readable === false);
    expect(writeOnly.map((f) => [f.name, f.address])).toEqual([
      ['current_setpoint', 5004],
      ['energy_limit_setpoint', 5010],
      ['unlock_plug', 5012],
      ['enable_station', 5014],
    ]);
    for (const f of writeOnly)
      expect(f).toMatchObject({ fn: 3, type: 'uint16', writable: true, writeFn: 6 });
  });

  it.each([
    [
      'writeFn on an input register',
      { fn: 4, type: 'uint16', writeFn: 6 },
      'fields.0.writeFn: is only for writable holding registers',
    ],
    [
      'fn 06 for a two-register value',
      { fn: 3, type: 'uint32', writable: true, writeFn: 6 },
      'fields.0.writeFn: 6 writes one register',
    ],
    [
      'a field that is neither readable nor writable',
      { fn: 3, type: 'uint16', readable: false },
      'fields.0.readable: a field that cannot be read must be writable',
    ],
    [
      'a field wider than maxRegisters',
      { fn: 3, type: 'float64', maxRegisters: 2 },
      'fields.0.type: a spans 4 registers, more than maxRegisters 2',
    ],
  ])('%s is GL_PROFILE_INVALID', (_what, extra, message) => {
    const { maxRegisters, ...field } = extra as Record<string, unknown>;
    try {
      parseProfile(
        {
          id: 'x1',
          vendor: 'v',
          model: 'm',
          kind: 'charger',
          reference: 'r',
          ...(maxRegisters === undefined ? {} : { maxRegisters }),
          fields: [{ name: 'a', quantity: 'q', address: 0, ...field }],
        },
        'test.json',
      );
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_PROFILE_INVALID')).toBe(true);
      expect((err as Error).message).toContain(`test.json: ${message}`);
    }
  });
});
