import { z } from '@hono/zod-openapi';
import { wantsCsv } from '../../export/index.js';

/** `?format=`: `csv` exports the list as text/csv (as does `Accept: text/csv`); docs/LIFECYCLE.md. */
export const formatParam = z.enum(['json', 'csv']).optional().openapi({
  description:
    'csv: the whole range or list as RFC 4180 CSV, streamed (limit and cursor are ignored); also chosen by `Accept: text/csv`',
});

/** The text/csv alternative of a list route's 200 response. */
export const csvContent = {
  'text/csv': { schema: z.string().openapi({ description: 'RFC 4180, UTF-8, header row' }) },
} as const;

/** Whether this request asks for CSV (query `format`, else the Accept header). */
export const asksCsv = (c: {
  req: { query(name: string): string | undefined; header(name: string): string | undefined };
}): boolean => wantsCsv(c.req.query('format'), c.req.header('accept'));
