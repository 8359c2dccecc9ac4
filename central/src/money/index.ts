/**
 * Money and energy as values: bigint decimals and exact ratios with one rounding rule
 * (half-even), integer centavos and watt-hours. A leaf: it imports only the shared error
 * catalog, so billing, customers and metering all use it without depending on each other.
 */
export {
  addRatio,
  allocateLargestRemainder,
  compareRatio,
  type Decimal,
  decimalToRatio,
  divRatio,
  formatDecimal,
  mulRatio,
  parseDecimal,
  type Ratio,
  ratio,
  roundHalfEven,
  subRatio,
} from './decimal.js';
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
