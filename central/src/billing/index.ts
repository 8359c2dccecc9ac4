export { BILLING_INPUT_INVALID, PIX_CRC_MISMATCH, PIX_INVALID } from './errors.js';
export * from './invoices/index.js';
export * from './pix/index.js';
export * from './tariffs/index.js';
