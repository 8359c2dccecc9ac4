import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  closeBillingPeriod,
  findInvoice,
  invoiceLanguage,
  listInvoices,
  type PixSettings,
  pixQrSvg,
  renderInvoiceHtml,
} from '../../billing/index.js';
import { customerParty } from '../../customers/index.js';
import { csvResponse, csvStream, INVOICES_HEADER, invoicePages } from '../../export/index.js';
import type { Schema } from '../../storage/index.js';
import { idCursor } from '../cursors.js';
import { yearMonth } from '../dates.js';
import { httpError } from '../errors.js';
import { serialIdText } from '../ids.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';
import { inlineHashes, pageCsp } from '../security-headers.js';
import { asksCsv, csvContent, formatParam } from './csv-format.js';

const periodText = yearMonth();

const Invoice = z
  .object({
    id: z.number().int(),
    /** The fiscal number, gapless per issue year (`2026-000001`); older invoices: their id. */
    number: z.string(),
    meterId: z.number().int(),
    customerId: z.number().int(),
    period: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }),
    tariffId: z.string(),
    consumptionKwh: z.string(),
    billedKwh: z.string(),
    lines: z.array(z.record(z.string(), z.unknown())),
    totals: z.record(z.string(), z.number().int()).openapi({ description: 'centavos' }),
    totalCentavos: z.number().int(),
    dueDate: z.string(),
    pixPayload: z.string().nullable().openapi({ description: 'Pix copia e cola (BR Code)' }),
    status: z.string(),
    issuedAt: z.string().datetime(),
  })
  .openapi('Invoice');

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['invoices'],
  summary: 'List invoices, newest first (customers see their own)',
  security,
  policy: { resource: 'invoice', action: 'list' },
  request: {
    query: z.object({
      meterId: serialIdText().optional(),
      customerId: serialIdText().optional(),
      period: periodText.optional(),
      status: z.enum(['open', 'paid', 'cancelled']).optional(),
      limit: PageQuery.shape.limit,
      cursor: idCursor(),
      format: formatParam,
    }),
  },
  responses: {
    200: {
      description: 'A page (CSV: every invoice the filter selects)',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(Invoice), next: z.string().nullable() }),
        },
        ...csvContent,
      },
    },
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['invoices'],
  summary: 'One invoice',
  security,
  policy: { resource: 'invoice', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Invoice, 'The invoice'), ...errorResponses },
});

const htmlRoute = policyRoute({
  method: 'get',
  path: '/{id}/html',
  tags: ['invoices'],
  summary: 'Printable invoice (HTML with the Pix QR code), pt-BR or English',
  security,
  policy: { resource: 'invoice', action: 'read' },
  request: {
    params: IdParam,
    query: z.object({
      /** The page's language; absent: the Accept-Language header, else pt-BR. */
      lang: z.enum(['pt-BR', 'pt', 'en']).optional(),
    }),
  },
  responses: {
    200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses,
  },
});

const qrRoute = policyRoute({
  method: 'get',
  path: '/{id}/pix.svg',
  tags: ['invoices'],
  summary: 'The Pix QR code of an invoice (SVG)',
  security,
  policy: { resource: 'invoice', action: 'read' },
  request: { params: IdParam },
  responses: {
    200: { description: 'SVG', content: { 'image/svg+xml': { schema: z.string() } } },
    ...errorResponses,
  },
});

const closeRoute = policyRoute({
  method: 'post',
  path: '/close',
  tags: ['billing'],
  summary: 'Close a billing period now (idempotent per meter and period)',
  security,
  policy: { resource: 'invoice', action: 'create' },
  request: {
    body: {
      content: { 'application/json': { schema: z.object({ period: periodText }) } },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({
        period: z.string(),
        issued: z.array(z.number().int()),
        existing: z.number().int(),
        skipped: z.array(z.object({ meterId: z.number().int(), reason: z.string() })),
      }),
      'What the run did',
    ),
    ...errorResponses,
  },
});

export interface InvoiceRouteOptions {
  now: () => Date;
  pix?: PixSettings;
  dueDays?: number;
}

export function invoiceRoutes(db: Kysely<Schema>) {
  const app = openApiApp();

  const load = async (who: Parameters<typeof findInvoice>[1], id: number) => {
    const invoice = await findInvoice(db, who, id);
    if (!invoice) throw httpError('GL_NOT_FOUND', `invoice ${id} not found`);
    return invoice;
  };

  app.openapi(listRoute, async (c) => {
    const { limit, cursor: before, format: _format, ...filter } = c.req.valid('query');
    if (asksCsv(c))
      return csvResponse(
        'invoices.csv',
        csvStream(INVOICES_HEADER, invoicePages(db, c.get('principal'), filter)),
      );
    const page = await listInvoices(db, c.get('principal'), filter, { limit, before });
    return c.json(page as { items: z.infer<typeof Invoice>[]; next: string | null }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const invoice = await load(c.get('principal'), c.req.valid('param').id);
    return c.json(invoice as z.infer<typeof Invoice>, 200);
  });

  app.openapi(qrRoute, async (c) => {
    const invoice = await load(c.get('principal'), c.req.valid('param').id);
    if (!invoice.pixPayload) throw httpError('GL_NOT_FOUND', 'this invoice has no Pix code');
    return c.body(await pixQrSvg(invoice.pixPayload), 200, {
      'content-type': 'image/svg+xml; charset=utf-8',
    });
  });

  app.openapi(htmlRoute, async (c) => {
    const invoice = await load(c.get('principal'), c.req.valid('param').id);
    const party = await customerParty(db, invoice.customerId);
    if (!party) throw httpError('GL_NOT_FOUND', `invoice ${invoice.id} not found`);
    const qr = invoice.pixPayload ? await pixQrSvg(invoice.pixPayload) : null;
    const lang = invoiceLanguage(c.req.valid('query').lang, c.req.header('accept-language'));
    const html = renderInvoiceHtml(invoice, party, qr, lang);
    // The page's own stylesheet by its hash; the QR code is inline SVG: nothing else loads.
    const csp = pageCsp({ style: inlineHashes(html, 'style') });
    return c.html(html, 200, {
      'content-security-policy': csp,
      'content-language': lang,
      vary: 'Accept-Language',
    });
  });
  return app;
}

/** `/billing/close`: issuing invoices (admin, by the access table). */
export function billingRoutes(db: Kysely<Schema>, options: InvoiceRouteOptions) {
  const app = openApiApp();
  app.openapi(closeRoute, async (c) => {
    const { period } = c.req.valid('json');
    const result = await closeBillingPeriod(db, {
      period,
      now: options.now(),
      pix: options.pix,
      dueDays: options.dueDays,
    });
    return c.json(result, 200);
  });
  return app;
}
