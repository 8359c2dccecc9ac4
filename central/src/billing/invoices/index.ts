export { escapeHtml, type InvoiceParty, renderInvoiceHtml } from './html.js';
export {
  type CloseOptions,
  type CloseResult,
  closeBillingPeriod,
  findInvoice,
  type InvoiceFilter,
  type InvoiceView,
  listInvoices,
  monthPeriod,
  type PixSettings,
  pixTxid,
  previousMonth,
} from './store.js';
