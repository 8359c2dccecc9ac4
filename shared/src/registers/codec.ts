import { GridlinkError } from '../errors/gridlink-error.js';
import { type RegisterField, registerCount, type WordOrder } from './field.js';

/**
 * Pure register codec. Input is the block as it came off the wire: big-endian 16-bit registers
 * (Modbus Application Protocol v1.1b3 §4.2: "big-Endian representation ... for addresses and data").
 * Multi-register layout is vendor-defined; `order` says how to put the bytes back.
 */

/** Reorders bytes from wire order to big-endian ABCD order (the operation is its own inverse). */
function toCanonical(wire: Buffer, order: WordOrder): Buffer {
  const words = wire.length / 2;
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const out = Buffer.allocUnsafe(wire.length);
  for (let w = 0; w < words; w++) {
    const src = (swapWords ? words - 1 - w : w) * 2;
    out[w * 2] = wire[src + (swapBytes ? 1 : 0)] as number;
    out[w * 2 + 1] = wire[src + (swapBytes ? 0 : 1)] as number;
  }
  return out;
}

export type DecodedValue = number | string;

/**
 * Decodes `field` from `block`, a register block starting at `blockStart`. Scale and offset are
 * applied to numbers. Throws GL_REGISTER_DECODE when the block does not cover the field or the
 * value is not a finite number (NaN/Infinity in a float register is an error, never a value).
 */
export function decodeField(field: RegisterField, block: Buffer, blockStart: number): DecodedValue {
  const count = registerCount(field);
  const at = (field.address - blockStart) * 2;
  if (at < 0 || at + count * 2 > block.length) {
    throw new GridlinkError(
      'GL_REGISTER_DECODE',
      `${field.name}: block of ${block.length / 2} registers at ${blockStart} does not cover ${field.address}+${count}`,
    );
  }
  // Wire order already big-endian (ABCD, or CDAB on a single register): read in place, no copy.
  const inPlace = field.order === 'ABCD' || (count === 1 && field.order === 'CDAB');
  const bytes = inPlace ? block : toCanonical(block.subarray(at, at + count * 2), field.order);
  const pos = inPlace ? at : 0;
  let raw: number;
  switch (field.type) {
    case 'int16':
      raw = bytes.readInt16BE(pos);
      break;
    case 'uint16':
      raw = bytes.readUInt16BE(pos);
      break;
    case 'bits': {
      const mask = bytes.readUInt16BE(pos);
      raw = field.bit === undefined ? mask : (mask >> field.bit) & 1;
      break;
    }
    case 'int32':
      raw = bytes.readInt32BE(pos);
      break;
    case 'uint32':
      raw = bytes.readUInt32BE(pos);
      break;
    case 'float32':
      raw = bytes.readFloatBE(pos);
      break;
    case 'float64':
      raw = bytes.readDoubleBE(pos);
      break;
    case 'string':
      return bytes.toString('latin1', pos, pos + count * 2).replace(/[\0 ]+$/, '');
  }
  if (!Number.isFinite(raw)) {
    throw new GridlinkError('GL_REGISTER_DECODE', `${field.name}: register value is ${raw}`);
  }
  return raw * field.scale + field.offset;
}

/**
 * Encodes an engineering value into wire-order register bytes (the inverse of decodeField):
 * used by the simulator to serve registers and by the edge to write them.
 */
export function encodeField(field: RegisterField, value: DecodedValue): Buffer {
  const count = registerCount(field);
  const bytes = Buffer.alloc(count * 2);
  if (field.type === 'string') {
    bytes.write(String(value).slice(0, count * 2), 'latin1');
    return toCanonical(bytes, field.order);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new GridlinkError('GL_REGISTER_DECODE', `${field.name}: cannot encode ${String(value)}`);
  }
  const raw = (value - field.offset) / field.scale;
  const int = Math.round(raw);
  const range = (min: number, max: number) => {
    if (int < min || int > max) {
      throw new GridlinkError(
        'GL_REGISTER_DECODE',
        `${field.name}: ${value} is outside ${field.type}`,
      );
    }
    return int;
  };
  switch (field.type) {
    case 'int16':
      bytes.writeInt16BE(range(-0x8000, 0x7fff), 0);
      break;
    case 'uint16':
    case 'bits':
      bytes.writeUInt16BE(range(0, 0xffff), 0);
      break;
    case 'int32':
      bytes.writeInt32BE(range(-0x80000000, 0x7fffffff), 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(range(0, 0xffffffff), 0);
      break;
    case 'float32':
      bytes.writeFloatBE(raw, 0);
      break;
    case 'float64':
      bytes.writeDoubleBE(raw, 0);
      break;
  }
  return toCanonical(bytes, field.order);
}
