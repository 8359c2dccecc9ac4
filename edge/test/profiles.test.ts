import { getProfile, listProfiles, planBlocks } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { commandWrite } from '../src/drivers/index.js';

describe('shipped profiles', () => {
  it('every profile validates and plans into legal block reads (≤ 125 registers)', () => {
    const ids = listProfiles().map((p) => p.id);
    expect(ids).toEqual(
      expect.arrayContaining(['eastron-sdm120', 'eastron-sdm630', 'gridlink-charger']),
    );
    for (const p of listProfiles()) {
      for (const b of planBlocks(p.fields)) expect(b.count, p.id).toBeLessThanOrEqual(125);
    }
  });

  it('SDM120 follows the Eastron map: float32 ABCD input registers at the published addresses', () => {
    const p = getProfile('eastron-sdm120');
    const at = Object.fromEntries(p.fields.map((f) => [f.name, f.address]));
    expect(at).toEqual({
      voltage: 0x0000,
      current: 0x0006,
      power: 0x000c,
      apparent_power: 0x0012,
      reactive_power: 0x0018,
      power_factor: 0x001e,
      frequency: 0x0046,
      energy_import: 0x0048,
      energy_export: 0x004a,
      energy_total: 0x0156,
    });
    for (const f of p.fields) expect(f).toMatchObject({ fn: 4, type: 'float32', order: 'ABCD' });
    // With the default max gap of 10 registers: three block reads.
    expect(planBlocks(p.fields).map((b) => [b.start, b.count])).toEqual([
      [0, 32],
      [0x46, 6],
      [0x156, 2],
    ]);
  });

  it('the GridLink charger documents its status enum and its commands resolve to writes', () => {
    const p = getProfile('gridlink-charger');
    expect(p.fields.find((f) => f.name === 'status')?.enum).toEqual({
      '0': 'available',
      '1': 'preparing',
      '2': 'charging',
      '3': 'finishing',
      '4': 'reserved',
      '5': 'faulted',
      '6': 'unavailable',
    });
    expect(p.commands.map((c) => c.name)).toEqual([
      'start',
      'stop',
      'reserve',
      'cancel_reservation',
      'set_current_limit',
    ]);
    const w = commandWrite(p, 'set_current_limit', 6.5, 3, 500);
    expect(w).toMatchObject({ unitId: 3, fn: 16, start: 256 });
    expect([...(w.data as Buffer)]).toEqual([0x00, 0x41]); // 65 × 0.1 A
    expect(commandWrite(p, 'cancel_reservation', 99, 3, 500).data).toEqual(Buffer.from([0, 0]));
    expect(() => commandWrite(p, 'set_current_limit', 5, 3, 500)).toThrow(
      expect.objectContaining({ code: 'GL_COMMAND_INVALID' }),
    );
    expect(() => commandWrite(p, 'set_current_limit', Number.NaN, 3, 500)).toThrow(
      expect.objectContaining({ code: 'GL_COMMAND_INVALID' }),
    );
  });
});
