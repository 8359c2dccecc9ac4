import { decodeField, getProfile, listProfiles, planBlocks } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { commandWrite, pollView } from '../src/drivers/index.js';

describe('shipped profiles', () => {
  it('every profile validates and plans into legal block reads (≤ 125 registers)', () => {
    const ids = listProfiles().map((p) => p.id);
    expect(ids).toEqual(
      expect.arrayContaining(['eastron-sdm120', 'eastron-sdm630', 'gridlink-charger', 'keba-p30']),
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

  it('KEBA P30 (guide V1.04): uint32 holding registers, high word first, decoded to A, W, kWh', () => {
    const p = getProfile('keba-p30');
    const field = (name: string) => {
      const f = p.fields.find((x) => x.name === name);
      if (!f) return expect.unreachable(name);
      return f;
    };
    // Register pairs as they come off the wire (Modbus big-endian words, high word first).
    const fixtures: Array<[string, number[], number]> = [
      // 1000 charging state: 0x0000 0x0003 = 3, charging
      ['status', [0x00, 0x00, 0x00, 0x03], 3],
      // 1004 cable state: 7 = cable at station (1) + locked (2) + vehicle (4)
      ['plug', [0x00, 0x00, 0x00, 0x07], 7],
      // 1008 current L1: 0x00003E80 = 16000 mA = 16 A
      ['current_l1', [0x00, 0x00, 0x3e, 0x80], 16],
      // 1020 active power: 0x00A88530 = 11044144 mW = 11044.144 W
      ['power', [0x00, 0xa8, 0x85, 0x30], 11_044.144],
      // 1036 total energy: 0x075BCD15 = 123456789 × 0.1 Wh = 12345.6789 kWh (high word first)
      ['energy_total', [0x07, 0x5b, 0xcd, 0x15], 12_345.6789],
      // 1040 voltage L1: 0x000000E6 = 230 V
      ['voltage_l1', [0x00, 0x00, 0x00, 0xe6], 230],
      // 1046 power factor: 0x000003E6 = 998 × 0.1 % = 0.998
      ['power_factor', [0x00, 0x00, 0x03, 0xe6], 0.998],
      // 1502 session energy: 0x0000C822 = 51234 × 0.1 Wh = 5.1234 kWh
      ['session_energy', [0x00, 0x00, 0xc8, 0x22], 5.1234],
      // 1018 firmware 3.10.16: bytes 03 0A 10 00
      ['firmware_version', [0x03, 0x0a, 0x10, 0x00], 0x030a1000],
    ];
    for (const [name, bytes, value] of fixtures) {
      const f = field(name);
      expect(f).toMatchObject({ fn: 3, type: 'uint32', order: 'ABCD' });
      expect(decodeField(f, Buffer.from(bytes), f.address), name).toBeCloseTo(value, 9);
    }
    expect(
      p.fields
        .filter((f) => f.readable !== false)
        .map((f) => f.address)
        .sort((a, b) => a - b),
    ).toEqual([
      1000, 1004, 1006, 1008, 1010, 1012, 1014, 1016, 1018, 1020, 1036, 1040, 1042, 1044, 1046,
      1100, 1110, 1500, 1502, 1600, 1602,
    ]);
  });

  it('KEBA P30 commands are single-register writes (fn 06) of the write-only registers', () => {
    const p = getProfile('keba-p30');
    const write = (command: string, value?: number) => commandWrite(p, command, value, 255, 500);
    // 5004 set charging current, mA: 10 A → 0x2710
    expect(write('set_current_limit', 10)).toMatchObject({ unitId: 255, fn: 6, start: 5004 });
    expect([...(write('set_current_limit', 10).data as Buffer)]).toEqual([0x27, 0x10]);
    expect([...(write('set_current_limit', 63).data as Buffer)]).toEqual([0xf6, 0x18]); // 63000
    // 5010 energy limit, 10 Wh: 2.5 kWh → 250 = 0x00FA
    expect(write('set_energy', 2.5)).toMatchObject({ fn: 6, start: 5010 });
    expect([...(write('set_energy', 2.5).data as Buffer)]).toEqual([0x00, 0xfa]);
    // 5014 enable/disable; 5012 unlock
    expect(write('start')).toMatchObject({ fn: 6, start: 5014, data: Buffer.from([0, 1]) });
    expect(write('stop')).toMatchObject({ fn: 6, start: 5014, data: Buffer.from([0, 0]) });
    expect(write('unlock')).toMatchObject({ fn: 6, start: 5012 });
    for (const [command, value] of [
      ['set_current_limit', 5.9],
      ['set_current_limit', 63.1],
      ['set_energy', 655.36],
    ] as const) {
      expect(() => write(command, value)).toThrow(
        expect.objectContaining({ code: 'GL_COMMAND_INVALID' }),
      );
    }
  });

  it('the poller reads KEBA one 32-bit value per request and never its write-only registers', () => {
    const p = getProfile('keba-p30');
    const base = { id: 'k', unitId: 255, intervalMs: 1000, timeoutMs: 1000, retries: 0 };
    const view = pollView({ ...base, offlineAfter: 3, maxGap: 10, maxRegisters: 125 }, p);
    expect(view.device.maxRegisters).toBe(2);
    expect(view.profile.fields.some((f) => f.address >= 5000)).toBe(false);
    const blocks = planBlocks(view.profile.fields, {
      maxGap: view.device.maxGap,
      maxRegisters: view.device.maxRegisters,
    });
    expect(blocks).toHaveLength(21);
    for (const b of blocks) expect(b.count).toBe(2);
    // Profiles without limits pass through unchanged.
    const sdm = getProfile('eastron-sdm630');
    const plain = pollView({ ...base, offlineAfter: 3, maxGap: 10, maxRegisters: 125 }, sdm);
    expect(plain.profile).toBe(sdm);
    expect(plain.device.maxRegisters).toBe(125);
  });
});
