import {
  type DecodedValue,
  decodeField,
  encodeField,
  type Profile,
  type RegisterField,
  registerCount,
} from '@gridlink/shared';
import { ExceptionCode, ModbusException, type RegisterBank } from '../modbus/index.js';

export interface ProfileRegisterBankOptions {
  /**
   * Called once per Modbus write, before anything changes, with every field the write touches
   * and its decoded new value (in address order). Throwing a ModbusException refuses the whole
   * write with that exception code and leaves the image unchanged (a device that cannot accept
   * a value answers 03, Modbus Application Protocol v1.1b3 §7).
   */
  beforeWrite?: (changes: ReadonlyArray<{ field: RegisterField; value: DecodedValue }>) => void;
  /** Called after a Modbus write changed a writable field, with the field's decoded value. */
  onWrite?: (field: RegisterField, value: DecodedValue) => void;
}

type TableFn = 1 | 2 | 3 | 4;

/**
 * One Modbus data table (Modbus Application Protocol v1.1b3 §4.3) as the profile defines it:
 * the served span runs from the lowest field address to the end of the highest field. Registers
 * hold 16-bit words; coils and discrete inputs hold 0/1 in the same array.
 */
interface Table {
  start: number;
  words: Uint16Array;
  fields: RegisterField[];
  writeOnly: RegisterField[];
}

function buildTable(fields: RegisterField[]): Table | undefined {
  if (fields.length === 0) return undefined;
  const start = Math.min(...fields.map((f) => f.address));
  const end = Math.max(...fields.map((f) => f.address + registerCount(f)));
  return {
    start,
    words: new Uint16Array(end - start),
    fields,
    writeOnly: fields.filter((f) => f.readable === false),
  };
}

/**
 * A RegisterBank built from a device profile: it serves exactly the register image a real device
 * of that model would, from engineering values encoded with the shared register codec.
 *
 * Served addresses: per function code, the span from the first to the last field. A read inside
 * the span gets the fields' words, and 0 for gaps the profile does not define; a read touching
 * any address outside the span is exception 02, illegal data address (§7). A function code the
 * profile has no fields for serves nothing (02 for every address).
 *
 * Writes (functions 05, 06, 15, 16) are accepted only when every written address belongs to a
 * `writable` field of fn 1 (coils) or fn 3 (holding registers); otherwise 02. A write that leaves
 * a field undecodable (NaN in a float) is refused with 03 and changes nothing.
 *
 * Vendor limits the profile states: a read touching a write-only field (`readable: false`), or
 * longer than the profile's `maxRegisters`, is 02; a function 16 write to a field that takes only
 * function 06 (`writeFn: 6`) is 01, illegal function (§7: not an allowable action for the server).
 */
export class ProfileRegisterBank implements RegisterBank {
  readonly profile: Profile;
  private readonly tables: Partial<Record<TableFn, Table>>;
  private readonly onWrite: ProfileRegisterBankOptions['onWrite'];
  private readonly beforeWrite: ProfileRegisterBankOptions['beforeWrite'];
  private cachedSnapshot: Record<string, number> | undefined;

  constructor(profile: Profile, options: ProfileRegisterBankOptions = {}) {
    this.profile = profile;
    this.onWrite = options.onWrite;
    this.beforeWrite = options.beforeWrite;
    this.tables = {};
    for (const fn of [1, 2, 3, 4] as const) {
      const table = buildTable(profile.fields.filter((f) => f.fn === fn));
      if (table) this.tables[fn] = table;
    }
  }

  /**
   * Encodes engineering values into the register image. Names the profile does not have are
   * ignored; fields without a value keep what they had (0 at first). Throws GL_REGISTER_DECODE
   * when a value does not fit its field's type, leaving the image unchanged.
   */
  load(values: Readonly<Record<string, DecodedValue>>): void {
    // Encode everything first, so a value that does not fit changes nothing.
    const staged: Array<() => void> = [];
    for (const field of this.profile.fields) {
      const value = values[field.name];
      if (value === undefined) continue;
      const table = this.tables[field.fn] as Table;
      const at = field.address - table.start;
      if (field.fn <= 2) {
        staged.push(() => {
          table.words[at] = value !== 0 ? 1 : 0;
        });
      } else if (field.type === 'bits' && field.bit !== undefined) {
        // One bit of a shared status register: leave the other bits alone.
        const mask = 1 << field.bit;
        staged.push(() => {
          table.words[at] =
            value !== 0 ? (table.words[at] as number) | mask : (table.words[at] as number) & ~mask;
        });
      } else {
        const wire = encodeField(field, value);
        staged.push(() => {
          for (let i = 0; i < wire.length / 2; i++) table.words[at + i] = wire.readUInt16BE(i * 2);
        });
      }
    }
    for (const apply of staged) apply();
    this.cachedSnapshot = undefined;
  }

