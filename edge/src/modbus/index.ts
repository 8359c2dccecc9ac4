export { toModbusError } from './errors.js';
export {
  type LinkStats,
  type LinkTransport,
  ModbusLink,
  type ModbusLinkOptions,
  type ReadRequest,
  type TransactionEvent,
  type WriteRequest,
} from './link.js';
export { interFrameGapMs, ModbusRtuLink, type SerialLineOptions } from './rtu-link.js';
export { ModbusTcpLink, type ModbusTcpLinkOptions } from './tcp-link.js';
export {
  type Priority,
  TransactionQueue,
  type TransactionQueueOptions,
} from './transaction-queue.js';
