export {
  type InvoiceLanguage,
  type InvoiceParty,
  invoiceLanguage,
  invoiceLanguages,
  renderInvoiceHtml,
} from './html.js';
export { type CatchUpOptions, type CatchUpResult, closeDuePeriods, nextPeriod } from './periods.js';
export {
  allocateInvoiceNumber,
  type CloseOptions,
  type CloseResult,
  closeBillingPeriod,
  dueDate,
  findInvoice,
  type InvoiceFilter,
  type InvoiceView,
  listInvoices,
  monthPeriod,
  type PixSettings,
  pixTxid,
  previousMonth,
} from './store.js';
