/** Public function codes served by the simulator (Modbus Application Protocol v1.1b3 §5.1, §6). */
export const FunctionCode = {
  ReadCoils: 0x01, // §6.1
  ReadDiscreteInputs: 0x02, // §6.2
  ReadHoldingRegisters: 0x03, // §6.3
  ReadInputRegisters: 0x04, // §6.4
  WriteSingleCoil: 0x05, // §6.5
  WriteSingleRegister: 0x06, // §6.6
  WriteMultipleCoils: 0x0f, // §6.11
  WriteMultipleRegisters: 0x10, // §6.12
} as const;

export type FunctionCode = (typeof FunctionCode)[keyof typeof FunctionCode];

/** Quantity limits per request, from the request tables of §6.1–§6.4, §6.11 and §6.12. */
export const Limits = {
  /** §6.1/§6.2: 1 to 2000 (0x7D0) coils or discrete inputs per read. */
  readBits: 2000,
  /** §6.3/§6.4: 1 to 125 (0x7D) registers per read. */
  readRegisters: 125,
  /** §6.11: 1 to 1968 (0x7B0) coils per write. */
  writeBits: 1968,
  /** §6.12: 1 to 123 (0x7B) registers per write. */
  writeRegisters: 123,
  /** §4.1: the PDU is at most 253 bytes (256-byte RS-485 ADU minus address and CRC). */
  pduBytes: 253,
} as const;

/** §6.5: the only two values a Write Single Coil request may carry. */
export const COIL_ON = 0xff00;
export const COIL_OFF = 0x0000;
