import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { csvResponse, csvStream, READINGS_HEADER, readingPages } from '../../export/index.js';
import { findMeter, listMeters, readingsInRange } from '../../metering/index.js';
import type { Schema } from '../../storage/index.js';
import { readingsCursor } from '../cursors.js';
import { instantParam } from '../dates.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, PageQuery } from '../schemas.js';
import { addMeterConsumption } from './consumption.js';
import { asksCsv, csvContent, formatParam } from './csv-format.js';

const Meter = z
  .object({
    id: z.number().int(),
    edgeId: z.string(),
    deviceId: z.string(),
    customerId: z.number().int().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('Meter');

const Reading = z
  .object({
    ts: z.string().datetime(),
    quality: z.enum(['good', 'uncertain', 'bad']),
    values: z
      .record(z.string(), z.number())
      .openapi({ example: { voltage_l1: 221.4, energy_import: 1532.25 } }),
  })
  .openapi('Reading');

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['meters'],
  summary: 'List meters (customers see only their own)',
  security: [{ bearer: [] }],
  policy: { resource: 'meter', action: 'list' },
  request: { query: PageQuery },
  responses: {
    200: {
      description: 'A page of meters',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(Meter), next: z.string().nullable() }),
        },
      },
    },
    ...errorResponses,
  },
});

const DAY_MS = 86_400_000;

const readingsRoute = policyRoute({
  method: 'get',
  path: '/{id}/readings',
  tags: ['meters'],
  summary: 'Raw readings of one meter in [from, to)',
  security: [{ bearer: [] }],
  policy: { resource: 'meter', action: 'read' },
  request: {
    params: IdParam,
    query: z.object({
      from: instantParam().optional().openapi({ description: 'ISO 8601; default: to − 24 h' }),
      to: instantParam().optional().openapi({ description: 'ISO 8601, exclusive; default: now' }),
      limit: z.coerce.number().int().min(1).max(10_000).default(1000),
      cursor: readingsCursor(),
      format: formatParam,
    }),
  },
  responses: {
    200: {
      description: 'Readings, oldest first',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(Reading), next: z.string().nullable() }),
        },
        ...csvContent,
      },
    },
    ...errorResponses,
  },
});

/** `/meters`: the one sub-app of the prefix (consumption included); policies per route. */
export function meterRoutes(db: Kysely<Schema>, options: { now: () => Date; timeZone?: string }) {
  const app = openApiApp();

  app.openapi(listRoute, async (c) => {
    const { limit, cursor: after } = c.req.valid('query');
    return c.json(await listMeters(db, c.get('principal'), { limit, after }), 200);
  });

  app.openapi(readingsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const meter = await findMeter(db, c.get('principal'), id);
    if (!meter) throw httpError('GL_NOT_FOUND', `meter ${id} not found`);
    const to = q.to ?? options.now();
    const from = q.from ?? new Date(to.getTime() - DAY_MS);
    if (from >= to) throw httpError('GL_VALIDATION', 'from: must be before to');
    if (asksCsv(c))
      return csvResponse(
        `meter-${id}-readings.csv`,
        csvStream(READINGS_HEADER, readingPages(db, id, { from, to })),
      );
    const page = await readingsInRange(db, id, { from, to, limit: q.limit, cursor: q.cursor });
    return c.json(
      page as z.infer<
        (typeof readingsRoute.responses)[200]['content']['application/json']['schema']
      >,
      200,
    );
  });
  addMeterConsumption(app, db, options);
  return app;
}
