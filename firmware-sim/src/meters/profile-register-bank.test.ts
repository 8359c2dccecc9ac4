import { getProfile, isGridlinkError, parseProfile, type RegisterField } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { ModbusException, respondToPdu } from '../modbus/index.js';
import { ProfileRegisterBank } from './profile-register-bank.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const sdm630 = () => new ProfileRegisterBank(getProfile('eastron-sdm630'));

function exceptionOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ModbusException) return err.exceptionCode;
    throw err;
  }
  return undefined;
}

/** A small device with writable holding registers, a status word and a coil. */
const device = parseProfile({
  id: 'test-device',
  vendor: 'Test',
  model: 'T1',
  kind: 'charger',
  reference: 'test',
  fields: [
    { name: 'enabled', quantity: 'state', fn: 1, address: 0, type: 'bits', writable: true },
    { name: 'locked', quantity: 'state', fn: 1, address: 1, type: 'bits' },
    { name: 'plugged', quantity: 'state', fn: 2, address: 4, type: 'bits' },
    {
      name: 'limit',
      quantity: 'current',
      fn: 3,
      address: 10,
      type: 'uint16',
      scale: 0.1,
      writable: true,
    },
    { name: 'setpoint', quantity: 'power', fn: 3, address: 11, type: 'float32', writable: true },
    { name: 'serial', quantity: 'id', fn: 3, address: 13, type: 'uint16' },
    { name: 'fault', quantity: 'state', fn: 4, address: 0, type: 'bits', bit: 0 },
    { name: 'overheat', quantity: 'state', fn: 4, address: 0, type: 'bits', bit: 3 },
    { name: 'temperature', quantity: 'temperature', fn: 4, address: 1, type: 'int16', scale: 0.5 },
  ],
});

describe('ProfileRegisterBank (Eastron SDM630)', () => {
  it('serves a float32 ABCD field as two big-endian registers', () => {
    const bank = sdm630();
    bank.load({ voltage_l1: 230 });
    expect(
      respondToPdu(
        hex(
          '04' + //    read input registers (§6.4)
            '00 00' + // address 0 = register 30001, voltage_l1
            '00 02', //  two registers: one float32
        ),
        bank,
      ),
    ).toEqual(
      hex(
        '04' + //    function 04
          '04' + //  byte count 4
          '43 66' + // A B of float32 230.0 (0x43660000), high word first
          '00 00', //  C D
      ),
    );
  });

  it('reads the whole map in one block, gaps between fields as 0', () => {
    const bank = sdm630();
    bank.load({ power_l3: 1, power_total: 3 });
    const words = bank.readInputRegisters(0, 76); // 30001..30076: every SDM630 field
    expect(words).toHaveLength(76);
    expect([words[16], words[17]]).toEqual([0x3f80, 0x0000]); // power_l3 = 1.0
    expect(Array.from(words.subarray(18, 52)).every((w) => w === 0)).toBe(true); // undefined by the profile
    expect([words[52], words[53]]).toEqual([0x4040, 0x0000]); // power_total = 3.0
  });

  it('answers 02 for any range that reaches outside the mapped span', () => {
    const bank = sdm630();
    expect(exceptionOf(() => bank.readInputRegisters(76, 1))).toBe(0x02); // past energy_export
    expect(exceptionOf(() => bank.readInputRegisters(75, 2))).toBe(0x02); // straddles the end
    expect(exceptionOf(() => bank.readInputRegisters(74, 2))).toBeUndefined(); // energy_export
    expect(exceptionOf(() => bank.readHoldingRegisters(0, 1))).toBe(0x02); // no fn 3 fields
    expect(exceptionOf(() => bank.readCoils(0, 1))).toBe(0x02);
    expect(exceptionOf(() => bank.readDiscreteInputs(0, 1))).toBe(0x02);
    expect(exceptionOf(() => bank.writeSingleRegister(0, 1))).toBe(0x02);
    expect(respondToPdu(hex('03 0000 0002'), bank)).toEqual(hex('83 02'));
  });

  it('snapshot() is what is served: float32-rounded, decoded from the registers', () => {
    const bank = sdm630();
    bank.load({ voltage_l1: 230.1, frequency: 60.02, energy_import: 12345.6789, no_such_field: 5 });
    const snapshot = bank.snapshot();
    expect(snapshot.voltage_l1).toBe(Math.fround(230.1));
    expect(snapshot.voltage_l1).not.toBe(230.1);
    expect(snapshot.energy_import).toBe(Math.fround(12345.6789));
    expect(snapshot.current_l1).toBe(0); // never loaded
    expect(snapshot).not.toHaveProperty('no_such_field');
    expect(Object.keys(snapshot)).toHaveLength(14);
    // What a poller decodes from the wire equals the snapshot, field by field.
    const words = bank.readInputRegisters(0, 76);
    const wire = Buffer.alloc(152);
    for (const [i, w] of words.entries()) wire.writeUInt16BE(w, i * 2);
    expect(wire.readFloatBE(70 * 2)).toBe(snapshot.frequency);
  });

  it('snapshot() returns a copy the caller cannot use to change the truth', () => {
    const bank = sdm630();
    bank.load({ voltage_l1: 220 });
    const first = bank.snapshot();
    first.voltage_l1 = 0;
    expect(bank.snapshot().voltage_l1).toBe(220);
  });
});

