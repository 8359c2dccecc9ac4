import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  COMPANY_ID,
  createCompany,
  getCompany,
  importNetwork,
  listCompanies,
  networkScope,
  parseConnectorText,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { encodeKeyCursor, keyCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';
import { Company, ImportReport, TariffJson } from './network-schemas.js';

const companyId = () =>
  z
    .string()
    .regex(COMPANY_ID, 'a company id is 1-63 of a-z 0-9 _ - (starting with a letter or digit)');

const CompanyParam = z.object({
  companyId: companyId().openapi({ param: { name: 'companyId', in: 'path' }, example: 'feira' }),
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['network'],
  summary: 'List charging companies (an operator of one company sees only it)',
  security,
  policy: { resource: 'station', action: 'list' },
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: keyCursor(companyId()),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Company), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const createRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['network'],
  summary: 'Create a charging company (operators without a company only)',
  security,
  policy: { resource: 'station', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              id: companyId(),
              name: z.string().min(1).max(200),
              defaultTariff: TariffJson.optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: json(Company, 'Created'),
    409: json(z.object({ error: z.object({ code: z.string() }) }), 'The id is taken'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{companyId}',
  tags: ['network'],
  summary: 'One company',
  security,
  policy: { resource: 'station', action: 'read' },
  request: { params: CompanyParam },
  responses: { 200: json(Company, 'The company'), ...errorResponses },
});

const importRoute = policyRoute({
  method: 'post',
  path: '/{companyId}/imports',
  tags: ['network'],
  summary:
    'Import a network CSV into the company (created if absent): `feira` (the Feira de Santana stations file) or `points` (a company\'s points file). Idempotent; every bad row is in the report (docs/EV.md, "Network")',
  security,
  policy: { resource: 'station', action: 'create' },
  request: {
    params: CompanyParam,
    query: z.object({
      format: z.enum(['feira', 'points']),
      name: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .openapi({ description: "The company's name if the import creates it" }),
      connector: z
        .string()
        .max(40)
        .optional()
        .openapi({ description: 'Connector of new points, STANDARD:WATTS; default type2:22000' }),
    }),
    body: {
      content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } },
      required: true,
    },
  },
  responses: {
    200: json(ImportReport, 'What was imported, and every rejected row'),
    ...errorResponses,
  },
});

const CSV_TYPE = /^\s*text\/(csv|plain)\s*(;.*)?$/i;

/** `/companies`: the charging companies and their network imports. */
export function companyRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listCompanies(db, networkScope(c.get('principal'), 'list'), {
      limit,
      after: cursor,
    });
    return c.json({ items: page.items, next: encodeKeyCursor(page.next) }, 200);
  });

  app.openapi(createRoute, async (c) => {
    const body = c.req.valid('json');
    const company = await createCompany(
      db,
      networkScope(c.get('principal'), 'create'),
      body,
      options.now(),
    );
    return c.json(company, 201);
  });

  app.openapi(getRoute, async (c) => {
    const { companyId: id } = c.req.valid('param');
    const company = await getCompany(db, networkScope(c.get('principal')), id);
    if (!company) throw httpError('GL_NOT_FOUND', `company ${id} not found`);
    return c.json(company, 200);
  });

  app.openapi(importRoute, async (c) => {
    const { companyId: id } = c.req.valid('param');
    const q = c.req.valid('query');
    if (!CSV_TYPE.test(c.req.header('content-type') ?? ''))
      throw httpError('GL_PAYLOAD_MEDIA_TYPE', 'body: send the file as text/csv');
    const connector = q.connector === undefined ? undefined : parseConnectorText(q.connector);
    const content = new Uint8Array(await c.req.arrayBuffer());
    const report = await importNetwork(
      db,
      networkScope(c.get('principal'), 'create'),
      {
        companyId: id,
        format: q.format,
        content,
        ...(q.name === undefined ? {} : { companyName: q.name }),
        ...(connector === undefined ? {} : { connector }),
      },
      options.now(),
    );
    return c.json(report, 200);
  });
  return app;
}
