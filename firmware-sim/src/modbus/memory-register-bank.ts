import { ExceptionCode, ModbusException } from './exception-codes.js';
import type { RegisterBank } from './register-bank.js';

export interface MemoryRegisterBankOptions {
  /** Addresses 0..size-1 of every table are served; beyond is exception 02. Default 65536. */
  size?: number;
}

/**
 * A plain read/write bank: four zero-filled tables of `size` items. Useful for tests and for
 * devices whose registers are simple memory.
 */
export class MemoryRegisterBank implements RegisterBank {
  readonly coils: Uint8Array;
  readonly discreteInputs: Uint8Array;
  readonly holdingRegisters: Uint16Array;
  readonly inputRegisters: Uint16Array;
  readonly size: number;

  constructor(options: MemoryRegisterBankOptions = {}) {
    this.size = options.size ?? 0x10000;
    this.coils = new Uint8Array(this.size);
    this.discreteInputs = new Uint8Array(this.size);
    this.holdingRegisters = new Uint16Array(this.size);
    this.inputRegisters = new Uint16Array(this.size);
  }

  private check(address: number, count: number): void {
    if (address < 0 || address + count > this.size) {
      throw new ModbusException(ExceptionCode.IllegalDataAddress);
    }
  }

  private bits(table: Uint8Array, address: number, count: number): boolean[] {
    this.check(address, count);
    return Array.from(table.subarray(address, address + count), (b) => b === 1);
  }

  private words(table: Uint16Array, address: number, count: number): Uint16Array {
    this.check(address, count);
    return table.slice(address, address + count);
  }

  readCoils(address: number, count: number): boolean[] {
    return this.bits(this.coils, address, count);
  }

  readDiscreteInputs(address: number, count: number): boolean[] {
    return this.bits(this.discreteInputs, address, count);
  }

  readHoldingRegisters(address: number, count: number): Uint16Array {
    return this.words(this.holdingRegisters, address, count);
  }

  readInputRegisters(address: number, count: number): Uint16Array {
    return this.words(this.inputRegisters, address, count);
  }

  writeSingleCoil(address: number, value: boolean): void {
    this.writeMultipleCoils(address, [value]);
  }

  writeSingleRegister(address: number, value: number): void {
    this.writeMultipleRegisters(address, [value]);
  }

  writeMultipleCoils(address: number, values: readonly boolean[]): void {
    this.check(address, values.length);
    values.forEach((v, i) => {
      this.coils[address + i] = v ? 1 : 0;
    });
  }

  writeMultipleRegisters(address: number, values: readonly number[]): void {
    this.check(address, values.length);
    this.holdingRegisters.set(values, address);
  }
}
