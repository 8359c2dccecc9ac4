import { packBits, packedByteCount, unpackBits } from './bit-packing.js';
import { ExceptionCode, ModbusException } from './exception-codes.js';
import { COIL_OFF, COIL_ON, FunctionCode, Limits } from './function-codes.js';
import type { RegisterBank } from './register-bank.js';

/**
 * The Modbus PDU server codec: request PDU in, response PDU out, no I/O
 * (Modbus Application Protocol v1.1b3 §4.1: PDU = function code + data, transport-independent).
 * Each function follows the server state diagram of its clause in §6: function code supported
 * (else 01), quantity and structure valid (else 03), address range valid (else 02), then the
 * action (a bank failure is 04).
 */

/** The exception response for `functionCode` (§7: the function code with its MSB set, then the code). */
export function exceptionPdu(functionCode: number, code: ExceptionCode): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}

/**
 * Answers one request PDU from `bank`. Never throws: a malformed request gets exception 03, an
 * unknown function 01. Returns undefined only for an empty PDU, which has no function code to
 * answer (the MBAP framer never delivers one).
 */
export function respondToPdu(request: Buffer, bank: RegisterBank): Buffer | undefined {
  if (request.length === 0) return undefined;
  const functionCode = request[0] as number;
  const handler = handlers.get(functionCode);
  if (!handler) return exceptionPdu(functionCode, ExceptionCode.IllegalFunction);
  try {
    return handler(request, bank);
  } catch (err) {
    const code =
      err instanceof ModbusException ? err.exceptionCode : ExceptionCode.ServerDeviceFailure;
    return exceptionPdu(functionCode, code);
  }
}

type Handler = (request: Buffer, bank: RegisterBank) => Buffer;

const fail = (code: ExceptionCode): never => {
  throw new ModbusException(code);
};

/** §7 code 03 also covers "the implied length is incorrect": a PDU of the wrong size is 03. */
function expectLength(request: Buffer, length: number): void {
  if (request.length !== length) fail(ExceptionCode.IllegalDataValue);
}

/** 1 ≤ quantity ≤ max, else 03; the range must stay inside 0..65535, else 02. */
function checkRange(address: number, quantity: number, max: number): void {
  if (quantity < 1 || quantity > max) fail(ExceptionCode.IllegalDataValue);
  if (address + quantity > 0x10000) fail(ExceptionCode.IllegalDataAddress);
}

/** A bank that answers with the wrong number of items has failed: 04. */
function checkCount(items: ArrayLike<unknown>, count: number): void {
  if (items.length !== count) {
    throw new Error(`register bank returned ${items.length} items, expected ${count}`);
  }
}

/** A register is an unsigned 16-bit word (§4.3); anything else from a bank is a failure (04). */
function checkWord(value: number | undefined): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new Error(`register bank returned ${value}, not a 16-bit word`);
  }
  return value;
}

/**
 * §6.1 Read Coils / §6.2 Read Discrete Inputs.
 * Request:  fc(1) start(2) quantity(2), quantity 1..2000.
 * Response: fc(1) byteCount(1) = ceil(quantity / 8), then the packed bits.
 */
function readBits(
  read: (bank: RegisterBank, address: number, count: number) => ArrayLike<boolean>,
): Handler {
  return (request, bank) => {
    expectLength(request, 5);
    const address = request.readUInt16BE(1);
    const quantity = request.readUInt16BE(3);
    checkRange(address, quantity, Limits.readBits);
    const bits = read(bank, address, quantity);
    checkCount(bits, quantity);
    const byteCount = packedByteCount(quantity);
    const response = Buffer.alloc(2 + byteCount);
    response[0] = request[0] as number;
    response[1] = byteCount;
    packBits(bits, response, 2);
    return response;
  };
}

/**
 * §6.3 Read Holding Registers / §6.4 Read Input Registers.
 * Request:  fc(1) start(2) quantity(2), quantity 1..125.
 * Response: fc(1) byteCount(1) = 2 × quantity, then each register big-endian (§4.2).
 */
