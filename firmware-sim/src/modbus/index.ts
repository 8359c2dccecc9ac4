export { packBits, packedByteCount, unpackBits } from './bit-packing.js';
export { ExceptionCode, ModbusException } from './exception-codes.js';
export { COIL_OFF, COIL_ON, FunctionCode, Limits } from './function-codes.js';
export {
  encodeMbapFrame,
  MAX_MBAP_LENGTH,
  MBAP_HEADER_BYTES,
  type MbapFrame,
  type MbapFramingError,
  type MbapPushResult,
  MbapSplitter,
  MIN_MBAP_LENGTH,
} from './mbap.js';
export { MemoryRegisterBank, type MemoryRegisterBankOptions } from './memory-register-bank.js';
export { exceptionPdu, respondToPdu } from './pdu.js';
export type { RegisterBank } from './register-bank.js';
export type {
  ModbusReply,
  ModbusRequest,
  ReplyDecision,
  ReplyShaper,
} from './reply-shaper.js';
export {
  crc16Modbus,
  decodeRtuFrame,
  encodeRtuFrame,
  encodeRtuFrameWithBadCrc,
  RTU_BROADCAST_ADDRESS,
  RTU_MAX_FRAME_BYTES,
  RTU_MIN_FRAME_BYTES,
  type RtuDecodeResult,
  type RtuFrame,
} from './rtu-frame.js';
export {
  type ModbusRtuServer,
  type ModbusRtuServerOptions,
  type RtuFrameEvent,
  type RtuLineStats,
  startModbusRtuServer,
} from './rtu-server.js';
export {
  characterTimeMs,
  interCharacterTimeoutMs,
  interFrameSilenceMs,
  RTU_BITS_PER_CHARACTER,
  SerialLineTimeline,
  wireTimeMs,
} from './rtu-timing.js';
export {
  type ModbusTcpServer,
  type ModbusTcpServerOptions,
  startModbusTcpServer,
} from './tcp-server.js';
