import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../errors/index.js';
import { decodeField, encodeField } from './codec.js';
import { type RegisterFieldInput, registerFieldSchema } from './field.js';

const field = (f: Partial<RegisterFieldInput> & Pick<RegisterFieldInput, 'type'>) =>
  registerFieldSchema.parse({ name: 'x', quantity: 'q', fn: 3, address: 100, ...f });

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

// Each row: the wire bytes of the field, register by register, as a device puts them on the bus.
const fixtures: Array<[RegisterFieldInput['type'], RegisterFieldInput['order'], string, number]> = [
  // float32 230.0 = 0x43660000
  ['float32', 'ABCD', '43 66 00 00', 230], // reg0 = 0x4366 (A B), reg1 = 0x0000 (C D)
  ['float32', 'CDAB', '00 00 43 66', 230], // low word first (Schneider, many chargers)
  ['float32', 'BADC', '66 43 00 00', 230], // bytes swapped inside each register
  ['float32', 'DCBA', '00 00 66 43', 230], // fully little-endian
  // int32 -2 = 0xFFFFFFFE
  ['int32', 'ABCD', 'FF FF FF FE', -2],
  ['int32', 'CDAB', 'FF FE FF FF', -2],
  ['int32', 'BADC', 'FF FF FE FF', -2],
  ['int32', 'DCBA', 'FE FF FF FF', -2],
  // uint32 0x01020304 = 16909060
  ['uint32', 'ABCD', '01 02 03 04', 16909060],
  ['uint32', 'CDAB', '03 04 01 02', 16909060],
  ['uint32', 'BADC', '02 01 04 03', 16909060],
  ['uint32', 'DCBA', '04 03 02 01', 16909060],
  // float64 1.5 = 0x3FF8000000000000 (64-bit extends the rule: CDAB -> GHEFCDAB)
  ['float64', 'ABCD', '3F F8 00 00 00 00 00 00', 1.5],
  ['float64', 'CDAB', '00 00 00 00 00 00 3F F8', 1.5],
  ['float64', 'BADC', 'F8 3F 00 00 00 00 00 00', 1.5],
  ['float64', 'DCBA', '00 00 00 00 00 00 F8 3F', 1.5],
  // int16 -1234 = 0xFB2E; uint16 65535
  ['int16', 'ABCD', 'FB 2E', -1234],
  ['int16', 'BADC', '2E FB', -1234],
  ['int16', 'CDAB', 'FB 2E', -1234], // one register: a word swap changes nothing
  ['uint16', 'ABCD', 'FF FF', 65535],
  ['uint16', 'DCBA', '34 12', 0x1234],
  ['bits', 'ABCD', '80 01', 0x8001],
];

describe('register codec', () => {
  it.each(fixtures)('%s %s %s -> %d', (type, order, bytes, value) => {
    const f = field({ type, order });
    expect(decodeField(f, hex(bytes), 100)).toBe(value);
    expect(encodeField(f, value).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it('applies scale and offset both ways', () => {
    const f = field({ type: 'uint16', scale: 0.1, offset: -10 });
    expect(decodeField(f, hex('09 29'), 100)).toBeCloseTo(224.5); // 2345 * 0.1 - 10
    expect(encodeField(f, 224.5).toString('hex')).toBe('0929');
  });

  it('decodes a field at its offset inside a block', () => {
    const f = field({ type: 'uint16', address: 102 });
    // block starts at 100: reg100 = 0x0001, reg101 = 0x0002, reg102 = 0x0003
    expect(decodeField(f, hex('00 01 00 02 00 03'), 100)).toBe(3);
  });

  it('reads one bit of a register', () => {
    const f = field({ type: 'bits', bit: 2 });
    expect(decodeField(f, hex('00 04'), 100)).toBe(1);
    expect(decodeField(field({ type: 'bits', bit: 3 }), hex('00 04'), 100)).toBe(0);
  });

  it('decodes strings, trimming NUL padding', () => {
    const f = field({ type: 'string', length: 4 });
    expect(decodeField(f, Buffer.from('SDM630\0\0', 'latin1'), 100)).toBe('SDM630');
    expect(encodeField(f, 'SDM630').toString('latin1')).toBe('SDM630\0\0');
  });

  it('rejects NaN and Infinity in float registers', () => {
    const f = field({ type: 'float32' });
    expect(() => decodeField(f, hex('7F C0 00 00'), 100)).toThrow(/NaN/);
    expect(() => decodeField(f, hex('7F 80 00 00'), 100)).toThrow(/Infinity/);
  });

  it('rejects a block that does not cover the field', () => {
    const f = field({ type: 'float32', address: 101 });
    try {
      decodeField(f, hex('00 00 00 00'), 100);
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_REGISTER_DECODE')).toBe(true);
    }
  });

  it('refuses to encode values outside the type', () => {
    expect(() => encodeField(field({ type: 'int16' }), 40000)).toThrow(/outside int16/);
    expect(() => encodeField(field({ type: 'uint16' }), -1)).toThrow(/outside uint16/);
  });

  it('fails cleanly on random bytes: a number, or a GL_REGISTER_DECODE error', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const types = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bits'] as const;
    const orders = ['ABCD', 'DCBA', 'BADC', 'CDAB'] as const;
    for (let i = 0; i < 5000; i++) {
      const len = rand() % 10;
      const block = Buffer.from(Array.from({ length: len }, () => rand() & 0xff));
      const f = field({
        type: types[rand() % types.length]!,
        order: orders[rand() % 4]!,
        address: 100 + (rand() % 3),
      });
      try {
        const v = decodeField(f, block, 100);
        expect(Number.isFinite(v)).toBe(true);
      } catch (err) {
        expect(isGridlinkError(err, 'GL_REGISTER_DECODE')).toBe(true);
      }
    }
  });
});
