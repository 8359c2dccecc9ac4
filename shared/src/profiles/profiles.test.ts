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
});
