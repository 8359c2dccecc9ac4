export {
  allocateLargestRemainder,
  type Centavos,
  centavos,
  type Decimal,
  energyCost,
  formatBrl,
  formatDecimal,
  formatKwh,
  formatReaisPlain,
  kwhToWh,
  parseDecimal,
  type Ratio,
  reaisToCentavos,
  roundCentavos,
  roundHalfEven,
  sumCentavos,
  type WattHours,
  wattHours,
  ZERO,
} from '../money/index.js';
export { BILLING_INPUT_INVALID, PIX_CRC_MISMATCH, PIX_INVALID } from './errors.js';
export * from './invoices/index.js';
export * from './pix/index.js';
export * from './tariffs/index.js';
