export {
  allocateLargestRemainder,
  type Decimal,
  formatDecimal,
  parseDecimal,
  type Ratio,
  roundHalfEven,
} from './decimal.js';
export { BILLING_INPUT_INVALID, PIX_CRC_MISMATCH, PIX_INVALID } from './errors.js';
export * from './invoices/index.js';
export {
  type Centavos,
  centavos,
  energyCost,
  formatBrl,
  formatKwh,
  formatReaisPlain,
  kwhToWh,
  reaisToCentavos,
  roundCentavos,
  sumCentavos,
  type WattHours,
  wattHours,
  ZERO,
} from './money.js';
export * from './pix/index.js';
export * from './tariffs/index.js';