function readRegisters(
  read: (bank: RegisterBank, address: number, count: number) => ArrayLike<number>,
): Handler {
  return (request, bank) => {
    expectLength(request, 5);
    const address = request.readUInt16BE(1);
    const quantity = request.readUInt16BE(3);
    checkRange(address, quantity, Limits.readRegisters);
    const words = read(bank, address, quantity);
    checkCount(words, quantity);
    const response = Buffer.alloc(2 + quantity * 2);
    response[0] = request[0] as number;
    response[1] = quantity * 2;
    for (let i = 0; i < quantity; i++) response.writeUInt16BE(checkWord(words[i]), 2 + i * 2);
    return response;
  };
}

/**
 * §6.5 Write Single Coil. Request: fc(1) address(2) value(2), value 0xFF00 (on) or 0x0000 (off),
 * anything else is 03. The normal response echoes the request.
 */
const writeSingleCoil: Handler = (request, bank) => {
  expectLength(request, 5);
  const address = request.readUInt16BE(1);
  const value = request.readUInt16BE(3);
  if (value !== COIL_ON && value !== COIL_OFF) fail(ExceptionCode.IllegalDataValue);
  bank.writeSingleCoil(address, value === COIL_ON);
  return Buffer.from(request);
};

/** §6.6 Write Single Register. Request: fc(1) address(2) value(2). The response echoes it. */
const writeSingleRegister: Handler = (request, bank) => {
  expectLength(request, 5);
  bank.writeSingleRegister(request.readUInt16BE(1), request.readUInt16BE(3));
  return Buffer.from(request);
};

/** The normal response of §6.11/§6.12: fc(1) start(2) quantity(2). */
function writeAck(request: Buffer): Buffer {
  return Buffer.from(request.subarray(0, 5));
}

/**
 * §6.11 Write Multiple Coils. Request: fc(1) start(2) quantity(2) byteCount(1) values(N),
 * quantity 1..1968 and byteCount = ceil(quantity / 8), else 03.
 */
const writeMultipleCoils: Handler = (request, bank) => {
  if (request.length < 6) fail(ExceptionCode.IllegalDataValue);
  const address = request.readUInt16BE(1);
  const quantity = request.readUInt16BE(3);
  const byteCount = request[5] as number;
  if (quantity < 1 || quantity > Limits.writeBits || byteCount !== packedByteCount(quantity)) {
    fail(ExceptionCode.IllegalDataValue);
  }
  expectLength(request, 6 + byteCount);
  checkRange(address, quantity, Limits.writeBits);
  bank.writeMultipleCoils(address, unpackBits(request.subarray(6), quantity));
  return writeAck(request);
};

/**
 * §6.12 Write Multiple Registers. Request: fc(1) start(2) quantity(2) byteCount(1) values(2N),
 * quantity 1..123 and byteCount = 2 × quantity, else 03.
 */
const writeMultipleRegisters: Handler = (request, bank) => {
  if (request.length < 6) fail(ExceptionCode.IllegalDataValue);
  const address = request.readUInt16BE(1);
  const quantity = request.readUInt16BE(3);
  const byteCount = request[5] as number;
  if (quantity < 1 || quantity > Limits.writeRegisters || byteCount !== quantity * 2) {
    fail(ExceptionCode.IllegalDataValue);
  }
  expectLength(request, 6 + byteCount);
  checkRange(address, quantity, Limits.writeRegisters);
  const values: number[] = new Array(quantity);
  for (let i = 0; i < quantity; i++) values[i] = request.readUInt16BE(6 + i * 2);
  bank.writeMultipleRegisters(address, values);
  return writeAck(request);
};

const handlers = new Map<number, Handler>([
  [FunctionCode.ReadCoils, readBits((bank, a, n) => bank.readCoils(a, n))],
  [FunctionCode.ReadDiscreteInputs, readBits((bank, a, n) => bank.readDiscreteInputs(a, n))],
  [
    FunctionCode.ReadHoldingRegisters,
    readRegisters((bank, a, n) => bank.readHoldingRegisters(a, n)),
  ],
  [FunctionCode.ReadInputRegisters, readRegisters((bank, a, n) => bank.readInputRegisters(a, n))],
  [FunctionCode.WriteSingleCoil, writeSingleCoil],
  [FunctionCode.WriteSingleRegister, writeSingleRegister],
  [FunctionCode.WriteMultipleCoils, writeMultipleCoils],
  [FunctionCode.WriteMultipleRegisters, writeMultipleRegisters],
]);
