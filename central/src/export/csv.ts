/**
 * CSV as RFC 4180 has it: fields separated by `,`, records ended by CRLF (§2.1), a header record
 * (§2.3), a field holding `,`, `"`, CR or LF enclosed in double quotes with inner quotes doubled
 * (§2.6, §2.7). Text is UTF-8, as the media type's `charset` parameter says (RFC 4180 §3).
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or CR) as a
 * formula (CWE-1236, "CSV injection"): a text value starting so is prefixed with `'`, which the
 * spreadsheet shows as text. Numbers are written as numbers, so `-3.5` stays a number.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRecord(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * A CSV document as a byte stream: the header, then the rows of each page as the consumer pulls
 * (one page is asked for only when the previous one has been read), so a long export holds one
 * page in memory, never the table.
 */
export function csvStream(
  header: readonly string[],
  pages: AsyncIterable<readonly (readonly CsvValue[])[]>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let iterator: AsyncIterator<readonly (readonly CsvValue[])[]> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvRecord(header)));
    },
    async pull(controller) {
      iterator ??= pages[Symbol.asyncIterator]();
      const next = await iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      if (next.value.length > 0)
        controller.enqueue(encoder.encode(next.value.map(csvRecord).join('')));
    },
    async cancel() {
      await iterator?.return?.();
    },
  });
}

/**
 * Whether a request asks for CSV: `format=csv`, or an Accept header that ranks `text/csv` above
 * `application/json` (RFC 9110 §12.5.1 quality values; a tie goes to the one listed first).
 */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  if (!accept) return false;
  let csv = -1;
  let json = -1;
  let csvAt = 0;
  let jsonAt = 0;
  accept.split(',').forEach((part, i) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) return;
    if (type === 'text/csv' && q > csv) [csv, csvAt] = [q, i];
    if ((type === 'application/json' || type === '*/*' || type === 'application/*') && q > json)
      [json, jsonAt] = [q, i];
  });
  if (csv <= 0) return false;
  return csv > json || (csv === json && csvAt < jsonAt);
}

/** The response of a CSV export: streamed, UTF-8, offered as a file named `filename`. */
export function csvResponse(filename: string, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
  });
}
