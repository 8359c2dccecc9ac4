export { type BandeiraShare, bandeiraLines, prorateBandeiras } from './bandeiras.js';
export {
  addDays,
  DEFAULT_TIME_ZONE,
  daysBetween,
  type LocalTime,
  localTime,
} from './calendar.js';
export { type Posto, postoClassifier } from './energy.js';
export { brazilianNationalHolidays, easterSunday } from './holidays.js';
export { computeInvoice, type Invoice, type InvoiceTotals } from './invoice.js';
export type { InvoiceLine, InvoiceLineKind } from './lines.js';
export {
  type BandeiraFlag,
  type Bandeiras,
  type BillingInput,
  billingInputSchema,
  type ConnectionType,
  type Tariff,
  type TariffInput,
  type TaxPeriod,
  tariffSchema,
} from './schema.js';
export { grossUp, type TaxResult, taxPeriodOn } from './taxes.js';
