export { toModbusError } from './errors.js';
export { ModbusTcpLink, type ReadRequest } from './tcp-link.js';
export { type Priority, TransactionQueue } from './transaction-queue.js';