  /**
   * The numeric value of every field as served right now: decoded from the register image, so
   * float32 rounding and scaling are exactly what a poller reading the device gets. String
   * fields are left out (readings carry numbers only).
   */
  snapshot(): Record<string, number> {
    if (!this.cachedSnapshot) {
      const out: Record<string, number> = {};
      for (const field of this.profile.fields) {
        if (field.type === 'string' || field.readable === false) continue;
        const table = this.tables[field.fn] as Table;
        const value =
          field.fn <= 2 ? table.words[field.address - table.start] : this.decode(table, field);
        if (typeof value === 'number') out[field.name] = value;
      }
      this.cachedSnapshot = out;
    }
    return { ...this.cachedSnapshot };
  }

  readCoils(address: number, count: number): boolean[] {
    return Array.from(this.read(1, address, count), (w) => w !== 0);
  }

  readDiscreteInputs(address: number, count: number): boolean[] {
    return Array.from(this.read(2, address, count), (w) => w !== 0);
  }

  readHoldingRegisters(address: number, count: number): Uint16Array {
    return this.read(3, address, count);
  }

  readInputRegisters(address: number, count: number): Uint16Array {
    return this.read(4, address, count);
  }

  writeSingleCoil(address: number, value: boolean): void {
    this.write(1, address, [value ? 1 : 0]);
  }

  writeSingleRegister(address: number, value: number): void {
    this.write(3, address, [value], 6);
  }

  writeMultipleCoils(address: number, values: readonly boolean[]): void {
    this.write(
      1,
      address,
      values.map((v) => (v ? 1 : 0)),
    );
  }

  writeMultipleRegisters(address: number, values: readonly number[]): void {
    this.write(3, address, values, 16);
  }

  /** Decodes one field from a table's words, as the codec would from the wire (§4.2, big-endian). */
  private decode(table: Table, field: RegisterField, words = table.words): DecodedValue {
    const wire = Buffer.alloc(registerCount(field) * 2);
    const at = field.address - table.start;
    for (let i = 0; i < wire.length / 2; i++) wire.writeUInt16BE(words[at + i] as number, i * 2);
    return decodeField(field, wire, field.address);
  }

  private served(fn: TableFn, address: number, count: number): Table {
    const table = this.tables[fn];
    if (!table || address < table.start || address + count > table.start + table.words.length) {
      throw new ModbusException(ExceptionCode.IllegalDataAddress);
    }
    return table;
  }

  private read(fn: TableFn, address: number, count: number): Uint16Array {
    const max = this.profile.maxRegisters;
    if (fn >= 3 && max !== undefined && count > max) {
      throw new ModbusException(ExceptionCode.IllegalDataAddress);
    }
    const table = this.served(fn, address, count);
    const end = address + count;
    if (table.writeOnly.some((f) => f.address < end && f.address + registerCount(f) > address)) {
      throw new ModbusException(ExceptionCode.IllegalDataAddress);
    }
    return table.words.slice(address - table.start, address - table.start + count);
  }

  private write(fn: 1 | 3, address: number, values: readonly number[], viaFn?: 6 | 16): void {
    const table = this.served(fn, address, values.length);
    const end = address + values.length;
    const touched = table.fields
      .filter((f) => f.address < end && f.address + registerCount(f) > address)
      .sort((a, b) => a.address - b.address);
    for (let a = address; a < end; a++) {
      const owner = touched.find((f) => f.address <= a && a < f.address + registerCount(f));
      if (!owner?.writable) throw new ModbusException(ExceptionCode.IllegalDataAddress);
    }
    if (viaFn === 16 && touched.some((f) => f.writeFn === 6)) {
      throw new ModbusException(ExceptionCode.IllegalFunction);
    }
    const next = table.words.slice();
    next.set(values, address - table.start);
    const decoded: Array<[RegisterField, DecodedValue]> = [];
    for (const field of touched) {
      try {
        decoded.push([
          field,
          fn === 1
            ? (next[field.address - table.start] as number)
            : this.decode(table, field, next),
        ]);
      } catch {
        throw new ModbusException(ExceptionCode.IllegalDataValue);
      }
    }
    this.beforeWrite?.(decoded.map(([field, value]) => ({ field, value })));
    table.words.set(next);
    this.cachedSnapshot = undefined;
    for (const [field, value] of decoded) this.onWrite?.(field, value);
  }
}
