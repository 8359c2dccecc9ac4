export { type CsvValue, csvCell, csvRecord, csvResponse, csvStream, wantsCsv } from './csv.js';
export {
  CONSUMPTION_HEADER,
  consumptionPages,
  EXPORT_PAGE_ROWS,
  INVOICES_HEADER,
  invoicePages,
  READINGS_HEADER,
  readingPages,
} from './sources.js';