describe('ProfileRegisterBank (writes, bits, scaled fields)', () => {
  it('serves bits, coils and scaled integers', () => {
    const bank = new ProfileRegisterBank(device);
    bank.load({ enabled: 1, plugged: 1, limit: 16, fault: 1, overheat: 1, temperature: -10.5 });
    expect(bank.readCoils(0, 2)).toEqual([true, false]);
    expect(bank.readDiscreteInputs(4, 1)).toEqual([true]);
    expect(Array.from(bank.readHoldingRegisters(10, 1))).toEqual([160]); // 16 A / 0.1
    expect(Array.from(bank.readInputRegisters(0, 2))).toEqual([0b1001, 0xffeb]); // bits 0+3; -21
    bank.load({ fault: 0 });
    expect(bank.readInputRegisters(0, 1)[0]).toBe(0b1000); // the other bit is untouched
    expect(bank.snapshot()).toMatchObject({ fault: 0, overheat: 1, temperature: -10.5, limit: 16 });
  });

  it('accepts writes to writable fields and reports the decoded value', () => {
    const writes: Array<[string, unknown]> = [];
    const bank = new ProfileRegisterBank(device, {
      onWrite: (field: RegisterField, value) => writes.push([field.name, value]),
    });
    // §6.6 write single register 10 (limit) = 0x00C8 = 200 → 20.0 A
    expect(respondToPdu(hex('06 000A 00C8'), bank)).toEqual(hex('06 000A 00C8'));
    // §6.12 write registers 11..12 (setpoint) = 0x45FA0000 = 8000.0
    expect(respondToPdu(hex('10 000B 0002 04 45FA 0000'), bank)).toEqual(hex('10 000B 0002'));
    // §6.5 write coil 0 (enabled) on
    expect(respondToPdu(hex('05 0000 FF00'), bank)).toEqual(hex('05 0000 FF00'));
    expect(writes).toEqual([
      ['limit', 20],
      ['setpoint', 8000],
      ['enabled', 1],
    ]);
    expect(bank.snapshot()).toMatchObject({ limit: 20, setpoint: 8000, enabled: 1 });
  });

  it('refuses writes to read-only addresses (02) and undecodable values (03)', () => {
    const bank = new ProfileRegisterBank(device);
    expect(respondToPdu(hex('06 000D 0001'), bank)).toEqual(hex('86 02')); // serial is read-only
    expect(respondToPdu(hex('10 000C 0002 04 0000 0001'), bank)).toEqual(hex('90 02')); // 13 too
    expect(respondToPdu(hex('05 0001 FF00'), bank)).toEqual(hex('85 02')); // locked is read-only
    expect(respondToPdu(hex('06 0000 0001'), bank)).toEqual(hex('86 02')); // before the span
    // A NaN setpoint (0x7FC00000) is refused whole: nothing changes.
    expect(respondToPdu(hex('10 000B 0002 04 7FC0 0000'), bank)).toEqual(hex('90 03'));
    expect(Array.from(bank.readHoldingRegisters(11, 2))).toEqual([0, 0]);
  });

  it('refuses a value that does not fit its type, leaving the image unchanged', () => {
    const bank = new ProfileRegisterBank(device);
    bank.load({ temperature: 1 });
    try {
      bank.load({ limit: 1, temperature: 40000 }); // int16 × 0.5 tops out at 16383.5
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_REGISTER_DECODE')).toBe(true);
    }
    expect(bank.snapshot()).toMatchObject({ limit: 0, temperature: 1 });
  });
});
